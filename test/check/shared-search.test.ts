/**
 * The shared-table search (src/check/shared-search.ts, shared-expander.ts, shared-table.ts): workers decide what
 * is new through one key table in shared memory and expand what they found without a barrier; the main thread
 * merges in the single-threaded order. Method: the table alone (one thread, then two threads racing on the same
 * keys); then whole explorations with workers against the one thread's result, reading from the parallel
 * search's times how the shared search ended — complete where no path is wanted, redone on the pipeline where one
 * is (a violation, a lasso, maxStates), with the single-threaded result either way.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { explore, type ExploreOptions } from '../../src/check/explore.js';
import { exploreOutcome as outcome } from '../support/explore-outcome.js';
import { Explorer } from '../../src/check/explorer.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { parallelBreadthFirst } from '../../src/check/parallel.js';
import { tsxApi } from '../../src/check/parallel-pool.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { SharedKeyTable } from '../../src/check/shared-table.js';

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
const OFF = { por: false, symmetry: false } as const;

/** How the shared search of a run with `workers` ended (the explorer's parallel search, as explore runs it). */
async function sharedEnd(scenario: Scenario, options: ExploreOptions, workers = 2) {
  const x = new Explorer(parseScenario(scenario), options);
  const times = await parallelBreadthFirst(x, workers);
  return times.shared;
}

describe('SharedKeyTable', () => {
  it('a key is new once, then known by the same id; ids count up from 0', () => {
    const table = SharedKeyTable.create();
    expect(table.insert(1, 2)).toBe(0);
    expect(table.insert(1, 2)).toBe(-1 - 0);
    expect(table.insert(2, 1)).toBe(1);
    expect(table.insert(-1, 0)).toBe(2); // any 32-bit lanes, 0 and negative ones too
    expect(table.insert(0, 0)).toBe(3);
    expect(table.insert(0, 0)).toBe(-1 - 3);
    expect(table.size).toBe(4);
  });

  it('grows region by region and keeps every id: 300,000 keys, then each known by its id', () => {
    const table = SharedKeyTable.create();
    expect(table.slots).toBe(4096);
    const key = (i: number) => [Math.imul(i, 0x2545f491), i ^ 0x5bd1e995] as const;
    const wrong: number[] = [];
    for (let i = 0; i < 300_000; i++) if (table.insert(...key(i)) !== i) wrong.push(i);
    expect(table.slots).toBe(1 << 20); // 300,000 keys fill 2^19 slots past half
    for (let i = 0; i < 300_000; i++) if (table.insert(...key(i)) !== -1 - i) wrong.push(i);
    expect(wrong).toEqual([]);
  });

  it('keys that probe into one another stay apart across a grow', () => {
    const table = SharedKeyTable.create();
    // lo = imul(hi, φ): every one hashes to slot 0 of every region, so each insert walks the whole run.
    for (let i = 0; i < 2500; i++) expect(table.insert(i, Math.imul(i, 0x9e3779b1))).toBe(i);
    expect(table.slots).toBe(8192);
    for (let i = 0; i < 2500; i++) expect(table.insert(i, Math.imul(i, 0x9e3779b1))).toBe(-1 - i);
  });

  it('full at half the last region (2^19 keys), and refuses a buffer of another size', () => {
    expect(SharedKeyTable.create().limit).toBe(1 << 19);
    expect(() => new SharedKeyTable(new SharedArrayBuffer(4 * 10))).toThrow(/is not a table's/);
  });

  it('two threads adding 60,000 keys each at once, half of them the same, growing the table as they go: nothing lost, nothing twice', async () => {
    const table = SharedKeyTable.create();
    const url = new URL('../../src/check/shared-table.ts', import.meta.url).href;
    // Thread t adds its own key i, then the shared key i, for each i: both write all the time (so grows meet inserts
    // under way), and they race on every shared key. Each answers with how many own keys were new and which shared.
    const code = `
      const { parentPort, workerData } = await import('node:worker_threads');
      (await import(${JSON.stringify(tsxApi())})).register();
      const { SharedKeyTable } = await import(${JSON.stringify(url)});
      const table = new SharedKeyTable(workerData.buffer);
      Atomics.wait(new Int32Array(workerData.go), 0, 0);
      let own = 0;
      const shared = [];
      for (let i = 0; i < 30000; i++) {
        if (table.insert(i, workerData.t + 1) >= 0) own++;
        if (table.insert(i * 7, i ^ 0x5bd1e995) >= 0) shared.push(i);
      }
      parentPort.postMessage({ own, shared });
    `;
    const go = new SharedArrayBuffer(4);
    const threads = [0, 1].map((t) => new Worker(`(async () => { ${code} })()`, { eval: true, workerData: { buffer: table.buffer, go, t }, execArgv: [] }));
    const answers = threads.map((t) => new Promise<{ own: number; shared: number[] }>((resolve, reject) => (t.once('message', resolve), t.once('error', reject))));
    await new Promise((resolve) => setTimeout(resolve, 300)); // both loaded and waiting (a late one only races less)
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    const [a, b] = await Promise.all(answers);
    await Promise.all(threads.map((t) => t.terminate()));
    expect([a!.own, b!.own]).toEqual([30_000, 30_000]);
    expect(a!.shared.length + b!.shared.length).toBe(30_000);
    expect(new Set([...a!.shared, ...b!.shared]).size).toBe(30_000);
    expect(table.size).toBe(90_000);
    // Every key is there once, under its own id.
    const ids = new Set<number>();
    for (let i = 0; i < 30_000; i++) for (const [hi, lo] of [[i, 1], [i, 2], [i * 7, i ^ 0x5bd1e995]] as const) ids.add(-1 - table.insert(hi, lo));
    expect(ids.size).toBe(90_000);
    expect(Math.min(...ids)).toBe(0);
    expect(Math.max(...ids)).toBe(89_999);
    expect(table.slots).toBe(1 << 18);
  });
});

describe('explore with workers, reductions off: the shared table', () => {
  it.each([
    ['race on 3 vCPUs, 2 workers', race(3), OFF, 2],
    ['race on 4 vCPUs, 3 workers', race(4), OFF, 3],
    ['Save ∥ Suspend ∥ PowerOff on 2 vCPUs, timers any, 2 workers', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] } as Scenario, OFF, 2],
    ['vCPU symmetry on: one-by-one rendezvous ∥ any-request ∥ guru meditation, 2 workers', { cpus: 2, clients: [[{ call: 'emtRendezvous', type: 'one-by-one' }], [{ call: 'reqCallWait', target: 'any' }], ['setGuruMeditation']] } as Scenario, { por: false }, 2],
  ] as const)('%s: complete, with the single-threaded result', async (_name, scenario, options, workers) => {
    expect(await sharedEnd(scenario, options, workers)).toEqual({ end: 'complete' });
    const single = await explore(scenario, options);
    const parallel = await explore(scenario, { ...options, workers });
    expect(outcome(parallel)).toEqual(outcome(single));
    expect(parallel.replayedSteps).toBe(0);
  });

  it('workers that start with nothing are fed by the one holding the root: states move, the result is one thread\'s', async () => {
    const x = new Explorer(parseScenario(race(4)), OFF);
    const times = await parallelBreadthFirst(x, 3);
    expect(times.shared).toEqual({ end: 'complete' });
    // Workers 1 and 2 hold no state until one is given to them (packed: it is counted as moved).
    expect(times.movedStates).toBeGreaterThan(0);
    const single = new Explorer(parseScenario(race(4)), OFF);
    await single.run();
    expect([x.table.size, x.transitions, x.depthReached]).toEqual([single.table.size, single.transitions, single.depthReached]);
  });

  it('maxDepth: the single-threaded result, from the shared search or its redo', async () => {
    // A worker cuts at the depth of the path that found a state, which may be longer than the table's: where that
    // left a state unexpanded that the merge wanted, the search says incomplete and the pipeline runs instead.
    // One worker finds states first found first, so by the table's shortest paths: complete. Two may not.
    const options = { ...OFF, maxDepth: 12 };
    expect(await sharedEnd(race(3), options, 1)).toEqual({ end: 'complete' });
    expect([{ end: 'complete' }, { end: 'redo', why: 'incomplete' }]).toContainEqual(await sharedEnd(race(3), options));
    const single = await explore(race(3), options);
    expect(single.bound).toBe('maxDepth');
    expect(outcome(await explore(race(3), { ...options, workers: 2 }))).toEqual(outcome(single));
  });

  it.each([
    ['keptWorldBytes: 1 (no live world fits)', { keptWorldBytes: 1 }],
    ['parkedWorlds: 2', { parkedWorlds: 2 }],
  ] as const)('%s: the worlds beyond the budget wait packed, the result is one thread\'s', async (_name, budget) => {
    const x = new Explorer(parseScenario(race(3)), { ...OFF, ...budget });
    const times = await parallelBreadthFirst(x, 2);
    expect(times.shared).toEqual({ end: 'complete' });
    expect(times.packs).toBeGreaterThan(times.movedStates + 100); // not only the gifts: the waiting states too
    expect(outcome(await explore(race(3), { ...OFF, ...budget, workers: 2 }))).toEqual(outcome(await explore(race(3), OFF)));
  });

  it('a mutant: the search stops at its violation and the pipeline gives the same shortest counterexample', async () => {
    const m = MUTANTS.find((v) => v.name === 'destroy-keeps-queued-requests')!;
    const options = { ...OFF, engine: m.engine, mutant: m.name };
    expect(await sharedEnd(m.scenario, options)).toEqual({ end: 'redo', why: 'violation' });
    const single = await explore(m.scenario, options);
    expect(outcome(await explore(m.scenario, { ...options, workers: 2 }))).toEqual(outcome(single));
    expect(single.violations[0]?.property).toBe(m.caughtBy);
  });

  it('a lasso (halt loop ignoring its flags): found after a complete search, its path from the pipeline', async () => {
    const m = MUTANTS.find((v) => v.name === 'halt-ignores-flags')!;
    const options = { ...OFF, engine: m.engine, mutant: m.name };
    expect(await sharedEnd(m.scenario, options)).toEqual({ end: 'complete' });
    const single = await explore(m.scenario, options);
    const parallel = await explore(m.scenario, { ...options, workers: 2 });
    expect(parallel.violations[0]?.property).toBe('liveness');
    expect(outcome(parallel)).toEqual(outcome(single));
  });

  it('maxStates: the run is redone on the pipeline, the same states and transitions as one thread', async () => {
    const options = { ...OFF, maxStates: 301 };
    expect((await sharedEnd(race(4), options))?.end).toBe('redo');
    expect(outcome(await explore(race(4), { ...options, workers: 2 }))).toEqual(outcome(await explore(race(4), options)));
  });

  it('sharedTable: false runs the pipeline from the start', async () => {
    expect(await sharedEnd(race(2), { ...OFF, sharedTable: false })).toBeUndefined();
  });
});
