/**
 * A world copy makes no closure of its own (issue 12 "Performance": a fresh closure per copy, made by a revive
 * that listens again, makes V8's allocation-site pretenuring move every copy to the old generation, ~2x the
 * copy's cost). The cells of EMTs, vCPUs, request packets and rendezvous share one listener that finds its owner
 * through the cell; the VM facade listens as itself. The copy still reports every edge, attributed as before.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { copyGraph } from '../../src/persist/graph.js';
import { codeStamp } from '../../src/persist/registry.js';
import { haltOf, queryHaltStats } from '../../src/vmm/halt/state.js';
import { componentsOf } from '../../src/vmm/lifecycle.js';
import type { VmTraceEvent } from '../../src/vmm/vm-core.js';

const SCENARIOS: [string, object][] = [
  ['race, 4 vCPUs', { cpus: 4, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['rendezvous one-by-one ∥ reqCallWait all', { cpus: 3, clients: [['powerOn', { call: 'emtRendezvous', type: 'one-by-one' }], [{ call: 'reqCallWait', target: 'all' }]] }],
];

/** Every function reachable from `root` (own enumerable fields, Map and Set members), by its first path. */
function functionsOf(root: unknown): Map<Function, string> {
  const seen = new Set<unknown>();
  const found = new Map<Function, string>();
  const visit = (value: unknown, path: string): void => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
    seen.add(value);
    if (typeof value === 'function') return void found.set(value, path);
    if (value instanceof Map) return value.forEach((v, k) => (visit(k, `${path}.<key>`), visit(v, `${path}.<value>`)));
    if (value instanceof Set) return [...value].forEach((v, i) => visit(v, `${path}.<${i}>`));
    for (const [key, v] of Object.entries(value)) visit(v, `${path}.${key}`);
  };
  visit(root, '');
  return found;
}

/** Functions in `copy` that `original` does not hold (closures, and code bound again), named by their paths. */
function freshFunctions(original: unknown, copy: unknown): [Function, string][] {
  const before = functionsOf(original);
  return [...functionsOf(copy)].filter(([fn]) => !before.has(fn));
}

/** Closures (not code-table functions) in `copy` that `original` does not hold: made by the copy's revives. */
function freshClosures(original: unknown, copy: unknown): string[] {
  return freshFunctions(original, copy).filter(([fn]) => !codeStamp(fn)).map(([, path]) => path);
}

// Functions a copy used to make that a record (an owner field, a method) replaces: system.get; the world's listener;
// the watched pool's alloc; a GVMM handle cell's listener; a client call's receiver (the client itself); the
// world's SSMR3Cancel component; the saved-state context's listener (it listens as itself).
const REPLACED = /\.system\.get$|\.pool\.alloc$|\.table\.cells\.\d+\.listener$|\.listeners\.<\d+>$|\.onDone$|\.ssmCancel$/;
const replacedPaths = (original: unknown, copy: unknown): string[] =>
  freshFunctions(original, copy)
    .filter(([, path]) => REPLACED.test(path))
    .map(([fn, path]) => `${codeStamp(fn)?.name ?? 'closure'} ${path}`);

// Cell listeners, the VM's listener set and its end-of-life call: the engine's and the facade's revives.
const REVIVED = /\.listener$|\.listeners\.<\d+>$|\.onEnd$/;

describe('a world copy makes no closure', () => {
  it.each(SCENARIOS)('%s: at every step, no revived listener is a new closure', (_name, json) => {
    const world = World.build(parseScenario(json), { properties: [] });
    for (let step = 0; step < 60 && !world.terminal; step++) {
      const copy = copyGraph(world);
      expect(freshClosures(world, copy).filter((path) => REVIVED.test(path))).toEqual([]);
      // Nor is code bound again: the halt method's cell reports through its owner too.
      expect(haltOf(copy.core).cell.listener).toBe(haltOf(world.core).cell.listener);
      // Neither a closure nor code bound again where a record now answers.
      expect(replacedPaths(world, copy)).toEqual([]);
      expect(copy.pool.watcher).toBe(copy.labels); // the copy's packets are named in the copy's tables
      expect(copy.vmm.system.get(copy.vm.systemId)).toBe(copy.vm);
      // SSMR3Cancel counts in the world whose VM calls it, the copy's in the copy.
      const cancels = [world.cancels, copy.cancels];
      componentsOf(copy.core).ssmCancel(copy.core);
      expect([world.cancels, copy.cancels]).toEqual([cancels[0], cancels[1]! + 1]);
      world.step(step % world.choiceCount());
    }
  });

  it.each(SCENARIOS)('%s: at every step, the copy binds no code the original does not hold bound to its own records', (_name, json) => {
    // An operation reports as its call record and a call not yet started holds its operation as code plus data:
    // neither external.report nor external.reqCallStart (nor any other code) is bound again per copy, except
    // the scenario's own reqCall callback (it stands for an embedder's function: a ReqFn is a function by the API).
    const world = World.build(parseScenario(json), { properties: [] });
    const rebound = new Map<string, number>();
    for (let step = 0; step < 60 && !world.terminal; step++) {
      for (const [fn] of freshFunctions(world, copyGraph(world))) {
        const name = codeStamp(fn)?.name ?? 'closure';
        if (name !== 'check.scenarioCallback') rebound.set(name, (rebound.get(name) ?? 0) + 1);
      }
      world.step(step % world.choiceCount());
    }
    expect(Object.fromEntries(rebound)).toEqual({});
  });

  it.each(SCENARIOS)('%s: the copy reports the same edges as the original, owners included', (_name, json) => {
    const original = World.build(parseScenario(json), { properties: [] });
    for (let step = 0; step < 3; step++) original.step(0);
    const copy = copyGraph(original);
    const heard = (world: World): VmTraceEvent[] => {
      const events: VmTraceEvent[] = [];
      world.core.listeners.add((event) => events.push({ ...event, tNs: 0 }));
      for (let step = 0; step < 40 && !world.terminal; step++) world.step(0);
      return events;
    };
    const expected = heard(original);
    for (const kind of ['emt', 'cpu-state', 'request']) expect(expected.some((e) => e.kind === kind)).toBe(true);
    expect(expected.filter((e) => e.kind === 'cpu-state').every((e) => e.cpu >= 0)).toBe(true);
    expect(heard(copy)).toEqual(expected);
  });
});

describe('a world copy makes fewer objects', () => {
  it.each(SCENARIOS)('%s: empty request lanes are shared, counters of what never happened are not made', (_name, json) => {
    const world = World.build(parseScenario(json), { properties: [] });
    let emptyLanes = 0;
    for (let step = 0; step < 60 && !world.terminal; step++) {
      const copy = copyGraph(world);
      const queues = [world.core.globalQueue, ...world.core.cpuQueues];
      const copied = [copy.core.globalQueue, ...copy.core.cpuQueues];
      queues.forEach((queue, i) => {
        for (const lane of ['priority', 'normal'] as const) {
          if (queue[lane].length > 0) expect(copied[i]![lane]).not.toBe(queue[lane]);
          else expect((emptyLanes++, copied[i]![lane])).toBe(queue[lane]);
        }
      });
      // Halt off: no EMT halts, so no EMT's halt counters exist (a query still reads zeros).
      expect(haltOf(copy.core).cpus.map((c) => c.statsRecord)).toEqual(haltOf(copy.core).cpus.map(() => null));
      expect(queryHaltStats(copy.core).total.cHalts).toBe(0);
      // The calls by thread id are found in threadCall, not in an index the copy would copy too.
      expect('threadById' in copy.labels).toBe(false);
      for (const [thread, call] of copy.labels.threadCall) expect(copy.labels.callOfThread(thread.id)).toBe(call);
      world.step(step % world.choiceCount());
    }
    expect(emptyLanes).toBeGreaterThan(0);
  });

  it.each(SCENARIOS)('%s: the copy makes no call table or stream until used; dispose() still ends the streams', (_name, json) => {
    const world = World.build(parseScenario(json), { properties: [] });
    world.step(0);
    const copy = copyGraph(world);
    const host = copy.vmm as unknown as Record<string, unknown>;
    expect([host.calls, host.callResolvers, host.lifeEvents, host.restoredCallEvents]).toEqual([null, null, null, null]);
    const heard: string[] = [];
    copy.vmm.vms$.subscribe({ complete: () => heard.push('vms$ before') });
    copy.vmm.dispose();
    copy.vmm.vms$.subscribe({ complete: () => heard.push('vms$ after') });
    copy.vmm.restoredCalls$.subscribe({ complete: () => heard.push('restoredCalls$ after') });
    expect(heard).toEqual(['vms$ before', 'vms$ after', 'restoredCalls$ after']);
  });
});
