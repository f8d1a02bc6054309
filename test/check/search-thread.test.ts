/**
 * explore(…, { thread: true }) (src/check/search-thread.ts): the search runs on a worker thread of its own (for its
 * young generation) and gives exactly the result of the calling thread's search — states, transitions, verdict,
 * counterexample (choices and trace text), outcomes, coverage, copies — for breadth- and depth-first search, a
 * mutant passed by name, a run cut short; its progress comes back; a refused resume is the same VBoxError; options
 * holding functions (user invariants) search here. Method: explore each case both ways and compare all but timings,
 * and spy on Explorer.run to see which thread searched (the thread runs from the TypeScript sources here, through tsx).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { explore, type ExploreOptions, type ExploreResult } from '../../src/check/explore.js';
import { Explorer } from '../../src/check/explorer.js';
import { MUTANTS } from '../../src/check/mutants.js';
import type { Scenario } from '../../src/check/scenario.js';
import { VBoxError } from '../../src/status.js';

/** Everything but the wall-clock figures (a counterexample's replay command by what it says). */
const untimed = (r: ExploreResult) => ({
  ...r,
  seconds: 0,
  statesPerSecond: 0,
  violations: r.violations.map(({ replayCommand, ...v }) => ({ ...v, replayCommand: replayCommand('trace.jsonl') })),
});

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
const mutant = MUTANTS.find((m) => m.name === 'destroy-keeps-queued-requests')!;

afterEach(() => {
  vi.restoreAllMocks();
});

/** The result searched here and on the thread; the thread's search must not run an Explorer on this thread. */
async function both(scenario: Scenario, options: ExploreOptions): Promise<ExploreResult> {
  const here = await explore(scenario, options);
  const run = vi.spyOn(Explorer.prototype, 'run');
  const there = await explore(scenario, { ...options, thread: true });
  expect(run).not.toHaveBeenCalled();
  expect(untimed(there)).toEqual(untimed(here));
  return here;
}

describe('explore with thread: true gives the calling thread’s result', () => {
  it.each([
    ['race, 3 vCPUs, reductions off', race(3), { por: false, symmetry: false }, 'ok'],
    ['race, 3 vCPUs, reductions on', race(3), {}, 'ok'],
    ['race, 3 vCPUs, depth-first', race(3), { mode: 'dfs', por: false, symmetry: false }, 'ok'],
    ['race, 4 vCPUs, cut at 500 states', race(4), { maxStates: 500, por: false, symmetry: false }, 'bounded'],
    ['a mutant by name: the same shortest counterexample', mutant.scenario, { engine: mutant.engine, mutant: mutant.name }, 'violation'],
    // A name without its engine only labels traces: the real engine, on either thread (as with workers).
    ['a mutant name without its engine: the real engine', mutant.scenario, { mutant: mutant.name }, 'ok'],
  ] as const)('%s', async (_name, scenario, options, status) => {
    const r = await both(scenario, options as ExploreOptions);
    expect(r.status).toBe(status);
    if (status === 'violation') expect(r.violations[0]?.property).toBe(mutant.caughtBy);
  });

  it('sends its progress back', async () => {
    const seen: number[] = [];
    const r = await explore(race(4), { por: false, symmetry: false, thread: true, progressIntervalMs: 0, onProgress: (p) => seen.push(p.states) });
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(r.states);
  });

  it('a refused resume is the VBoxError the calling thread throws', async () => {
    const options: ExploreOptions = { resume: '/nonexistent/vmm-actors-checkpoint', por: false, symmetry: false };
    const here = await explore(race(2), options).catch((e: unknown) => e);
    const there = await explore(race(2), { ...options, thread: true }).catch((e: unknown) => e);
    expect(here).toBeInstanceOf(VBoxError);
    expect(there).toBeInstanceOf(VBoxError);
    expect({ rc: (there as VBoxError).rc, message: (there as VBoxError).message }).toEqual({ rc: (here as VBoxError).rc, message: (here as VBoxError).message });
  });

  it('user invariants (functions) search on the calling thread, and fail there', async () => {
    const run = vi.spyOn(Explorer.prototype, 'run');
    const r = await explore(race(2), { thread: true, invariants: [{ name: 'never-running', holds: (v) => v.vmState !== 'RUNNING' }] });
    expect(run).toHaveBeenCalledTimes(1);
    expect(r.violations[0]?.property).toBe('never-running');
  });
});
