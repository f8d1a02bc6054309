/**
 * State keys identify states by content, never by history: no raw request ids, thread ids, rendezvous counters
 * or XState session ids. Goal: the same prefix gives the same key in two worlds; two different orders that end
 * in the same situation give the same key (the diamond merges); a real difference (a call's result pending or
 * not) changes it; symmetry maps renamed vCPUs to one key. Method: build worlds, step them, compare keys.
 */
import { describe, expect, it } from 'vitest';
import { BUILT_IN_PROPERTIES } from '../../src/check/invariants/index.js';
import { KeyWriter } from '../../src/check/key-writer.js';
import { parseScenario } from '../../src/check/scenario.js';
import { encodeWorld, identityOrder } from '../../src/check/state-key.js';
import { symmetryOf } from '../../src/check/symmetry.js';
import { World } from '../../src/check/world.js';

const keyOf = (world: World, symmetry = false) => {
  const key = new KeyWriter();
  encodeWorld(world, key, symmetryOf(world.scenario, symmetry).order(world) ?? identityOrder(world.core.cCpus));
  key.hash();
  return `${key.hi.toString(16)}:${key.lo.toString(16)}`;
};

const run = (scenario: ReturnType<typeof parseScenario>, choices: number[]) => {
  const world = World.build(scenario, { properties: BUILT_IN_PROPERTIES });
  for (const c of choices) world.step(c);
  return world;
};

/** Step by actor id prefix, so a test can say "client A, then client B". */
const byActor = (world: World, ...ids: string[]) => {
  for (const id of ids) {
    const i = world.ready().findIndex((a) => a.id === id);
    if (i < 0) throw new Error(`${id} is not ready (${world.ready().map((a) => a.id).join(', ')})`);
    world.step(i);
  }
  return world;
};

describe('state key', () => {
  const scenario = parseScenario({ cpus: 2, clients: [['powerOn'], ['powerOff']] });

  it('is the same for the same prefix in two worlds', () => {
    expect(keyOf(run(scenario, [0, 0, 1, 0]))).toBe(keyOf(run(scenario, [0, 0, 1, 0])));
  });

  it('merges two orders of independent steps (clients issuing their calls)', () => {
    const ab = byActor(World.build(scenario, { properties: BUILT_IN_PROPERTIES }), 'client.A', 'client.B');
    const ba = byActor(World.build(scenario, { properties: BUILT_IN_PROPERTIES }), 'client.B', 'client.A');
    // The threads got different ext.N ids in the two orders; keys name them after their calls.
    const threadOf = (w: World, call: string) => [...w.labels.threadCall].find(([, c]) => c.label === call)![0].id;
    expect(threadOf(ab, 'A#0')).not.toBe(threadOf(ba, 'A#0'));
    expect(keyOf(ab)).toBe(keyOf(ba));
  });

  it('tells states apart that differ in what can happen next', () => {
    const issued = byActor(World.build(scenario, { properties: BUILT_IN_PROPERTIES }), 'client.A');
    const idle = World.build(scenario, { properties: BUILT_IN_PROPERTIES });
    expect(keyOf(issued)).not.toBe(keyOf(idle));
  });

  it('with symmetry, maps states that differ by a renaming of vCPUs to one key', () => {
    const rv = parseScenario({ cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'all-at-once' }]] });
    // Let the rendezvous start, then let a different EMT enter it first in each world.
    const start = (world: World) => {
      byActor(world, 'client.A');
      while (!world.core.rendezvousLock) world.step(0);
      return world;
    };
    const one = start(World.build(rv, { properties: BUILT_IN_PROPERTIES }));
    const two = start(World.build(rv, { properties: BUILT_IN_PROPERTIES }));
    // Two EMTs that are not the caller are about to join; one world lets the first in, the other the second.
    const joining = (w: World) =>
      w.ready().filter((a) => a.id.includes('/emt.') && w.core.emts.find((e) => e.id === a.id)!.frames.length === 0).map((a) => a.id);
    expect(joining(one)).toHaveLength(2);
    byActor(one, joining(one)[0]!);
    byActor(two, joining(two)[1]!);
    expect(keyOf(one)).not.toBe(keyOf(two));
    expect(keyOf(one, true)).toBe(keyOf(two, true));
  });

  it('holds the state of a vmR3SaveTeleport flow in progress (machines/vm-save-teleport.ts)', () => {
    const world = World.build(parseScenario({ cpus: 2, clients: [['powerOn', 'save']] }), { properties: BUILT_IN_PROPERTIES });
    const flows = () => world.core.ssm?.saveFlows ?? [];
    for (let i = 0; i < 500 && flows()[0]?.cell.value !== 'livePrep'; i++) world.step(0);
    const flow = flows()[0]!;
    const cell = flow.cell;
    expect(cell.value).toBe('livePrep');
    const before = keyOf(world);
    // The same world with the flow one wait further (the exec run's thread step) must not merge with it.
    flow.cell = cell.frozenAfter({ type: 'exec' })!;
    expect(flow.cell.value).toBe('liveExec');
    expect(keyOf(world)).not.toBe(before);
    flow.cell = cell;
    expect(keyOf(world)).toBe(before);
  });
});

describe('KeyWriter.sortLast: an unordered collection written in any order gives one encoding', () => {
  it.each([
    ['empty tail', [7], [], [7]],
    ['one entry', [7], [3], [7, 3]],
    ['entries in reverse', [1, 2], [9, -4, 5, 0], [1, 2, -4, 0, 5, 9]],
    ['duplicates and extremes', [], [2 ** 31 - 1, -(2 ** 31), 2, 2], [-(2 ** 31), 2, 2, 2 ** 31 - 1]],
  ])('%s', (_name, head, tail, expected) => {
    const key = new KeyWriter();
    for (const v of head) key.w(v);
    for (const v of tail) key.w(v);
    key.sortLast(tail.length);
    expect(key.snapshot()).toEqual(expected);
    // Any other order of the tail, the same words.
    const again = new KeyWriter();
    for (const v of head) again.w(v);
    for (const v of [...tail].reverse()) again.w(v);
    again.sortLast(tail.length);
    expect(again.snapshot()).toEqual(expected);
  });
});
