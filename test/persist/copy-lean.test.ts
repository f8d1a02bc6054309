/**
 * A world copy makes only what the world uses (issue 12's copy cost: most of a checker transition is copying).
 * Parts most worlds never use are made at first use: guest RAM's page bitmaps and page picker (a VM whose guest
 * never writes memory and is never live-saved), an EMT's halt semaphore (GLOBAL_1, the checker's method, blocks in
 * GVMM instead), an engine's `system` record; and what is only counted or stateless is no object of its own (the
 * engine's id counters, a request pool's statistics, GVMM's scan wake-up index). Goal: a copy of a mid-run world
 * makes none of these; made later, they work as before (the semaphore still signals, the bitmaps still track);
 * and a semaphore made but idle keys as none (the snapshot key), so worlds do not split on it.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/check/scenario.js';
import { snapshotDiff } from '../../src/check/snapshot-key.js';
import { World } from '../../src/check/world.js';
import { copyGraph } from '../../src/persist/graph.js';
import { classNameOf, reachable } from '../../src/persist/reachable.js';
import { savedStateOf } from '../../src/ssm/vm-units.js';
import { haltOf } from '../../src/vmm/halt/state.js';

const RACE = { cpus: 4, clients: [['powerOn', 'suspend'], ['powerOff']] };
const HALTING = { cpus: 2, halt: 'on', config: { HaltMethod: 'GLOBAL_1' }, clients: [['powerOn', 'suspend', 'resume', 'powerOff']] };

/** The class names of the objects a copy of `world` makes (not reachable from the original). */
function madeByCopy(world: World): string[] {
  const before = reachable(world);
  return [...reachable(copyGraph(world)).keys()].filter((v) => !before.has(v) && typeof v === 'object').map((v) => classNameOf(v as object));
}

const midRun = (scenario: object, steps: number): World => {
  const world = World.build(parseScenario(scenario), { properties: [] });
  for (let i = 0; i < steps && !world.terminal; i++) world.step(0);
  return copyGraph(copyGraph(world)); // a copy's copy, as the checker's worlds are
};

describe('a world copy makes only what the world uses', () => {
  it.each([
    ['the race on 4 vCPUs', RACE, 20],
    ['a GLOBAL_1 halting VM', HALTING, 30],
  ] as const)('%s: no RAM bitmaps, page picker, idle semaphores, counter records, system record or scan index', (_name, scenario, steps) => {
    const made = madeByCopy(midRun(scenario, steps));
    for (const name of ['Uint8Array', 'Prng', 'EventSem', 'VmmSystem', 'ScanIndex']) expect(made, name).not.toContain(name);
    // Plain records: only those the world's own data needs (the counters are fields of their owners now).
    const world = midRun(scenario, steps);
    expect(Object.keys(world.pool)).not.toContain('stats');
    expect(Object.keys(world.vmm)).not.toContain('ids');
  });

  it('the engine still counts: ids go on from the copy, the pool statistics add up', () => {
    const world = midRun(RACE, 20);
    const copy = copyGraph(world);
    const stats = world.pool.stats;
    expect(stats.AllocNew + stats.AllocRecycled).toBeGreaterThan(0);
    expect(copy.pool.stats).toEqual(stats);
    expect(copy.vmm.nextId('req')).toBe(world.vmm.nextId('req'));
    expect(copy.vmm.system.get(world.vm.systemId)).toBe(copy.vm);
  });

  it('guest RAM made lazily tracks, writes and forgets as before', () => {
    const ram = savedStateOf(midRun(RACE, 20).core).ram;
    expect([ram.isNonZero(3), ram.isDirty(3), ram.dirtyDataPages()]).toEqual([false, false, 0]);
    ram.startTracking();
    expect([ram.isDirty(3), ram.dirtyPages, ram.dirtyDataPages()]).toEqual([true, ram.pageCount, 0]);
    ram.write(3);
    ram.clearDirty(4);
    expect([ram.isNonZero(3), ram.dirtyPages, ram.dirtyDataPages()]).toEqual([true, ram.pageCount - 1, 1]);
    ram.stopTracking();
    expect([ram.isDirty(3), ram.dirtyPages, ram.isNonZero(3)]).toEqual([false, 0, true]);
    ram.setPage(3, null);
    expect(ram.isNonZero(3)).toBe(false);
  });

  it('a semaphore made but idle keys as none; a signalled one does not', () => {
    const world = midRun(HALTING, 30);
    const touched = copyGraph(world);
    const idle = haltOf(touched.core).sem(1); // made now, idle
    expect([idle.signalled, idle.waiting]).toEqual([false, false]);
    expect(snapshotDiff(world, touched)).toBeNull();
    idle.signal();
    expect(snapshotDiff(world, touched)).not.toBeNull();
    expect(madeByCopy(touched)).toContain('EventSem'); // a used one is copied
  });
});
