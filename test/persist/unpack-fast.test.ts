/**
 * unpackGraph gives a class instance fast properties whatever its field count: assigned by computed keys, one
 * with more than ~16 fields became a dictionary (V8), and so did every copy of it, which made a worker thread's
 * worlds (unpacked: explore-worker.ts) step, key and copy slower than one thread's. Same fields, same order.
 */
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Explorer } from '../../src/check/explorer.js';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { packWorld, unpackWorld } from '../../src/check/world-pack.js';
import { copyGraph, packGraph, unpackGraph } from '../../src/persist/graph.js';
import { persistable } from '../../src/persist/registry.js';

setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

class Wide {
  readonly fields: Record<string, number> = {};
  constructor(n: number) {
    for (let i = 0; i < n; i++) (this as unknown as Record<string, number>)[`f${i}`] = i;
  }
}
persistable('test.unpackFast.Wide', Wide, { transient: ['cache'] });

describe('unpackGraph keeps class instances in fast mode', () => {
  it.each([3, 16, 17, 40, 100])('%i fields: fast, same fields in the same order, transient field added', (n) => {
    const wide = new Wide(n);
    const back = unpackGraph<Wide>(packGraph(wide));
    expect(back).toBeInstanceOf(Wide);
    expect(hasFastProperties(back)).toBe(true);
    expect(Object.keys(back)).toEqual([...Object.keys(wide), 'cache']);
    for (const key of Object.keys(wide)) expect((back as unknown as Record<string, unknown>)[key]).toEqual((wide as unknown as Record<string, unknown>)[key]);
    expect(hasFastProperties(copyGraph(back))).toBe(true);
  });

  it("a world's widest objects (World, VmCore, Vmm, scheduler), unpacked and copied, are fast", () => {
    const x = new Explorer(parseScenario({ cpus: 6, clients: [['powerOn', 'suspend'], ['powerOff']] }), { por: false, symmetry: false, liveness: false });
    const built = World.build(x.scenario, x.worldOptions);
    built.step(0);
    for (const world of [unpackWorld(packWorld(built)), copyGraph(unpackWorld(packWorld(built)))]) {
      for (const obj of [world, world.core, world.vmm, world.sched] as object[]) expect(hasFastProperties(obj), obj.constructor.name).toBe(true);
    }
  });
});
