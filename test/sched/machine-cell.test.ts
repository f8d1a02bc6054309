/**
 * MachineCell's memo: a step found by the event object (shared, frozen events) or by a key built from the
 * event's fields gives the snapshot XState's transition() gives, equal states are one object, a refused event
 * changes nothing, and the memo's bound (a new generation past 20,000 states) loses no behaviour. Method: a
 * small counter machine stepped through cells and through transition() side by side.
 */
import { describe, expect, it } from 'vitest';
import { assign, initialTransition, setup, transition } from 'xstate';
import { MachineCell, sharedEvent } from '../../src/sched/machine-cell.js';

type CounterEvent = { type: 'add'; n: number } | { type: 'reset' } | { type: 'lock' };

const counter = setup({ types: { context: {} as { n: number }, events: {} as CounterEvent } }).createMachine({
  context: { n: 0 },
  initial: 'open',
  states: {
    open: {
      on: {
        add: { actions: assign({ n: ({ context, event }) => context.n + (event.type === 'add' ? event.n : 0) }) },
        reset: { actions: assign({ n: 0 }) },
        lock: 'locked',
      },
    },
    locked: {},
  },
});

const ADD_ONE = sharedEvent<CounterEvent>({ type: 'add', n: 1 });

describe('MachineCell', () => {
  it('steps like transition(), by shared and by fresh events alike', () => {
    const cell = new MachineCell<CounterEvent>(counter, 'c');
    let reference = initialTransition(counter)[0];
    const events: CounterEvent[] = [ADD_ONE, { type: 'add', n: 1 }, { type: 'add', n: 5 }, ADD_ONE, { type: 'reset' }, ADD_ONE, { type: 'lock' }];
    for (const event of events) {
      expect(cell.send(event)).toBe(true);
      reference = transition(counter, reference, event)[0];
      expect([cell.value, cell.context]).toEqual([reference.value, reference.context]);
    }
  });

  it('keeps one object per state and refuses without a change', () => {
    const a = new MachineCell<CounterEvent>(counter, 'a');
    const b = new MachineCell<CounterEvent>(counter, 'b');
    a.send(ADD_ONE);
    b.send({ type: 'add', n: 1 });
    expect(a.snapshot).toBe(b.snapshot);
    a.send({ type: 'lock' });
    const locked = a.snapshot;
    expect(a.accepts(ADD_ONE)).toBe(false);
    expect(a.send(ADD_ONE)).toBe(false);
    expect(a.snapshot).toBe(locked);
    b.send({ type: 'lock' });
    expect(b.send({ type: 'add', n: 1 })).toBe(false); // refused by key as well as by object
    expect(b.snapshot).toBe(locked);
  });

  it('tells listeners the state it came from, once per accepted event', () => {
    const cell = new MachineCell<CounterEvent>(counter, 'c');
    const seen: number[] = [];
    cell.listener = (_cell, from) => seen.push((from.context as { n: number }).n);
    cell.send(ADD_ONE);
    cell.send(ADD_ONE);
    cell.send({ type: 'lock' });
    cell.send(ADD_ONE); // refused: no call
    expect(seen).toEqual([0, 1, 2]);
  });

  it('goes on stepping correctly across the memo bound, for old and new cells', () => {
    const old = new MachineCell<CounterEvent>(counter, 'old');
    old.send({ type: 'add', n: 7 });
    const runner = new MachineCell<CounterEvent>(counter, 'runner');
    for (let i = 0; i < 20_050; i++) runner.send(ADD_ONE); // past MEMO_STATES_MAX distinct states
    expect(runner.context).toEqual({ n: 20_050 });
    expect(old.send(ADD_ONE)).toBe(true);
    expect(old.context).toEqual({ n: 8 });
    const fresh = new MachineCell<CounterEvent>(counter, 'fresh');
    for (let i = 0; i < 8; i++) fresh.send(ADD_ONE);
    expect(fresh.snapshot).toBe(old.snapshot);
  });

  it('tags a state value once per distinct state, for every cell in that state (valueTag)', () => {
    const calls: string[] = [];
    const tag = (value: string) => (calls.push(value), value.length * 100 + calls.length);
    const a = new MachineCell<CounterEvent>(counter, 'a');
    const b = new MachineCell<CounterEvent>(counter, 'b');
    const open = a.valueTag(tag);
    expect(open).toBe('open'.length * 100 + calls.length);
    expect(b.valueTag(tag)).toBe(open); // the same state: the number kept, no second call
    // A step to another state of the same value (context changed) is another state: tagged from its value again.
    a.send({ type: 'add', n: 7 });
    const added = a.valueTag(tag);
    expect(Math.floor(added / 100)).toBe('open'.length);
    a.send({ type: 'lock' });
    b.send({ type: 'add', n: 7 });
    b.send({ type: 'lock' });
    expect(Math.floor(a.valueTag(tag) / 100)).toBe('locked'.length);
    expect(b.valueTag(tag)).toBe(a.valueTag(tag));
    expect(calls).toEqual(['open', 'open', 'locked']); // once per distinct (value, context)
  });
});
