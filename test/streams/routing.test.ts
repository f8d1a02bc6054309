/**
 * Goal: VMR3ReqQueue's routing decision (vbox-facts.md §5.8) and VMR3ReqAlloc's target check (§5.4), as the
 * pure functions in src/streams/routing.ts.
 *
 * Method: one table row per target kind × caller (a thread outside the VM, the target's own EMT, another
 * EMT), written out by hand from §5.8 rather than computed, so the table is the spec:
 *   - a CPU id: that CPU's queue, unless the caller is that CPU's EMT, which runs it inline;
 *   - ANY: the global queue from outside, inline on any EMT;
 *   - ANY_QUEUE: always the global queue, even from an EMT;
 *   - ALL / ALL_REVERSE: every CPU in turn, ascending / descending, whoever the caller is.
 * isValidTarget gets the same treatment: every accepted kind and a list of near misses.
 */
import { describe, expect, it } from 'vitest';
import { isValidTarget, routeRequest, type Route, type RouteTarget } from '../../src/streams/routing.js';

const CPUS = 4;

type Caller = 'outside' | 'own EMT' | 'other EMT';

/** [target, caller, callerCpu, expected route]. For 'any'/'any-queue' "own" and "other" are just two EMTs. */
const ROUTES: ReadonlyArray<readonly [RouteTarget, Caller, number | null, Route]> = [
  // A specific CPU (§5.8 rule 3, and rule 5 for the CPU's own EMT).
  [0, 'outside', null, { kind: 'cpu', cpu: 0 }],
  [0, 'own EMT', 0, { kind: 'inline' }],
  [0, 'other EMT', 3, { kind: 'cpu', cpu: 0 }],
  [1, 'outside', null, { kind: 'cpu', cpu: 1 }],
  [1, 'own EMT', 1, { kind: 'inline' }],
  [1, 'other EMT', 0, { kind: 'cpu', cpu: 1 }],
  [2, 'outside', null, { kind: 'cpu', cpu: 2 }],
  [2, 'own EMT', 2, { kind: 'inline' }],
  [2, 'other EMT', 1, { kind: 'cpu', cpu: 2 }],
  [3, 'outside', null, { kind: 'cpu', cpu: 3 }],
  [3, 'own EMT', 3, { kind: 'inline' }],
  [3, 'other EMT', 2, { kind: 'cpu', cpu: 3 }],
  // VMCPUID_ANY: global queue from a non-EMT thread (rule 4), inline on an EMT (rule 5).
  ['any', 'outside', null, { kind: 'global' }],
  ['any', 'own EMT', 0, { kind: 'inline' }],
  ['any', 'other EMT', 3, { kind: 'inline' }],
  // VMCPUID_ANY_QUEUE: always queued on the global queue (rule 4).
  ['any-queue', 'outside', null, { kind: 'global' }],
  ['any-queue', 'own EMT', 0, { kind: 'global' }],
  ['any-queue', 'other EMT', 3, { kind: 'global' }],
  // VMCPUID_ALL: CPUs 0, 1, …, n−1 one at a time (rule 1), from anywhere.
  ['all', 'outside', null, { kind: 'all', order: [0, 1, 2, 3] }],
  ['all', 'own EMT', 0, { kind: 'all', order: [0, 1, 2, 3] }],
  ['all', 'other EMT', 2, { kind: 'all', order: [0, 1, 2, 3] }],
  // VMCPUID_ALL_REVERSE: n−1 down to 0 (rule 2).
  ['all-reverse', 'outside', null, { kind: 'all', order: [3, 2, 1, 0] }],
  ['all-reverse', 'own EMT', 3, { kind: 'all', order: [3, 2, 1, 0] }],
  ['all-reverse', 'other EMT', 1, { kind: 'all', order: [3, 2, 1, 0] }],
];

describe('VMR3ReqQueue (routeRequest, §5.8)', () => {
  it.each(ROUTES)('target %s from %s (callerCpu %s) on a 4-CPU VM', (target, _caller, callerCpu, expected) => {
    expect(routeRequest(target, callerCpu, CPUS)).toEqual(expected);
  });

  it('covers every target kind with all three callers', () => {
    const kinds = new Set(ROUTES.map(([target]) => (typeof target === 'number' ? 'cpu' : target)));
    expect([...kinds].sort()).toEqual(['all', 'all-reverse', 'any', 'any-queue', 'cpu']);
    for (const kind of kinds) {
      const callers = ROUTES.filter(([t]) => (typeof t === 'number' ? 'cpu' : t) === kind).map(([, caller]) => caller);
      expect(new Set(callers)).toEqual(new Set<Caller>(['outside', 'own EMT', 'other EMT']));
    }
  });

  it.each([
    ['all', [0]],
    ['all-reverse', [0]],
  ] as const)('%s on a 1-CPU VM is just CPU 0', (target, order) => {
    expect(routeRequest(target, null, 1)).toEqual({ kind: 'all', order });
    expect(routeRequest(target, 0, 1)).toEqual({ kind: 'all', order });
  });

  it('ALL and ALL_REVERSE visit every CPU of a large VM exactly once, in opposite orders', () => {
    const up = routeRequest('all', null, 64);
    const down = routeRequest('all-reverse', null, 64);
    expect(up.kind).toBe('all');
    expect(down.kind).toBe('all');
    if (up.kind !== 'all' || down.kind !== 'all') return;
    expect(up.order).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(down.order).toEqual([...up.order].reverse());
  });

  it('returns a fresh order array each time (a caller may consume it)', () => {
    const a = routeRequest('all', null, CPUS);
    const b = routeRequest('all', null, CPUS);
    if (a.kind !== 'all' || b.kind !== 'all') throw new Error('expected all routes');
    a.order.shift();
    expect(b.order).toEqual([0, 1, 2, 3]);
    expect(routeRequest('all', null, CPUS)).toEqual({ kind: 'all', order: [0, 1, 2, 3] });
  });
});

describe('VMR3ReqAlloc target check (isValidTarget, §5.4)', () => {
  it.each<[unknown]>([[0], [1], [2], [3], ['any'], ['any-queue'], ['all'], ['all-reverse']])(
    'accepts %j on a 4-CPU VM',
    (target) => {
      expect(isValidTarget(target, CPUS)).toBe(true);
    },
  );

  it.each<[unknown, string]>([
    [4, 'one past the last CPU'],
    [-1, 'negative'],
    [1.5, 'not an integer'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'infinity'],
    [0xfffffff4, "VirtualBox's raw VMCPUID_ANY: the API spells it 'any'"],
    [0xfffffffd, 'NIL_VMCPUID'],
    ['1', 'a numeric string'],
    ['bogus', 'an unknown name'],
    ['ANY', 'names are case-sensitive'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{}, 'an object'],
  ])('rejects %j (%s)', (target) => {
    expect(isValidTarget(target, CPUS)).toBe(false);
  });

  it('bounds CPU ids by the VM size', () => {
    expect(isValidTarget(0, 1)).toBe(true);
    expect(isValidTarget(1, 1)).toBe(false);
    expect(isValidTarget(63, 64)).toBe(true);
    expect(isValidTarget(64, 64)).toBe(false);
  });
});
