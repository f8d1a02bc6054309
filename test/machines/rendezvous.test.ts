/**
 * The EMT rendezvous machine and its helpers, with no runtime (VMM.cpp, vbox-facts.md §6).
 *
 * Goal: pin down the pure parts the runtime builds on: the compare-and-swap status merge of
 * vmmR3EmtRendezvousCommon (§6.4), the two-status merge helper of VMMR3EmtRendezvous (§6.5), what a non-caller
 * returns (vmmR3EmtRendezvousNonCallerReturn), who runs first and next for each type, and the machine's walk
 * begin → enter×n → callbackDone×n → return×(n-1) → finish.
 *
 * Method: table-driven checks of the helpers; the machine is driven with XState's pure `initialTransition` /
 * `transition` (nothing is executed), asserting state and counters after every event, and that every event a
 * state does not take leaves the snapshot untouched.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import {
  allowsRecursion, firstRunner, informationalPart, mergeRendezvousStatus, mergeStatus, nextRunner,
  RENDEZVOUS_RECURSION_MAX, rendezvousFlags, rendezvousMachine, rendezvousTypeOf, RV_PRIORITY, RV_STOP_ON_ERROR,
  RV_TYPE_MASK, RV_VALID_MASK, type RendezvousEvent, type RendezvousType,
} from '../../machines/rendezvous.js';
import {
  VERR_DEADLOCK, VERR_VM_INVALID_VM_STATE, VERR_VM_UNEXPECTED_VM_STATE, VINF_EM_OFF, VINF_EM_RESET, VINF_EM_RESUME,
  VINF_EM_SUSPEND, VINF_SUCCESS,
} from '../../src/status.js';

type Snapshot = SnapshotFrom<typeof rendezvousMachine>;
type OrderedType = Exclude<RendezvousType, 'invalid'>;

const TYPES: readonly OrderedType[] = ['one-by-one', 'all-at-once', 'once', 'ascending', 'descending'];
const CPUS = [2, 3, 4, 8] as const;

describe('VMMEMTRENDEZVOUS_FLAGS (vmm.h)', () => {
  it('has the §6.1 values', () => {
    expect(RV_TYPE_MASK).toBe(0x7);
    expect(RV_STOP_ON_ERROR).toBe(0x8);
    expect(RV_PRIORITY).toBe(0x10);
    expect(RV_VALID_MASK).toBe(0x1f);
  });

  it.each([
    ['one-by-one', {}, 0x1],
    ['all-at-once', {}, 0x2],
    ['once', {}, 0x3],
    ['ascending', {}, 0x4],
    ['descending', {}, 0x5],
    ['descending', { stopOnError: true }, 0xd],
    ['descending', { stopOnError: true, priority: true }, 0x1d],
    ['ascending', { priority: true }, 0x14],
  ] as const)('rendezvousFlags(%s, %o) = %i', (type, opts, flags) => {
    expect(rendezvousFlags(type, opts)).toBe(flags);
    // The type survives the other bits.
    expect(rendezvousTypeOf(flags)).toBe(type);
  });

  it.each([0, 6, 7, 0x8, 0x18, 0x1e, 0x1f])('rendezvousTypeOf(%i) is invalid (type 0 or above DESCENDING)', (flags) => {
    expect(rendezvousTypeOf(flags)).toBe('invalid');
  });

  it.each([
    ['one-by-one', true],
    ['all-at-once', false],
    ['once', true],
    ['ascending', true],
    ['descending', true],
    ['invalid', false],
  ] as const)('recursion from inside %s is allowed: %s (§6.6)', (type, allowed) => {
    expect(allowsRecursion(type)).toBe(allowed);
  });

  it('limits the recursion depth to 3 (cRendezvousRecursions < 3)', () => {
    expect(RENDEZVOUS_RECURSION_MAX).toBe(3);
  });
});

describe('vmmR3EmtRendezvousCommon: i32RendezvousStatus compare-and-swap (§6.4)', () => {
  // [current, new, stored]
  it.each([
    // Success is never stored.
    [VINF_SUCCESS, VINF_SUCCESS, VINF_SUCCESS],
    [VINF_EM_SUSPEND, VINF_SUCCESS, VINF_EM_SUSPEND],
    [VERR_VM_INVALID_VM_STATE, VINF_SUCCESS, VERR_VM_INVALID_VM_STATE],
    // Anything replaces success.
    [VINF_SUCCESS, VINF_EM_SUSPEND, VINF_EM_SUSPEND],
    [VINF_SUCCESS, VERR_VM_INVALID_VM_STATE, VERR_VM_INVALID_VM_STATE],
    // The first failure sticks, even against a numerically lower failure or any informational code.
    [VERR_VM_INVALID_VM_STATE, VERR_VM_UNEXPECTED_VM_STATE, VERR_VM_INVALID_VM_STATE],
    [VERR_VM_UNEXPECTED_VM_STATE, VERR_VM_INVALID_VM_STATE, VERR_VM_UNEXPECTED_VM_STATE],
    [VERR_VM_INVALID_VM_STATE, VINF_EM_OFF, VERR_VM_INVALID_VM_STATE],
    // A failure replaces any informational code.
    [VINF_EM_SUSPEND, VERR_VM_INVALID_VM_STATE, VERR_VM_INVALID_VM_STATE],
    [VINF_EM_OFF, VERR_DEADLOCK, VERR_DEADLOCK],
    // Among EM codes the lowest number wins, whichever comes first.
    [VINF_EM_SUSPEND, VINF_EM_OFF, VINF_EM_OFF],
    [VINF_EM_OFF, VINF_EM_SUSPEND, VINF_EM_OFF],
    [VINF_EM_RESET, VINF_EM_SUSPEND, VINF_EM_SUSPEND],
    [VINF_EM_SUSPEND, VINF_EM_RESUME, VINF_EM_SUSPEND],
    // Equal values are ignored.
    [VINF_EM_SUSPEND, VINF_EM_SUSPEND, VINF_EM_SUSPEND],
    [VERR_VM_INVALID_VM_STATE, VERR_VM_INVALID_VM_STATE, VERR_VM_INVALID_VM_STATE],
  ])('mergeRendezvousStatus(%i, %i) = %i', (current, next, stored) => {
    expect(mergeRendezvousStatus(current, next)).toBe(stored);
  });

  it('folds SUSPEND, RESET, OFF in any order to OFF, and a failure anywhere to that failure', () => {
    const fold = (codes: number[]) => codes.reduce(mergeRendezvousStatus, VINF_SUCCESS);
    const em = [VINF_EM_SUSPEND, VINF_EM_RESET, VINF_EM_OFF];
    for (const codes of permutations(em)) expect(fold(codes)).toBe(VINF_EM_OFF);
    for (const codes of permutations([...em, VERR_VM_INVALID_VM_STATE])) expect(fold(codes)).toBe(VERR_VM_INVALID_VM_STATE);
    // Two failures: the first one wins, not the lower one.
    expect(fold([VINF_EM_OFF, VERR_VM_INVALID_VM_STATE, VERR_VM_UNEXPECTED_VM_STATE])).toBe(VERR_VM_INVALID_VM_STATE);
    expect(fold([VERR_VM_UNEXPECTED_VM_STATE, VINF_EM_OFF, VERR_VM_INVALID_VM_STATE])).toBe(VERR_VM_UNEXPECTED_VM_STATE);
  });
});

describe('VMMR3EmtRendezvous: status merge helper (§6.5)', () => {
  // If new ≠ VINF_SUCCESS and (cur == VINF_SUCCESS or cur > new), then cur = new.
  it.each([
    [VINF_SUCCESS, VINF_SUCCESS, VINF_SUCCESS],
    [VINF_EM_SUSPEND, VINF_SUCCESS, VINF_EM_SUSPEND],
    [VINF_SUCCESS, VINF_EM_SUSPEND, VINF_EM_SUSPEND],
    [VINF_EM_SUSPEND, VINF_EM_OFF, VINF_EM_OFF],
    [VINF_EM_OFF, VINF_EM_SUSPEND, VINF_EM_OFF],
    [VINF_EM_SUSPEND, VINF_EM_SUSPEND, VINF_EM_SUSPEND],
    // A failure beats any informational code, in either position.
    [VINF_EM_SUSPEND, VERR_VM_INVALID_VM_STATE, VERR_VM_INVALID_VM_STATE],
    [VERR_VM_INVALID_VM_STATE, VINF_EM_SUSPEND, VERR_VM_INVALID_VM_STATE],
    [VINF_SUCCESS, VERR_DEADLOCK, VERR_DEADLOCK],
    [VERR_DEADLOCK, VINF_SUCCESS, VERR_DEADLOCK],
    // Unlike the compare-and-swap, two failures give the numerically lower one.
    [VERR_VM_INVALID_VM_STATE, VERR_VM_UNEXPECTED_VM_STATE, VERR_VM_UNEXPECTED_VM_STATE],
    [VERR_VM_UNEXPECTED_VM_STATE, VERR_VM_INVALID_VM_STATE, VERR_VM_UNEXPECTED_VM_STATE],
  ])('mergeStatus(%i, %i) = %i', (current, next, merged) => {
    expect(mergeStatus(current, next)).toBe(merged);
  });
});

describe('vmmR3EmtRendezvousNonCallerReturn: informational part only', () => {
  it.each([
    [VINF_SUCCESS, VINF_SUCCESS],
    [VINF_EM_SUSPEND, VINF_EM_SUSPEND],
    [VINF_EM_OFF, VINF_EM_OFF],
    [VERR_VM_INVALID_VM_STATE, VINF_SUCCESS],
    [VERR_DEADLOCK, VINF_SUCCESS],
  ])('informationalPart(%i) = %i (failures are for the caller only)', (rc, part) => {
    expect(informationalPart(rc)).toBe(part);
  });
});

describe('vmmR3EmtRendezvousCommon: who runs first and next (§6.4 Enter, Done)', () => {
  it.each(CPUS)('firstRunner with %i vCPUs: ASCENDING 0, DESCENDING n-1, ONE_BY_ONE/ONCE the last arriver', (n) => {
    for (let last = 0; last < n; last++) {
      expect(firstRunner('ascending', n, last)).toBe(0);
      expect(firstRunner('descending', n, last)).toBe(n - 1);
      expect(firstRunner('one-by-one', n, last)).toBe(last);
      expect(firstRunner('once', n, last)).toBe(last);
      expect(firstRunner('all-at-once', n, last)).toBeNull();
      expect(firstRunner('invalid', n, last)).toBeNull();
    }
  });

  it.each(CPUS)('nextRunner with %i vCPUs: ASCENDING idCpu+1, DESCENDING cCpus-cDone-1, others the shared event', (n) => {
    // cDone is the count after this EMT finished.
    for (let cDone = 1; cDone < n; cDone++) {
      const ascendingCpu = cDone - 1;
      const descendingCpu = n - cDone;
      expect(nextRunner('ascending', ascendingCpu, cDone, n)).toBe(ascendingCpu + 1);
      expect(nextRunner('descending', descendingCpu, cDone, n)).toBe(descendingCpu - 1);
      expect(nextRunner('descending', descendingCpu, cDone, n)).toBe(n - cDone - 1);
      expect(nextRunner('one-by-one', ascendingCpu, cDone, n)).toBeNull();
      expect(nextRunner('all-at-once', ascendingCpu, cDone, n)).toBeNull();
      expect(nextRunner('once', ascendingCpu, cDone, n)).toBeNull();
    }
  });

  it.each(CPUS)('chaining firstRunner and nextRunner with %i vCPUs gives 0..n-1 and n-1..0', (n) => {
    for (const [type, expected] of [
      ['ascending', range(n)],
      ['descending', range(n).reverse()],
    ] as const) {
      const order = [firstRunner(type, n, 0)!];
      while (order.length < n) order.push(nextRunner(type, order[order.length - 1]!, order.length, n)!);
      expect(order).toEqual(expected);
    }
  });
});

/** One step of the machine: XState's pure transition, nothing executed. */
function step(snapshot: Snapshot, event: RendezvousEvent): Snapshot {
  return transition(rendezvousMachine, snapshot, event)[0];
}

/** Idle → entering with the given rendezvous. */
function begin(type: OrderedType, n: number, caller: number, opts: { stopOnError?: boolean; depth?: number } = {}): Snapshot {
  const [idle] = initialTransition(rendezvousMachine);
  expect(idle.value).toBe('idle');
  const flags = rendezvousFlags(type, opts);
  return step(idle, { type: 'begin', flags, cCpus: n, caller, depth: opts.depth ?? 0 });
}

/** The order the callbacks run in, given the arrival order (the last arriver is arrivals[n-1]). */
function expectedRunOrder(type: OrderedType, arrivals: readonly number[]): number[] {
  const n = arrivals.length;
  const last = arrivals[n - 1]!;
  switch (type) {
    case 'ascending':
      return range(n);
    case 'descending':
      return range(n).reverse();
    case 'once':
      return [last];
    case 'one-by-one':
      // The last arriver runs at once; the rest take the shared event (here: in arrival order).
      return [last, ...arrivals.slice(0, -1)];
    case 'all-at-once':
      return [...arrivals];
  }
}

/**
 * Drive one full rendezvous through the machine, asserting after every event. The caller arrives first;
 * the others arrive as 1, 2, …, n-2 and EMT 0 last, so the last arriver is neither the caller nor the first in
 * DESCENDING order.
 */
function driveRendezvous(type: OrderedType, n: number, rcOf: (cpu: number) => number = () => VINF_SUCCESS): Snapshot {
  const caller = n - 1;
  const arrivals = [caller, ...range(n - 1).map((i) => (i + 1) % (n - 1))];
  let s = begin(type, n, caller);
  expect(s.value).toBe('entering');
  expect(s.context).toMatchObject({ type, cCpus: n, caller, depth: 0, status: VINF_SUCCESS, cEntered: 0, cDone: 0, cReturned: 0 });

  // Enter ×n: the last arrival moves to running and signals the first in order.
  for (const [i, cpu] of arrivals.entries()) {
    s = step(s, { type: 'enter', cpu });
    expect(s.context.cEntered).toBe(i + 1);
    if (i < n - 1) {
      expect(s.value).toBe('entering');
      expect(s.context.runner).toBeNull();
      expect(s.context.released).toBe(false);
    }
  }
  expect(s.value).toBe('running');
  expect(s.context.released).toBe(type === 'all-at-once');
  expect(s.context.runner).toBe(firstRunner(type, n, arrivals[n - 1]!));

  // callbackDone ×n (×1 for ONCE), in the type's order.
  const order = expectedRunOrder(type, arrivals);
  for (const [i, cpu] of order.entries()) {
    if (type === 'one-by-one' && i > 0) {
      // The shared "enter one by one" event was signalled by the previous EMT; this one takes it.
      expect(s.context.token).toBe(true);
      s = step(s, { type: 'takeTurn', cpu });
      expect(s.context.token).toBe(false);
      expect(s.context.runner).toBe(cpu);
    } else if (type === 'ascending' || type === 'descending' || i === 0) {
      expect(s.context.runner).toBe(type === 'all-at-once' ? null : cpu);
    }
    s = step(s, { type: 'callbackDone', cpu, rc: rcOf(cpu), ran: true });
    expect(s.context.cDone).toBe(i + 1);
    expect(s.context.order).toEqual(order.slice(0, i + 1));
    expect(s.context.ran).toEqual(order.slice(0, i + 1));
    if (i < order.length - 1) {
      expect(s.value).toBe('running');
      if (type === 'ascending' || type === 'descending') expect(s.context.runner).toBe(order[i + 1]);
      expect(s.context.token).toBe(type === 'one-by-one');
    }
  }
  // The done multi-event is signalled: nobody holds a turn any more.
  expect(s.value).toBe('returning');
  expect(s.context.runner).toBeNull();
  expect(s.context.token).toBe(false);

  // return ×(n-1): every non-caller leaves; the (n-1)th signals DoneCaller.
  const nonCallers = arrivals.filter((cpu) => cpu !== caller);
  for (const [i, cpu] of nonCallers.entries()) {
    expect(s.value).toBe('returning');
    s = step(s, { type: 'return', cpu });
    expect(s.context.cReturned).toBe(i + 1);
  }
  expect(s.value).toBe('finishing');

  // finish: the caller reads the status and drops the lock.
  const status = s.context.status;
  s = step(s, { type: 'finish' });
  expect(s.value).toBe('idle');
  expect(s.context.status).toBe(status);
  return s;
}

describe('vmmR3EmtRendezvousCommon: the rendezvous machine, one full walk', () => {
  const cases = TYPES.flatMap((type) => CPUS.map((cpus) => ({ type, cpus })));

  it.each(cases)('$type with $cpus vCPUs: begin, enter×n, callbackDone, return×(n-1), finish', ({ type, cpus }) => {
    const s = driveRendezvous(type, cpus);
    expect(s.context.status).toBe(VINF_SUCCESS);
    expect(s.context.cEntered).toBe(cpus);
    expect(s.context.cDone).toBe(type === 'once' ? 1 : cpus);
    expect(s.context.cReturned).toBe(cpus - 1);
  });

  it.each(cases)('$type with $cpus vCPUs: merges SUSPEND/RESET/OFF to the lowest', ({ type, cpus }) => {
    const codes = [VINF_EM_SUSPEND, VINF_EM_RESET, VINF_EM_OFF];
    const s = driveRendezvous(type, cpus, (cpu) => codes[cpu % 3]!);
    if (type === 'once') {
      // Only the last arriver (EMT 0 here: arrivals are n-1, 1, …, n-2, 0) runs the callback.
      expect(s.context.ran).toEqual([0]);
      expect(s.context.status).toBe(VINF_EM_SUSPEND);
    } else {
      expect(s.context.status).toBe(cpus >= 3 ? VINF_EM_OFF : VINF_EM_SUSPEND);
    }
  });

  it.each(cases.filter((c) => c.type !== 'once'))('$type with $cpus vCPUs: a failure beats every EM code', ({ type, cpus }) => {
    const s = driveRendezvous(type, cpus, (cpu) => (cpu === 1 ? VERR_VM_INVALID_VM_STATE : VINF_EM_OFF));
    expect(s.context.status).toBe(VERR_VM_INVALID_VM_STATE);
  });

  it('starts clean when it is begun again after finish', () => {
    const first = driveRendezvous('descending', 4, (cpu) => (cpu === 3 ? VERR_VM_INVALID_VM_STATE : VINF_SUCCESS));
    expect(first.context.status).toBe(VERR_VM_INVALID_VM_STATE);
    const again = step(first, { type: 'begin', flags: rendezvousFlags('ascending'), cCpus: 2, caller: 0, depth: 2 });
    expect(again.value).toBe('entering');
    expect(again.context).toMatchObject({
      type: 'ascending', cCpus: 2, caller: 0, depth: 2, status: VINF_SUCCESS, cEntered: 0, cDone: 0, cReturned: 0,
      runner: null, token: false, released: false, order: [], ran: [],
    });
  });

  it('records begin flags: STOP_ON_ERROR, caller, depth', () => {
    const s = begin('descending', 4, 2, { stopOnError: true, depth: 1 });
    expect(s.context).toMatchObject({ flags: 0xd, type: 'descending', stopOnError: true, caller: 2, depth: 1 });
  });

  it('STOP_ON_ERROR: the skipped EMTs count as done but not as ran, and the first failure stays', () => {
    let s = begin('descending', 4, 3, { stopOnError: true });
    for (const cpu of [3, 2, 1, 0]) s = step(s, { type: 'enter', cpu });
    s = step(s, { type: 'callbackDone', cpu: 3, rc: VERR_VM_INVALID_VM_STATE, ran: true });
    for (const cpu of [2, 1, 0]) s = step(s, { type: 'callbackDone', cpu, rc: VINF_SUCCESS, ran: false });
    expect(s.value).toBe('returning');
    expect(s.context.order).toEqual([3, 2, 1, 0]);
    expect(s.context.ran).toEqual([3]);
    expect(s.context.status).toBe(VERR_VM_INVALID_VM_STATE);
  });
});

describe('vmmR3EmtRendezvousCommon: events a state does not take change nothing', () => {
  const events = (cpu: number): RendezvousEvent[] => [
    { type: 'begin', flags: rendezvousFlags('ascending'), cCpus: 2, caller: 0, depth: 0 },
    { type: 'enter', cpu },
    { type: 'takeTurn', cpu },
    { type: 'callbackDone', cpu, rc: VINF_SUCCESS, ran: true },
    { type: 'return', cpu },
    { type: 'finish' },
  ];
  const accepted: Record<string, readonly RendezvousEvent['type'][]> = {
    idle: ['begin'],
    entering: ['enter'],
    running: ['takeTurn', 'callbackDone'],
    returning: ['return'],
    finishing: ['finish'],
  };

  /** One snapshot per state value, from a 3-vCPU ONE_BY_ONE walk (so takeTurn can be accepted in running). */
  function snapshotsByState(): Map<string, Snapshot> {
    const seen = new Map<string, Snapshot>();
    let s = initialTransition(rendezvousMachine)[0];
    const note = () => seen.has(s.value) || seen.set(s.value, s);
    note();
    const script: RendezvousEvent[] = [
      { type: 'begin', flags: rendezvousFlags('one-by-one'), cCpus: 3, caller: 0, depth: 0 },
      { type: 'enter', cpu: 0 },
      { type: 'enter', cpu: 1 },
      { type: 'enter', cpu: 2 },
      { type: 'callbackDone', cpu: 2, rc: VINF_SUCCESS, ran: true },
    ];
    for (const event of script) {
      s = step(s, event);
      note();
    }
    // Running with the token free (EMT 2 done): record this one for running.
    seen.set('running', s);
    for (const event of [
      { type: 'takeTurn', cpu: 1 },
      { type: 'callbackDone', cpu: 1, rc: VINF_SUCCESS, ran: true },
      { type: 'takeTurn', cpu: 0 },
      { type: 'callbackDone', cpu: 0, rc: VINF_SUCCESS, ran: true },
      { type: 'return', cpu: 1 },
      { type: 'return', cpu: 2 },
    ] as RendezvousEvent[]) {
      s = step(s, event);
      note();
    }
    return seen;
  }

  const states = snapshotsByState();

  it('reaches every state', () => {
    expect([...states.keys()].sort()).toEqual(['entering', 'finishing', 'idle', 'returning', 'running']);
  });

  it.each(Object.keys(accepted))('in %s, events outside its list return the same snapshot', (value) => {
    const s = states.get(value)!;
    for (const event of events(0)) {
      const next = step(s, event);
      if (accepted[value]!.includes(event.type)) continue;
      expect(next, `${value} + ${event.type}`).toBe(s);
    }
  });

  it('takeTurn is refused when the shared event is not signalled, for an EMT that ran, and for other types', () => {
    // ONE_BY_ONE, just after everyone entered: the last arriver runs, the token is not signalled.
    let s = begin('one-by-one', 3, 0);
    for (const cpu of [0, 1, 2]) s = step(s, { type: 'enter', cpu });
    expect(s.context.token).toBe(false);
    expect(step(s, { type: 'takeTurn', cpu: 0 })).toBe(s);
    s = step(s, { type: 'callbackDone', cpu: 2, rc: VINF_SUCCESS, ran: true });
    expect(s.context.token).toBe(true);
    expect(step(s, { type: 'takeTurn', cpu: 2 })).toBe(s); // EMT 2 already ran
    const taken = step(s, { type: 'takeTurn', cpu: 1 });
    expect(taken.context).toMatchObject({ token: false, runner: 1 });
    expect(step(taken, { type: 'takeTurn', cpu: 0 })).toBe(taken); // nobody signalled again yet

    // DESCENDING never uses the shared event.
    let d = begin('descending', 3, 0);
    for (const cpu of [0, 1, 2]) d = step(d, { type: 'enter', cpu });
    d = step(d, { type: 'callbackDone', cpu: 2, rc: VINF_SUCCESS, ran: true });
    expect(step(d, { type: 'takeTurn', cpu: 1 })).toBe(d);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}
