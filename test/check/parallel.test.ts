/**
 * Multi-core exploration (src/check/parallel.ts): `explore(…, { workers: 2 })` must give the result of the
 * single-threaded breadth-first search — the same states and transitions, verdict, shortest counterexample
 * (choices and text), outcomes and coverage — whatever the workers' timing, with reductions off and on
 * (partial-order reduction's cycle proviso, vCPU symmetry), on clean scenarios, an engine mutant, the
 * as-written live-save defect and a run cut short by maxStates. Options that hold functions are refused with
 * the reason. Method: explore each scenario with workers 1 and 2 and compare (workers run from the TypeScript
 * sources here, through tsx; the bench runs them from the build).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { explore, type ExploreOptions } from '../../src/check/explore.js';
import { exploreOutcome as outcome } from '../support/explore-outcome.js';
import { MUTANTS } from '../../src/check/mutants.js';
import type { Scenario } from '../../src/check/scenario.js';
import { registerCheck } from '../../src/cli/commands/check-command.js';
import { VBoxError, VERR_INVALID_PARAMETER } from '../../src/status.js';

async function both(scenario: Scenario, options: ExploreOptions = {}, workers = 2) {
  const single = await explore(scenario, options);
  const parallel = await explore(scenario, { ...options, workers });
  expect(outcome(parallel)).toEqual(outcome(single));
  return single;
}

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
/** Symmetric under vCPU renaming (the race is not: DESCENDING order). */
const symmetric: Scenario = { cpus: 2, clients: [[{ call: 'emtRendezvous', type: 'one-by-one' }], [{ call: 'reqCallWait', target: 'any' }], ['setGuruMeditation']] };

describe('explore with workers: 2 gives the single-threaded result', () => {
  it('powerOn→suspend ∥ powerOff, 2 vCPUs, reductions off', async () => {
    const r = await both(race(2), { por: false, symmetry: false });
    expect(r.status).toBe('ok');
  });

  it('the same with partial-order reduction (the proviso expands states in extra rounds)', async () => {
    const r = await both(race(2));
    expect(r.reductions.por).toBe(true);
  });

  it('vCPU symmetry on: one-by-one rendezvous ∥ any-request ∥ guru meditation, 2 vCPUs', async () => {
    const r = await both(symmetric);
    expect(r.reductions.symmetry).toMatch(/^on/);
  });

  it('the same scenario with partial-order reduction off (no barrier; no handovers under symmetry: parallel-pipeline.ts)', async () => {
    const r = await both(symmetric, { por: false });
    expect(r.reductions.symmetry).toMatch(/^on/);
  });

  it('a mutant, passed by name to the workers: the same shortest counterexample', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'destroy-keeps-queued-requests')!;
    const r = await both(mutant.scenario, { engine: mutant.engine, mutant: mutant.name });
    expect(r.violations[0]?.property).toBe(mutant.caughtBy);
  });

  it("the as-written live save after an external suspend (1 vCPU, timers 'any'): the same counterexample", async () => {
    const r = await both({ cpus: 1, fidelity: 'as-written', timers: 'any', clients: [['powerOn', 'save'], ['suspend']] });
    expect(r.status).toBe('violation');
  });

  // A violation is reported by the table's path: every world is the one its state's discovering step made.
  it.each(MUTANTS.map((m) => [m.name, m] as const))('mutant %s, reductions off: the same shortest counterexample', async (_name, mutant) => {
    const r = await both(mutant.scenario, { engine: mutant.engine, mutant: mutant.name, por: false, symmetry: false });
    expect(r.status).toBe('violation');
  });

  it('violations met in many worlds of a level (GLOBAL_1 lost wake-up, 3 vCPUs): the same counterexample', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'global1-halted-wake-up-lost')!;
    const r = await both({ ...mutant.scenario, cpus: 3 }, { engine: mutant.engine, mutant: mutant.name, por: false, symmetry: false });
    expect(r.violations[0]?.property).toBe('wake-up');
  });

  // Reductions off: no barrier between levels (parallel-pipeline.ts); few parked worlds: children travel packed.
  it.each([
    [3, {}],
    [4, { parkedWorlds: 8 }],
  ] as [number, ExploreOptions][])('race on 3 vCPUs, reductions off, %i workers %o: the same result', async (workers, options) => {
    const r = await both(race(3), { por: false, symmetry: false, ...options }, workers);
    expect(r.status).toBe('ok');
  });

  it('a mutant on 4 workers, reductions off: the same shortest counterexample', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'global1-halted-wake-up-lost')!;
    const r = await both({ ...mutant.scenario, cpus: 3 }, { engine: mutant.engine, mutant: mutant.name, por: false, symmetry: false }, 4);
    expect(r.violations[0]?.property).toBe('wake-up');
  });

  it('bounded by maxDepth at the same depth, reductions off', async () => {
    const r = await both(race(2), { por: false, symmetry: false, maxDepth: 6 });
    expect(r.bound).toBe('maxDepth');
  });

  it('bounded by maxStates at the same state', async () => {
    const r = await both(race(2), { por: false, symmetry: false, maxStates: 200 });
    expect(r.verdict).toBe('bounded at 200 states (maxStates): no violation found so far');
  });

  // Workers expand states from spare worlds (held-worlds.ts) where one thread copies, and the reverse: cut short
  // anywhere, the transitions so far are still one thread's.
  it.each([
    [2, 37],
    [2, 263],
    [3, 101],
    [3, 499],
  ])('race on 3 vCPUs, reductions off, %i workers, bounded at %i states: the same transitions', async (workers, maxStates) => {
    const r = await both(race(3), { por: false, symmetry: false, maxStates }, workers);
    expect([r.bound, r.states]).toEqual(['maxStates', maxStates]);
  });
});

describe('options that cannot reach a worker thread', () => {
  it.each([
    ['user invariants', { invariants: [{ name: 'always', holds: () => true }] }, /user invariants are functions, which cannot be sent to worker threads/],
    ['extra properties', { properties: [{ name: 'p', description: '', create: () => ({ name: 'p' }) }] }, /extra properties are functions/],
    ['an engine without its mutant name', { engine: MUTANTS[0]!.engine }, /pass a mutant of src\/check\/mutants.ts as \{ engine, mutant: name \}/],
    ['depth-first search', { mode: 'dfs' }, /breadth-first search only, not mode 'dfs'/],
    ['a count that is not a positive integer', { workers: 0 }, /workers: 0: must be an integer ≥ 1/],
  ] as [string, ExploreOptions, RegExp][])('%s', async (_name, options, message) => {
    const refused = explore(race(1), { workers: 2, ...options });
    await expect(refused).rejects.toThrow(message);
    await expect(refused).rejects.toBeInstanceOf(VBoxError);
    await expect(refused).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
  });

  it('workers: 1 keeps user invariants (the single-threaded search)', async () => {
    const r = await explore(race(1), { workers: 1, invariants: [{ name: 'always', holds: () => true }] });
    expect(r.status).toBe('ok');
  });
});

describe('vmm-actors check --workers', () => {
  it('prints the verdict of the single-threaded search', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'check-workers-')), 'race.json');
    writeFileSync(path, JSON.stringify(race(1)));
    const program = new Command('vmm-actors').exitOverride();
    registerCheck(program);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
    try {
      await program.parseAsync(['node', 'vmm-actors', 'check', path, '--quiet', '--workers', '2']);
    } finally {
      log.mockRestore();
    }
    expect(lines.join('\n')).toMatch(new RegExp(`^verdict\\s+${(await explore(race(1))).verdict}$`, 'm'));
  });
});
