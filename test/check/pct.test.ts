/**
 * Sampling for scenarios too large to exhaust (issue 17 item 4, src/check/pct.ts). Goals: PCT follows its
 * definition (Burckhardt et al. 2010: the highest-priority enabled actor runs; d − 1 change points, at each the
 * running actor drops below all others), checked on a stand-in world where every actor is always enabled, so a
 * run of depth d switches actor at most d − 1 times; PCT finds the engine mutants (src/check/mutants.ts) on
 * their suite scenarios and scaled to 8 vCPUs within a fixed budget and seed (the liveness one by a fair cycle
 * along one run, run-lasso.ts), and nothing on the correct engine; every counterexample replays in
 * the deterministic runtime (the trace format of `vmm-actors replay` and the viewer); the same seed gives the
 * same result; the portfolio reports iterations, steps and schedules per second per strategy; the CLI takes
 * --strategy, --iterations and --pct-depth, and more vCPUs than exhaustive search only when sampling.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerCheck } from '../../src/cli/commands/check-command.js';
import { progressLine } from '../../src/cli/commands/check-progress.js';
import { explore } from '../../src/check/explore.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { PORTFOLIO_DEPTHS, pctStrategy } from '../../src/check/pct.js';
import { replayTrace } from '../../src/check/replay.js';
import type { Scenario } from '../../src/check/scenario.js';
import type { World } from '../../src/check/world.js';
import { vmOps } from '../../src/vmm/operations.js';

/** A stand-in world: actors a…e always enabled, no timer. */
const always = { ready: () => ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })), timerChoice: () => false } as unknown as World;

/** Number of times the chosen actor changes over a run of `steps` steps. */
function switches(depth: number, seed: number, steps: number): number {
  const strategy = pctStrategy(depth, seed);
  strategy.ended(steps); // the run-length estimate k: change points fall inside the run
  const choose = strategy.run();
  let count = 0;
  let last = choose(always);
  for (let i = 1; i < steps; i++) {
    const next = choose(always);
    if (next !== last) count++;
    last = next;
  }
  return count;
}

const sampled = MUTANTS.filter((m) => m.needs !== 'save' || 'save' in vmOps);
const BUDGET = 500;

describe('PCT (priority-based sampling)', () => {
  it.each([1, 2, 3, 5])('switches the running actor exactly at its d - 1 change points when every actor stays enabled (d = %i)', (depth) => {
    const counts = Array.from({ length: 20 }, (_, i) => switches(depth, i + 1, 200));
    // Each change point lowers the running actor below the rest, so the run switches there (a change point at
    // step 0 comes before any actor ran: no visible switch); between change points the same actor keeps running.
    for (const n of counts) expect(n === depth - 1 || n === depth - 2).toBe(true);
    expect(counts.filter((n) => n === depth - 1).length).toBeGreaterThan(15);
  });

  it('refuses a bug depth below 1', () => {
    expect(() => pctStrategy(0, 1)).toThrow(RangeError);
  });

  it.each(sampled.flatMap((m) => [[m.name, m.scenario.cpus, m] as const, [m.name, 8, m] as const, ...(m.name === 'halt-ignores-flags' ? [[m.name, 64, m] as const] : [])]))(
    'finds %s (%i vCPUs) within the budget, and the counterexample replays',
    async (_name, cpus, mutant) => {
      const result = await explore({ ...mutant.scenario, cpus }, { mode: 'pct', pctDepth: 3, walks: BUDGET, seed: 1, engine: mutant.engine, mutant: mutant.name });
      expect(result.status).toBe('violation');
      expect(result.sampling!.foundAt).toBeLessThanOrEqual(BUDGET);
      const v = result.violations[0]!;
      const replay = replayTrace(v.text, { engine: mutant.engine });
      expect(replay.divergence).toBeNull();
      expect(replay.reproduced).toBe(true);
      expect(replay.violation).toEqual({ property: v.property, message: v.message });
    },
  );

  it.each(sampled.flatMap((m) => [[m.name, m.scenario.cpus, m] as const, [m.name, 8, m] as const]))(
    'reports nothing on the correct engine with the scenario of %s (%i vCPUs): unfair cycles are no liveness bugs',
    async (_name, cpus, mutant) => {
      const result = await explore({ ...mutant.scenario, cpus }, { mode: 'portfolio', walks: 60, seed: 1 });
      expect(result.violations).toEqual([]);
      expect(result.sampling!.iterations).toBe(60);
    },
  );

  it('gives the same result for the same seed', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'destroy-keeps-queued-requests')!;
    const run = () => explore(mutant.scenario, { mode: 'pct', walks: BUDGET, seed: 7, engine: mutant.engine, mutant: mutant.name });
    const [a, b] = [await run(), await run()];
    expect(a.status).toBe('violation');
    expect(b.sampling!.foundAt).toBe(a.sampling!.foundAt);
    expect(b.violations[0]!.choices).toEqual(a.violations[0]!.choices);
    expect(b.violations[0]!.text).toBe(a.violations[0]!.text);
  });

  it('portfolio: every strategy in turn, with iterations, steps and schedules per second', async () => {
    const perStrategy = 2;
    const members = PORTFOLIO_DEPTHS.length + 1;
    const result = await explore({ cpus: 16, clients: [['powerOn', 'suspend'], ['powerOff']] }, { mode: 'portfolio', walks: perStrategy * members, seed: 1 });
    expect(result.status).toBe('bounded');
    expect(result.bound).toBe('walks');
    const s = result.sampling!;
    expect(s.iterations).toBe(perStrategy * members);
    expect(s.foundAt).toBeNull();
    expect(s.strategies.map((st) => st.name)).toEqual([...PORTFOLIO_DEPTHS.map((d) => `pct(d=${d})`), 'random']);
    for (const st of s.strategies) expect(st.iterations).toBe(perStrategy);
    expect(s.steps).toBe(s.strategies.reduce((sum, st) => sum + st.steps, 0));
    expect(s.steps).toBeGreaterThan(0);
    expect(s.schedulesPerSecond).toBeGreaterThan(0);
    expect(result.verdict).toBe(`bounded after ${perStrategy * members} iterations (walks): no violation found so far`);
  });

  it('reports progress in iterations, not states', async () => {
    const seen: (number | undefined)[] = [];
    await explore({ cpus: 16, clients: [['powerOn', 'suspend'], ['powerOff']] }, { mode: 'pct', walks: 300, progressIntervalMs: 0, onProgress: (p) => seen.push(p.iterations) });
    expect(seen.length).toBeGreaterThan(0);
    for (const i of seen) expect(i).toBeGreaterThan(0);
    const line = progressLine({ states: 0, transitions: 1234, depth: 92, frontier: 0, seconds: 2, statesPerSecond: 0, heapBytes: 0, iterations: 10 });
    expect(line).toMatch(/^iterations 10 {2}5\.0\/s {2}steps 1,234 {2}longest run 92/);
  });

  it('takes up to 64 vCPUs (VMM_MAX_CPU_COUNT) when sampling, exhaustive search up to 8', async () => {
    const big: Scenario = { cpus: 16, clients: [['powerOn', 'suspend'], ['powerOff']] };
    await expect(explore(big)).rejects.toThrow('scenario.cpus: must be an integer 1..8, got 16');
    // 64 EMTs: the monitors track vCPUs beyond a 32-bit mask (an EMT 32 is not EMT 0 entering twice).
    expect((await explore({ ...big, cpus: 64 }, { mode: 'portfolio', walks: 6 })).status).toBe('bounded');
    await expect(explore({ ...big, cpus: 65 }, { mode: 'pct', walks: 1 })).rejects.toThrow('scenario.cpus: must be an integer 1..64, got 65');
  });
});

describe('vmm-actors check --strategy', () => {
  it('runs pct with --iterations and --pct-depth, and prints the figures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-pct-'));
    const path = join(dir, 'race16.json');
    writeFileSync(path, JSON.stringify({ cpus: 16, clients: [['powerOn', 'suspend'], ['powerOff']] }));
    const program = new Command('vmm-actors').exitOverride();
    registerCheck(program);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
    try {
      await program.parseAsync(['node', 'vmm-actors', 'check', path, '--strategy', 'pct', '--iterations', '3', '--pct-depth', '2', '--quiet']);
    } finally {
      log.mockRestore();
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    expect(code).toBe(3); // bounded: a sample is never a proof
    const out = lines.join('\n');
    expect(out).toContain('verdict     bounded after 3 iterations (walks)');
    expect(out).toMatch(/iterations +3 +steps [\d,]+ +[\d.]+ schedules\/s/);
    expect(out).toContain('pct(d=2) 3');
  });
});
