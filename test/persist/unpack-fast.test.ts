/**
 * unpackGraph and readGraph give a class instance fast properties whatever its field count: assigned by computed
 * keys (or defined), one with more than ~16 fields became a dictionary (V8), and so did every copy of it, which made
 * a worker thread's worlds (unpacked: explore-worker.ts) and a restored engine step, key and copy slower. Same fields,
 * same order.
 */
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Explorer } from '../../src/check/explorer.js';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { packWorld, unpackWorld } from '../../src/check/world-pack.js';
import { copyGraph, packGraph, readGraph, unpackGraph, writeGraph } from '../../src/persist/graph.js';
import { reachable } from '../../src/persist/reachable.js';
import { persistable, registeredClass } from '../../src/persist/registry.js';

setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

/**
 * A class of `n` fields, new per test: V8 shares the shapes objects go through as fields are added, so an instance
 * another test already filled fast would let this one follow its shapes and stay fast whatever the filling.
 */
function wide(name: string, n: number): object {
  class Wide {
    readonly fields: Record<string, number> = {};
    constructor() {
      for (let i = 0; i < n; i++) (this as unknown as Record<string, number>)[`f${i}`] = i;
    }
  }
  persistable(`test.unpackFast.${name}.${n}`, Wide, { transient: ['cache'] });
  return new Wide();
}

/**
 * The two ways back from a graph: packed bytes (worker threads), and the JSON snapshot (createVMM({ snapshot }),
 * checkpoints). readGraph first: the world test cannot make its classes anew (see wide()).
 */
const ROUND_TRIPS: [string, <T>(root: T) => T, (world: World) => World][] = [
  ['readGraph', <T>(root: T) => readGraph(JSON.parse(JSON.stringify(writeGraph(root)))) as T, (world) => readGraph(JSON.parse(JSON.stringify(writeGraph(world))))],
  ['unpackGraph', <T>(root: T) => unpackGraph<T>(packGraph(root)), (world) => unpackWorld(packWorld(world))],
];

describe.each(ROUND_TRIPS)('%s keeps class instances in fast mode', (name, roundTrip, worldTrip) => {
  it.each([3, 16, 17, 40, 100])('%i fields: fast, same fields in the same order, transient field added', (n) => {
    const original = wide(name, n);
    const back = roundTrip(original);
    expect(Object.getPrototypeOf(back)).toBe(Object.getPrototypeOf(original));
    expect(hasFastProperties(back)).toBe(true);
    expect(Object.keys(back)).toEqual([...Object.keys(original), 'cache']);
    for (const key of Object.keys(original)) expect((back as unknown as Record<string, unknown>)[key]).toEqual((original as unknown as Record<string, unknown>)[key]);
    expect(hasFastProperties(copyGraph(back))).toBe(true);
  });

  it("a world's widest objects (World, VmCore, Vmm, scheduler), read back and copied, are fast", () => {
    const x = new Explorer(parseScenario({ cpus: 6, clients: [['powerOn', 'suspend'], ['powerOff']] }), { por: false, symmetry: false, liveness: false });
    const built = World.build(x.scenario, x.worldOptions);
    built.step(0);
    for (const world of [worldTrip(built), copyGraph(worldTrip(built))]) {
      for (const obj of [world, world.core, world.vmm, world.sched] as object[]) expect(hasFastProperties(obj), obj.constructor.name).toBe(true);
    }
  });
});

/**
 * Unpacked, a world's class instances have their fields in the order the engine's own have them (transient ones in
 * their place, not appended; a machine cell's in its constructor's order): one shape per class, so the copier's
 * compiled fills and the engine's field accesses meet one. Before, 13 classes (World, VmCore, Vmm, Emt, the cells …)
 * came back in another order, and a kept world snapshot was copied field by field ever after.
 */
describe('unpackGraph gives class instances their usual field order', () => {
  it('every class instance of a mid-run world: some original instance of its class has a prefix of its fields', () => {
    const x = new Explorer(parseScenario({ cpus: 4, clients: [['powerOn', 'suspend'], ['powerOff']] }), { por: false, symmetry: false, liveness: false });
    const built = World.build(x.scenario, x.worldOptions);
    for (let i = 0; i < 20; i++) built.step(0);
    const orders = (root: object): Map<object, string[][]> => {
      const byClass = new Map<object, string[][]>();
      for (const v of reachable(root).keys()) {
        if (typeof v !== 'object' || v === null || !registeredClass(v)) continue;
        const proto = Object.getPrototypeOf(v) as object;
        byClass.set(proto, [...(byClass.get(proto) ?? []), Object.keys(v)]);
      }
      return byClass;
    };
    const original = orders(built);
    const misplaced: string[] = [];
    for (const [proto, lists] of orders(unpackWorld(packWorld(built)))) {
      const known = original.get(proto) ?? [];
      for (const keys of lists) if (!known.some((o) => o.every((key, i) => keys[i] === key))) misplaced.push(`${(proto as { constructor: { name: string } }).constructor.name}: ${keys.join(',')}`);
    }
    expect(misplaced).toEqual([]);
    expect(original.size).toBeGreaterThan(30);
  });
});

/** A record of a registered class whose fields the test sets (field names as a snapshot from elsewhere may hold them). */
class Bag {}
persistable('test.unpackFast.Bag', Bag);
const bag = (fields: Record<string, number>): Bag => Object.assign(new Bag(), fields);

/**
 * A field named like a setter of its class's prototype comes back defined, and the setter never runs. `name` must be a
 * field list not read before: the generated fillers are cached by field list (graph-assign.ts), so a list read once
 * takes the same way again.
 */
function noSetterRuns(roundTrip: <T>(root: T) => T, name: 'trap' | 'snare'): void {
  let ran = 0;
  class Guarded {
    set trap(_v: unknown) {
      ran++;
    }
    set snare(_v: unknown) {
      ran++;
    }
  }
  persistable(`test.unpackFast.Guarded.${name}.${++guardedClasses}`, Guarded);
  const obj = Object.defineProperty(new Guarded(), name, { value: 7, enumerable: true, writable: true, configurable: true });
  const back = roundTrip(obj) as unknown as Record<string, number>;
  expect(ran).toBe(0);
  expect(Object.getOwnPropertyDescriptor(back, name)?.value).toBe(7);
}
let guardedClasses = 0;

// The fillers' cache is the module's, shared by both ways back, and the case with more field lists than it keeps
// fills it for good. So each way meets the setter case once through a generated filler and once field by field:
// readGraph 'trap' first (a filler is made), 'snare' after the cache is full; unpackGraph 'snare' (no filler, the
// cache full), then 'trap' (readGraph's filler). Before, readGraph met it only after the cache was full, on a way
// that defines every field anyway: the case passed with the accessor check removed.
describe.each(ROUND_TRIPS)('%s reads field names from input as they are', (_name, roundTrip) => {
  it('names that a joined list would confuse (a NUL inside a name) keep their objects apart', () => {
    const back = roundTrip([bag({ 'a\u0000b': 1 }), bag({ a: 2, b: 3 }), bag({ 'a\u0000b': 4 })]);
    expect(back.map((o) => ({ ...o }))).toEqual([{ 'a\u0000b': 1 }, { a: 2, b: 3 }, { 'a\u0000b': 4 }]);
  });

  it('a field named like an accessor of the prototype is defined, not assigned (no setter runs)', () => {
    noSetterRuns(roundTrip, _name === 'readGraph' ? 'trap' : 'snare');
  });

  it('more field lists than the generated fillers are kept for are still read whole, and still run no setter', () => {
    const bags = Array.from({ length: 1_100 }, (_, i) => bag({ [`only${i}`]: i, shared: -i }));
    const back = roundTrip(bags);
    back.forEach((o, i) => expect({ ...o }).toEqual({ [`only${i}`]: i, shared: -i }));
    noSetterRuns(roundTrip, _name === 'readGraph' ? 'snare' : 'trap');
  });
});
