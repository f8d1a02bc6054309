/**
 * Balancing in the multi-core search without a barrier (src/check/parallel-pipeline.ts), and the result stays the
 * single-threaded one. Worker 1's answers reach the main thread late (held back here, after the worker handled
 * them, so the order of each worker's requests is untouched): the merge waits for them, and worker 0 runs out of
 * its own states. Given none of a level, it steals worker 1's (packed there and unpacked here: about twice what
 * expanding them where they are costs), at most STEAL_MAX per request; and states one worker found and the other
 * also stepped into may be handed over to the one given fewer of their level to hold, expanded from its own world
 * (no packing), with that world's own path for a violation's report (parallel-handover.test.ts: when and to whom).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { explore, type ExploreOptions } from '../../src/check/explore.js';
import { Explorer } from '../../src/check/explorer.js';
import { MUTANTS } from '../../src/check/mutants.js';
import type { ParallelTimes } from '../../src/check/parallel.js';
import { Pipeline, STEAL_MAX } from '../../src/check/parallel-pipeline.js';
import { WorkerPool } from '../../src/check/parallel-pool.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { packWorld } from '../../src/check/world-pack.js';
import { World } from '../../src/check/world.js';

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
const OFF = { por: false, symmetry: false } as const;
const times = (): ParallelTimes => ({ unpackUs: 0, copyUs: 0, stepUs: 0, packUs: 0, packs: 0, cpuUs: 0, handleCpuUs: 0, copies: 0, spares: 0, mergeUs: 0, movedStates: 0, handedOver: 0, workerCpuUs: [], mainCpuUs: 0 });

let pool: WorkerPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

/** The pipeline on two workers, worker 1's expansions coming back late; the explorer, the times and the sizes of the steals. */
async function lateWorker(scenario: Scenario, options: ExploreOptions & { mutant?: string } = {}) {
  const x = new Explorer(parseScenario(scenario), { ...OFF, ...options });
  const root = World.build(x.scenario, { ...x.worldOptions, observeCreation: true });
  x.discover(root, -1, 0, 0);
  pool = await WorkerPool.open(2, { scenario: x.scenario, por: false, symmetry: false, stateKey: undefined, mutant: options.mutant ?? null, heldMax: 4096 });
  const real = pool;
  const steals: number[] = [];
  // The pool as the pipeline sees it: every request goes to the real worker; worker 1's expansions come back late.
  const late = {
    size: real.size,
    request: async (worker: number, request: Parameters<WorkerPool['request']>[1]) => {
      if (request.kind === 'pack') steals.push(request.tickets.length);
      const reply = await real.request(worker, request);
      if (worker === 1 && request.kind === 'expand') await sleep(3);
      return reply;
    },
  } as unknown as WorkerPool;
  const t = times();
  const pipeline = new Pipeline(x, late, t);
  pipeline.place(0, -1, -1, packWorld(root), root.terminal, undefined);
  await pipeline.run();
  return { x, t, steals };
}

describe('a worker out of states steals a few at a time', () => {
  it.each([4, 5])('race on %i vCPUs, worker 1 answering late: steals of at most STEAL_MAX states, the single-threaded states and transitions', async (cpus) => {
    const single = await explore(race(cpus), OFF);
    const { x, t, steals } = await lateWorker(race(cpus));
    expect([x.table.size, x.transitions]).toEqual([single.states, single.transitions]);
    expect(steals.length, 'worker 0 stole').toBeGreaterThan(0);
    expect(Math.max(...steals)).toBeLessThanOrEqual(STEAL_MAX);
    expect(t.movedStates).toBe(steals.reduce((a, b) => a + b, 0));
  });
});

describe('unevenly fast workers, states handed over between them', () => {
  // A handed-over world took another path than the table's: a violation found from it is reported as one thread
  // reports it. (A liveness violation is found after the search, from the graph: the pipeline itself finds none.)
  it.each(MUTANTS.map((m) => [m.name, m] as const))('mutant %s, worker 1 answering late: the same shortest counterexample', async (_name, mutant) => {
    const single = await explore(mutant.scenario, { engine: mutant.engine, ...OFF });
    const { x } = await lateWorker(mutant.scenario, { engine: mutant.engine, mutant: mutant.name });
    const first = single.violations[0]!;
    if (first.property === 'liveness') expect(x.violation).toBeNull();
    else expect([x.violation?.violation.property, x.violation?.choices]).toEqual([first.property, first.choices]);
  });
});
