/**
 * What a world copy shares instead of copying (issue 12 "Performance": the checker's world copy): a parsed
 * scenario is read-only data, so it is deeply frozen and every copy of a world holds the same object; the
 * copy still behaves as the original (world-graph.test.ts checks the copy's graph and its steps).
 */
import { describe, expect, it } from 'vitest';
import { parseScenario, refrozenScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { copyGraph, readGraph, writeGraph } from '../../src/persist/graph.js';
import { packWorld, unpackWorld } from '../../src/check/world-pack.js';
import { persistable } from '../../src/persist/registry.js';
import { RendezvousFrame } from '../../src/vmm/rendezvous.js';

const SCENARIOS: object[] = [
  { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] },
  { cpus: 2, halt: 'on', config: { HaltMethod: 'GLOBAL_1' }, clients: [['powerOn', 'suspend', 'resume', 'powerOff']] },
  { cpus: 3, clients: [['powerOn', { call: 'emtRendezvous', type: 'one-by-one' }], [{ call: 'reqCallWait', target: 'all' }]] },
];

/** Every object reachable from `value` through own enumerable fields. */
function objectsOf(value: unknown, into: object[] = []): object[] {
  if (typeof value !== 'object' || value === null) return into;
  into.push(value);
  for (const key of Object.keys(value)) objectsOf((value as Record<string, unknown>)[key], into);
  return into;
}

describe('world copies share the parsed scenario', () => {
  it.each(SCENARIOS.map((s) => [JSON.stringify(s), s]))('%s', (_name, scenario) => {
    const spec = parseScenario(scenario);
    for (const part of objectsOf(spec)) expect(Object.isFrozen(part)).toBe(true);
    const world = World.build(spec, { properties: [] });
    world.step(0);
    const copy = copyGraph(world) as unknown as { scenario: unknown };
    expect(copy.scenario).toBe((world as unknown as { scenario: unknown }).scenario);
    expect(copy.scenario).toBe(spec);
  });

  // A search thread or a parallel worker receives the parsed scenario by structured clone, which drops freezing.
  it.each(SCENARIOS.map((s) => [JSON.stringify(s), s]))('%s, sent to a worker thread', (_name, scenario) => {
    const sent = structuredClone(parseScenario(scenario));
    expect(Object.isFrozen(sent)).toBe(false);
    const spec = refrozenScenario(sent);
    expect(spec).toEqual(parseScenario(scenario));
    for (const part of objectsOf(spec)) expect(Object.isFrozen(part)).toBe(true);
    const world = World.build(spec, { properties: [] });
    world.step(0);
    const copy = copyGraph(world) as unknown as { scenario: unknown; clients: { pending: unknown }[] };
    expect(copy.scenario).toBe(spec);
    for (const [i, client] of world.clients.entries()) if (client.pending !== null) expect(copy.clients[i]!.pending).toBe(client.pending);
  });
});

/**
 * The engine's configuration records never change after they are made (VMR3Create's config, the halt options,
 * Halt.Method12 and the virtual-sync figures are replaced, never edited; a world's engine variant is set once
 * World.build has created the VM): they are frozen, so every world copy
 * holds the same object, and a world that sets them (a halt-method switch re-reads Method12) replaces its own.
 */
describe('world copies share the frozen engine records', () => {
  const records = (world: World): Record<string, unknown> => {
    const halt = world.core.halt as unknown as Record<string, unknown>;
    const variant = world as unknown as { faults: object; machines: object };
    return { 'vm.config': world.core.config, 'halt.options': halt.options, 'halt.method1': halt.method1, 'halt.virtualSync': halt.virtualSync, 'vmm.config': world.vmm.config, 'world.faults': variant.faults, 'world.machines': variant.machines };
  };

  it.each(SCENARIOS.map((s) => [JSON.stringify(s), s]))('%s', (_name, scenario) => {
    const world = World.build(parseScenario(scenario), { properties: [] });
    for (let i = 0; i < 30 && !world.terminal; i++) world.step(0); // past the power-on (the halt method's pfnInit)
    const copy = copyGraph(world);
    const before = records(world);
    for (const [name, record] of Object.entries(records(copy))) {
      expect(Object.isFrozen(before[name]), name).toBe(true);
      expect(record, name).toBe(before[name]);
    }
    // The copy goes on alone: what it replaces is its own; the original keeps its records.
    for (let i = 0; i < 100 && !copy.terminal; i++) copy.step(copy.choiceCount() - 1);
    (copy.core.halt as unknown as { virtualSync: object }).virtualSync = Object.freeze({ catchUpPct: 25, lagNs: 1 });
    expect(records(world)).toEqual(before);
    for (const [name, record] of Object.entries(records(world))) expect(record, name).toBe(before[name]);
  });
});

/**
 * Lists that are empty in most worlds are the one frozen EMPTY_LIST until their first item (they take an array of
 * their own then, and give it back when they empty), and records that never change once made are frozen data (a
 * client's call and results, an EMT's frame stack, a packet's or rendezvous' label, the checker's name tables, an engine's implementations
 * and rebuilt options, a VM's last state changes, an EMT's METHOD_1 history before METHOD_1 writes it, GVMM's
 * config, handle links and scan index, the vCPUs' guest run times, a packet's arguments, the machine cells their
 * holders replace at each transition):
 * a world copy shares them instead of making each again (the checker's time is mostly copying).
 */
describe('world copies share empty lists and records that never change', () => {
  const shared = (world: World): Record<string, unknown> => {
    const core = world.core as unknown as Record<string, unknown>;
    const timers = (world.sched as unknown as { timers: { heap: unknown } }).timers;
    const labels = world.labels;
    const client = world.clients.find((c) => c.pending !== null);
    const empty = (list: unknown): unknown => ((list as unknown[]).length === 0 ? list : undefined); // a list is shared while empty
    const lists = {
      'vm.atState': core.atState, 'vm.atError': core.atError, 'vm.atRuntimeError': core.atRuntimeError, 'vm.resetWaiters': core.resetWaiters,
      'saved.saveFlows': (core.ssm as { saveFlows: unknown }).saveFlows, 'sched.choices': world.sched.choices, 'timers.heap': timers.heap,
    };
    return {
      ...Object.fromEntries(Object.entries(lists).map(([name, list]) => [name, empty(list)])),
      'vmm.implementations': world.vmm.implementations, 'vmm.options.hooks': world.vmm.options.hooks, 'vmm.options.components': world.vmm.options.components,
      'vmm.restoredCalls': world.vmm.restoredCalls, 'world.monitors': world.monitors,
      'vm.lastState': (world.vm as unknown as { lastState: unknown }).lastState, 'vm.lastCpu[0]': (world.vm as unknown as { lastCpu: unknown[] }).lastCpu[0],
      'vm.lastCpu': (world.vm as unknown as { lastCpu: unknown[] }).lastCpu, 'gvmm.table.links': (world.vmm.gvmm.table as unknown as { links: unknown }).links,
      'gvmm.schedOps.index (scan)': world.vmm.gvmm.schedOps.index.kind === 'scan' ? world.vmm.gvmm.schedOps.index : undefined,
      'halt.cpus[0].method1 (before METHOD_1 writes it)': (world.core.halt as unknown as { cpus: { method1: object }[] }).cpus[0]!.method1,
      // An EMT's halt record and GVMM's vCPU record while they hold only data (before the first halt).
      'halt.cpus (a record never written)': world.core.halt!.cpus.find((record) => Object.isFrozen(record)),
      'gvm.cpus (a record never written)': world.vmm.gvmm.table.gvmOf(world.core.handle)?.cpus.find((record) => Object.isFrozen(record)),
      'labels.processing (an idle CPU)': labels.processing.find((stack) => stack.length === 0),
      'emt.frames (an EMT in no frame)': world.core.emts.find((emt) => emt.frames.length === 0)?.frames,
      'vm.cpuStates[0] (a vCPU state, replaced at each transition)': world.core.cpuStates[0], 'vm.cpuStates': world.core.cpuStates,
      // Held cells: frozen, replaced by their holder at each transition.
      'emt.cell (an EMT loop)': world.core.emts[0]!.cell, 'halt.cell (the halt method)': world.core.halt!.cell,
      'gvmm handle cell': world.vmm.gvmm.table.cell(world.core.handle),
      "a live packet's cell": [...labels.reqs.keys()].find((req) => req.state !== 'FREE')?.cell,
      "a request call's cell": [...labels.reqs.keys()].find((req) => req.caller !== null)?.caller?.cell,
      "a rendezvous' cell": world.core.rendezvousLock?.cell,
      "a rendezvous member's cell": world.core.emts.map((emt) => emt.top()).find((frame): frame is RendezvousFrame => frame instanceof RendezvousFrame)?.cell,
      'client.pending': client?.pending, 'client.results': world.clients.find((c) => c.results.length > 0)?.results,
      'labels.allocs': (labels as unknown as { allocs: object }).allocs, 'labels.rendezvous': (labels as unknown as { rendezvous: object }).rendezvous,
      'gvmm.config': world.vmm.gvmm.config, 'saved.execNs': (core.ssm as { execNs: unknown }).execNs, 'saved.execSince': (core.ssm as { execSince: unknown }).execSince,
      'a live packet\'s args': [...labels.reqs.keys()].find((req) => req.state !== 'FREE' && req.args.length > 0)?.args,
      'labels.reqs (a label)': [...labels.reqs.values()][0], 'labels.threadCall (a call)': [...labels.threadCall.values()][0],
    };
  };

  /** The entries some scenario's world held (each must be met, or its check is vacuous). */
  const met = new Set<string>();

  it.each(SCENARIOS.map((s) => [JSON.stringify(s), s]))('%s', (_name, scenario) => {
    const world = World.build(parseScenario(scenario), { properties: [] });
    for (let i = 0; i < 12 && !world.terminal; i++) world.step(0); // mid-run: a call in flight
    const copy = copyGraph(world);
    const before = shared(world);
    for (const [name, value] of Object.entries(shared(copy))) {
      if (before[name] === undefined) continue; // not in this world (no such call, list or label)
      met.add(name);
      expect(value, name).toBe(before[name]);
    }
    expect(Object.values(before).filter((value) => value !== undefined).length).toBeGreaterThanOrEqual(26);
    // Without halt methods no EMT's halt record nor GVMM vCPU record is written (with them, notifications count).
    if (!('halt' in scenario)) for (const name of ['halt.cpus (a record never written)', 'gvm.cpus (a record never written)']) expect(before[name], name).toBeDefined();
    // A copy of a copy shares its engine's options (the first copy rebuilt them from the embedder's).
    expect(copyGraph(copy).vmm.options).toBe(copy.vmm.options);
    // The copy goes on alone: the lists it fills are its own; the original's stay as they were.
    for (let i = 0; i < 400 && !copy.terminal; i++) copy.step(copy.choiceCount() - 1);
    for (const [name, value] of Object.entries(shared(world))) expect(value, name).toBe(before[name]);
  });

  it('meets every entry in some scenario', () => {
    const world = World.build(parseScenario(SCENARIOS[0]), { properties: [] });
    expect(Object.keys(shared(world)).filter((name) => !met.has(name))).toEqual([]);
  });
});

/**
 * The copier's verdicts on frozen data are cached in a WeakMap started afresh every few thousand entries (frozen
 * records replaced at every write would grow one without bound: graph-shared.ts). Whatever the cache has seen, a
 * deeply frozen record is shared, a frozen record holding something mutable is copied, and a frozen cycle is
 * shared: judged before, after and across many restarts. A frozen instance of a registered class copied by its fields
 * alone (no hook; its transient fields empty) is data too (VmHalt.cpus' idle records, an idle request queue).
 */
/** Registered classes for the frozen-instance cases: copied by their fields (one with a transient field), or revived. */
class Tally {
  constructor(
    readonly name: string,
    readonly counts: readonly number[],
  ) {}
}
persistable('test.copySharing.Tally', Tally);
class Attached {
  readonly n = 1;
  constructor(readonly host: object | undefined) {}
}
persistable('test.copySharing.Attached', Attached, { transient: ['host'] });
class Revived {
  readonly n = 1;
}
persistable('test.copySharing.Revived', Revived, { revive: () => {} });

describe('frozen data is judged alike across the copier cache restarts', () => {
  const cycle = (): object => {
    const a: { next?: object } = {};
    const b = { prev: a };
    a.next = Object.freeze(b);
    return Object.freeze(a);
  };
  const CASES: [string, () => object, boolean, object?][] = [
    ['a deeply frozen record', () => Object.freeze({ kind: 'state', from: 'OFF', to: 'RUNNING', tNs: 1 }), true],
    ['a frozen list of frozen records', () => Object.freeze([Object.freeze({ cpu: 0 }), Object.freeze({ cpu: 1 })]), true],
    ['a frozen record holding a mutable list', () => Object.freeze({ items: [1, 2] }), false],
    ['a frozen list holding a mutable record', () => Object.freeze([Object.freeze({ a: 1 }), { b: 2 }]), false],
    ['a frozen cycle', cycle, true],
    ['a frozen instance of a class copied field by field, holding data', () => Object.freeze(new Tally('a', Object.freeze([1]))), true],
    ['an unfrozen instance of that class', () => new Tally('a', Object.freeze([1])), false],
    ['a frozen instance of that class holding a mutable list', () => Object.freeze(new Tally('a', [1])), false],
    ['a frozen instance of a class with a transient field, empty', () => Object.freeze(new Attached(undefined)), true],
    // Copied, and the copy's transient field is empty (a host attachment stays with its world).
    ['a frozen instance of that class with its transient field set', () => Object.freeze(new Attached(Object.freeze({ watcher: 1 }))), false, new Attached(undefined)],
    ['a frozen instance of a class its revive hook sets up', () => Object.freeze(new Revived()), false],
  ];
  it.each(CASES)('%s', (_name, make, shared, copied) => {
    const kept = make();
    for (let round = 0; round < 3; round++) {
      const fresh = make();
      const copy = copyGraph({ kept, fresh });
      expect(copy.kept === kept, 'met again').toBe(shared);
      expect(copy.fresh === fresh, 'met first').toBe(shared);
      if (!shared) expect(copy.fresh).toEqual(copied ?? fresh);
      // Thousands of short-lived frozen records, as a checker run makes: the cache starts afresh in between.
      for (let i = 0; i < 5_000; i++) copyGraph({ r: Object.freeze({ i, t: Object.freeze([i]) }) });
    }
  });
});

/**
 * A held cell (an EMT's loop, a packet, a rendezvous …) is written in place while its engine is nobody's copy; a
 * world copy freezes it and shares it, and from then on its holder replaces it at each transition, so the copy's
 * cell stays as it was.
 */
describe('held cells: in place until a copy freezes them, replaced after', () => {
  it('an EMT loop cell', () => {
    const world = World.build(parseScenario(SCENARIOS[0]), { properties: [] });
    const emt = world.core.emts[0]!;
    const first = emt.cell;
    for (let i = 0; i < 12 && !world.terminal; i++) world.step(0);
    expect(Object.isFrozen(emt.cell)).toBe(false);
    expect(emt.cell, 'written in place').toBe(first);
    const copy = copyGraph(world);
    expect(Object.isFrozen(emt.cell)).toBe(true);
    expect(copy.core.emts[0]!.cell, 'shared').toBe(emt.cell);
    const shared = emt.cell;
    const before = shared.value;
    let steps = 0;
    for (; steps < 200 && !world.terminal && emt.cell === shared; steps++) world.step(0);
    expect(emt.cell, 'replaced at its next transition').not.toBe(shared);
    expect(shared.value, "the copy's cell unchanged").toBe(before);
    expect(copy.core.emts[0]!.cell).toBe(shared);
  });
});

/**
 * A snapshot keeps what the engine froze while it holds only data (a vCPU's state cell, an EMT's halt record, GVMM's
 * vCPU record, a request queue, the VM state's cell), saved classes included: restored, they are frozen again, so a
 * restored world's copies share them as the original's do. A held cell that a copy froze only to share it is saved
 * unfrozen (no state).
 */
describe('a snapshot keeps the records frozen while they hold only data', () => {
  const frozenParts = (world: World): boolean[] => {
    const gvm = world.vmm.gvmm.table.gvmOf(world.core.handle)!;
    return [world.core.cpuStates[0]!, world.core.cpuStates, world.core.halt!.cpus[0]!, gvm.cpus[0]!, world.core.queue(1), world.core.state].map((part) => Object.isFrozen(part));
  };
  const ways: [string, (world: World) => World][] = [
    ['JSON (writeGraph / readGraph)', (world) => readGraph(JSON.parse(JSON.stringify(writeGraph(world)))) as World],
    ['binary (packWorld / unpackWorld)', (world) => unpackWorld(packWorld(world))],
  ];
  it.each(ways)('%s', (_name, roundTrip) => {
    const world = World.build(parseScenario(SCENARIOS[0]), { properties: [] });
    for (let i = 0; i < 12 && !world.terminal; i++) world.step(0);
    copyGraph(world); // freezes the held cells (shared from then on)
    expect(frozenParts(world)).toEqual([true, true, true, true, true, true]);
    expect(Object.isFrozen(world.core.emts[0]!.cell)).toBe(true);
    const restored = roundTrip(world);
    expect(frozenParts(restored)).toEqual(frozenParts(world));
    // A held cell frozen only to be shared is saved as the engine's own: restored, it is written in place again.
    expect(Object.isFrozen(restored.core.emts[0]!.cell)).toBe(false);
    expect(copyGraph(restored).core.cpuStates[0]).toBe(restored.core.cpuStates[0]); // shared by its copies
  });
});
