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
import { persistable } from '../../src/persist/registry.js';

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
