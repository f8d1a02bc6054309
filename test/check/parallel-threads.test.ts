/**
 * Who expands in the multi-core search (src/check/parallel.ts, parallel-pool.ts): by default `workers: n` is n
 * worker threads beside a merging main thread, whatever the cores (worker threads get a young generation the main
 * thread cannot: they expand cheaper), and the result is the single-threaded one. And an expanding thread keeps the spare worlds one thread keeps
 * (held-worlds.ts): a later step into any state not yet expanded — of the next level, or of the level being
 * expanded — stands in for a copy, so one expanding thread makes exactly the single-threaded search's copies.
 * A world held for a step into a state that was known when merged is let go of when the main thread says so.
 */
import { describe, expect, it, vi } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { Explorer } from '../../src/check/explorer.js';
import { WorkerPool } from '../../src/check/parallel-pool.js';
import { parallelBreadthFirst } from '../../src/check/parallel.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { packWorld, unpackWorld } from '../../src/check/world-pack.js';
import { World } from '../../src/check/world.js';
import { VBoxError, VERR_VERSION_MISMATCH } from '../../src/status.js';

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
const OFF = { por: false, symmetry: false } as const;

async function parallel(scenario: Scenario, workers: number) {
  const x = new Explorer(parseScenario(scenario), OFF);
  const times = await parallelBreadthFirst(x, workers);
  return { states: x.table.size, transitions: x.transitions, times };
}

describe('which threads expand', () => {
  it.each([2, 3])('%i workers: as many worker threads, each expanding, the single-threaded states and transitions', async (workers) => {
    const single = await explore(race(3), OFF);
    const r = await parallel(race(3), workers);
    expect([r.states, r.transitions]).toEqual([single.states, single.transitions]);
    expect(r.times.workerCpuUs).toHaveLength(workers);
    for (const us of r.times.workerCpuUs) expect(us).toBeGreaterThan(0);
  });
});

describe('one expanding thread copies exactly as one thread does', () => {
  // The race has states stepped into from their own level (a state of depth d reached again from another of
  // depth d): one thread keeps those worlds as spares too, not only those into the next level.
  it('race on 3 and 4 vCPUs, reductions off, one worker thread: the copies of breadthFirst', async () => {
    for (const cpus of [3, 4]) {
      const single = await explore(race(cpus), OFF);
      const r = await parallel(race(cpus), 1);
      expect([r.states, r.transitions]).toEqual([single.states, single.transitions]);
      expect(r.times.workerCpuUs).toHaveLength(1);
      expect(r.times.copies, `${cpus} vCPUs`).toBe(single.copies);
      expect(r.times.spares).toBeGreaterThan(0);
    }
  });
});

describe('each worker may hold as many worlds as one thread keeps', () => {
  // A worker's held worlds live in its own heap: a share of parkedWorlds filled at the widest levels, and the children
  // beyond it travelled packed (packed there, unpacked by the main thread's next taker).
  it('workers: 2, parkedWorlds 8: each worker is set up to hold 8', async () => {
    const open = vi.spyOn(WorkerPool, 'open');
    try {
      const x = new Explorer(parseScenario(race(2)), { ...OFF, parkedWorlds: 8 });
      await parallelBreadthFirst(x, 2);
      expect(open).toHaveBeenCalledTimes(1);
      expect(open.mock.calls[0]![0]).toBe(2);
      expect(open.mock.calls[0]![1].heldMax).toBe(8);
    } finally {
      open.mockRestore();
    }
  });
});

describe('a worker lets go of worlds whose states were known when merged', () => {
  it('an expand request dropping a ticket: the world is no longer held (a pack of it is refused)', async () => {
    const scenario = parseScenario(race(2));
    const pool = await WorkerPool.open(1, { scenario, por: false, symmetry: false, stateKey: undefined, mutant: null, heldMax: 100 });
    try {
      const x = new Explorer(scenario, OFF);
      const root = packWorld(World.build(x.scenario, x.worldOptions));
      const { expansions } = await pool.request(0, { level: 0, kind: 'expand', items: [{ index: 0, ticket: -1, world: root }] });
      const [kept, dropped] = expansions[0]!.steps.filter((s) => s.ticket >= 0).map((s) => s.ticket);
      expect(dropped).toBeDefined();
      await pool.request(0, { level: 1, kind: 'expand', items: [], drop: [dropped!] });
      expect((await pool.request(0, { level: 1, kind: 'pack', tickets: [kept!] })).packed).toHaveLength(1);
      await expect(pool.request(0, { level: 1, kind: 'pack', tickets: [dropped!] })).rejects.toThrow(/no world held under ticket/);
    } finally {
      await pool.close();
    }
  });
});

describe("a worker's error reaches the caller as thrown there", () => {
  // Status codes are the contract: a VBoxError in a worker (here its refusal of bytes that are no packed world)
  // comes back a VBoxError of the same status, as unpacking them on this thread throws; the worker named.
  it('workers: 2, worker 1 given bytes that are no packed world: the VBoxError of unpackWorld, with its rc', async () => {
    const bytes = new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9]);
    const here = ((): unknown => {
      try {
        return unpackWorld(bytes);
      } catch (error) {
        return error;
      }
    })();
    expect(here).toBeInstanceOf(VBoxError);
    expect((here as VBoxError).rc).toBe(VERR_VERSION_MISMATCH);
    const pool = await WorkerPool.open(2, { scenario: parseScenario(race(2)), por: false, symmetry: false, stateKey: undefined, mutant: null, heldMax: 100 });
    try {
      const thrown = await pool.request(1, { level: 0, kind: 'expand', items: [{ index: 0, ticket: -1, world: bytes }] }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(thrown).toBeInstanceOf(VBoxError);
      expect(thrown).toMatchObject({ rc: (here as VBoxError).rc, name: (here as VBoxError).name });
      expect((thrown as Error).message).toBe(`explore worker 1: ${(here as Error).message}`);
    } finally {
      await pool.close();
    }
  });
});
