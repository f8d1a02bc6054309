/**
 * Goal: `createVMM({ inspect })` accepts any inspector XState accepts — a function, an observer — and
 * @statelyai/inspect's inspectors, and each sees the engine's actors as XState actors with stable sessionIds.
 * Method: the same deterministic lifecycle with each kind of inspector; @statelyai/inspect's `createInspector`
 * gets a recording adapter (its events arrive on its own deferred schedule, so the test awaits the last one).
 */
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { describe, expect, it } from 'vitest';
import { emtMachine } from '../../machines/emt.js';
import { vmMachine } from '../../machines/vm.js';
import { withProtocol } from '../../src/inspect/inspector.js';
import type { ShapedInspectionEvent } from '../../src/inspect/xstate-shape.js';
import { lifecycle, SYSTEM_ID } from './helpers.js';

const vmValues = (events: ShapedInspectionEvent[]) =>
  events.flatMap((e) => (e.type === '@xstate.snapshot' && e.actorRef.sessionId === 'vm.1' ? [(e.snapshot as unknown as { value: string }).value] : []));

const LIFECYCLE = ['CREATED', 'POWERING_ON', 'RUNNING', 'POWERING_OFF', 'OFF', 'DESTROYING', 'TERMINATED'];

describe('createVMM({ inspect }) with XState inspectors', () => {
  it.each([
    ['a function', (push: (e: ShapedInspectionEvent) => void) => push],
    ['an observer', (push: (e: ShapedInspectionEvent) => void) => ({ next: push })],
    ['an { inspect } inspector object', (push: (e: ShapedInspectionEvent) => void) => ({ inspect: push })],
  ])('delivers XState-shaped events to %s', async (_name, make) => {
    const events: ShapedInspectionEvent[] = [];
    await lifecycle(make((e) => events.push(e)));
    expect(vmValues(events)).toEqual(LIFECYCLE);
    const actor = events.find((e) => e.type === '@xstate.actor' && e.actorRef.sessionId === 'vm.1/cpu.1')!;
    const ref = actor.actorRef as ShapedInspectionEvent['actorRef'] & { systemId: string; _parent: { sessionId: string }; logic: unknown };
    expect([ref.systemId, ref._parent.sessionId, actor.rootId]).toEqual(['vm.1/cpu.1', 'vm.1', 'vm.1']);
    const vmActor = events.find((e) => e.type === '@xstate.actor' && e.actorRef.sessionId === 'vm.1')!;
    expect((vmActor.actorRef as unknown as { logic: unknown }).logic).toBe(vmMachine);
    const powerOn = events.find((e) => e.type === '@xstate.event' && e.event.type === 'powerOn')!;
    expect(powerOn.type === '@xstate.event' && powerOn.sourceRef?.sessionId).toBe('vm.1/emt.1');
    expect(events.every((e) => SYSTEM_ID.test(e.actorRef.sessionId))).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
  });

  it('delivers the v6 form to an inspector tagged withProtocol(…, "v6")', async () => {
    const events: ShapedInspectionEvent[] = [];
    await lifecycle(withProtocol((e) => events.push(e), 'v6'));
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['@xstate.actor', '@xstate.transition']));
    const vm = events.filter((e) => e.type === '@xstate.transition' && e.actorRef.sessionId === 'vm.1' && e.record.type === '@xstate.transition' && e.record.transitions.length > 0);
    expect(vm.map((e) => (e as unknown as { snapshot: { value: string } }).snapshot.value)).toEqual(LIFECYCLE);
  });

  it('feeds @statelyai/inspect (the XState v5 successor of @xstate/inspect) with systemIds as session ids', async () => {
    const sent: StatelyInspectionEvent[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const inspector = createInspector({
      send(event) {
        sent.push(event);
        if (event.type === '@xstate.snapshot' && event.sessionId === 'vm.1' && (event.snapshot as { value?: string }).value === 'TERMINATED') finish();
      },
    });
    await lifecycle(inspector);
    await finished;
    expect(new Set(sent.map((e) => e.type))).toEqual(new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']));
    expect(sent.every((e) => SYSTEM_ID.test(e.sessionId))).toBe(true);
    const actor = sent.find((e) => e.type === '@xstate.actor' && e.sessionId === 'vm.1/emt.0');
    // @statelyai/inspect reads actorRef.getSnapshot() on a timer of its own, and the actorRef is live: the value is
    // whatever state EMT 0 is in by then (as with a real XState actor), so any state of the emt machine.
    expect(actor).toMatchObject({ name: 'emt', parentId: 'vm.1', rootId: 'vm.1' });
    expect(Object.keys(emtMachine.config.states!)).toContain((actor as { snapshot: { value: string } }).snapshot.value);
    expect(JSON.parse((actor as { definition: string }).definition)).toMatchObject({ id: 'emt', initial: 'waiting' });
    const vm = sent.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === 'vm.1').map((e) => (e as { snapshot: { value: string } }).snapshot.value);
    expect(vm).toEqual(LIFECYCLE);
    const destroy = sent.find((e) => e.type === '@xstate.event' && e.sessionId === 'vm.1' && e.event.type === 'destroy');
    expect((destroy as { sourceId?: string }).sourceId).toMatch(/^ext\.\d+$/);
  });
});
