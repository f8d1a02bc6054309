/**
 * Sampling for scenarios too large to exhaust (src/check/pct.ts): iterations to the first counterexample per
 * mutant of src/check/mutants.ts, on the suite scenario that catches it today, at its own vCPU count and scaled
 * to 8 and 16 vCPUs, for PCT (bug depth 3), the portfolio (PCT d = 1, 2, 3, 5, 10 and random walks in turn) and
 * random walks alone (the same run loop: a run ends where only timers are left). Budget: 10,000 iterations and
 * a wall-time limit per cell; a miss prints "miss (n)" with the iterations taken. Fixed seeds, so a row repeats.
 * The liveness mutant (halt-ignores-flags) is found by a fair cycle along one run (src/check/run-lasso.ts).
 *
 * Run: `npm run bench`, `node dist/bench/check-pct.js [--iterations n] [--time-limit s] [--seed n] [--quick]`
 * (--quick: suite vCPU counts only), or `npx tsx bench/check-pct.ts`.
 */
import { explore } from '../src/check/explore.js';
import { Explorer } from '../src/check/explorer.js';
import { MUTANTS, type Mutant } from '../src/check/mutants.js';
import { randomStrategy, sampleRuns } from '../src/check/pct.js';
import { CPUS_MAX_SAMPLING, parseScenario } from '../src/check/scenario.js';

export interface PctBenchRow {
  mutant: string;
  cpus: number;
  /** Iterations to the bug (null: missed within the budget) and wall seconds, per strategy. */
  pct: Cell;
  portfolio: Cell;
  random: Cell;
}

interface Cell {
  foundAt: number | null;
  iterations: number;
  seconds: number;
  schedulesPerSecond: number;
}

export interface PctBenchOptions {
  iterations?: number;
  timeLimitS?: number;
  seed?: number;
  cpus?: readonly number[];
  print?: boolean;
}

export async function main(options: PctBenchOptions = {}): Promise<PctBenchRow[]> {
  const argv = process.argv;
  const flag = (name: string) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : undefined);
  const iterations = options.iterations ?? flag('--iterations') ?? 10_000;
  const timeLimitMs = (options.timeLimitS ?? flag('--time-limit') ?? 30) * 1000;
  const seed = options.seed ?? flag('--seed') ?? 1;
  const scaled = options.cpus ?? (argv.includes('--quick') ? [] : [8, 16]);
  const print = options.print ?? true;
  const rows: PctBenchRow[] = [];
  if (print) console.log(`budget ${iterations.toLocaleString('en-US')} iterations or ${timeLimitMs / 1000} s per cell, seed ${seed}; cells: iterations to the bug (wall s)`);
  for (const mutant of MUTANTS) {
    for (const cpus of [mutant.scenario.cpus, ...scaled.filter((c) => c !== mutant.scenario.cpus)]) {
      const opts = { engine: mutant.engine, mutant: mutant.name, walks: iterations, seed, timeLimitMs };
      const scenario = { ...mutant.scenario, cpus };
      const pct = cell(await explore(scenario, { ...opts, mode: 'pct', pctDepth: 3 }));
      const portfolio = cell(await explore(scenario, { ...opts, mode: 'portfolio' }));
      const random = await randomCell(mutant, cpus, opts);
      const row = { mutant: mutant.name, cpus, pct, portfolio, random };
      rows.push(row);
      if (print) printRow(row, rows.length === 1);
    }
  }
  if (print) {
    const found = (pick: (r: PctBenchRow) => Cell) => rows.filter((r) => pick(r).foundAt !== null).length;
    console.log(`found within the budget: PCT ${found((r) => r.pct)}/${rows.length}, portfolio ${found((r) => r.portfolio)}/${rows.length}, random ${found((r) => r.random)}/${rows.length}`);
  }
  return rows;
}

function cell(result: Awaited<ReturnType<typeof explore>>): Cell {
  const s = result.sampling!;
  return { foundAt: result.violations.length > 0 ? s.foundAt : null, iterations: s.iterations, seconds: result.seconds, schedulesPerSecond: s.schedulesPerSecond };
}

/** Random walks in the sampling loop (explore's 'random' mode walks on to maxDepth where only timers are left). */
async function randomCell(mutant: Mutant, cpus: number, opts: { walks: number; seed: number; timeLimitMs: number; engine: Mutant['engine'] }): Promise<Cell> {
  const x = new Explorer(parseScenario({ ...mutant.scenario, cpus }, 'scenario', CPUS_MAX_SAMPLING), opts);
  const s = await sampleRuns(x, [randomStrategy(opts.seed)]);
  return { foundAt: x.violation ? s.foundAt : null, iterations: s.iterations, seconds: x.clock.nowNs() / 1e9, schedulesPerSecond: s.schedulesPerSecond };
}

const WIDTHS = [34, 5, 22, 22, 22];

function printRow(row: PctBenchRow, header: boolean): void {
  const show = (c: Cell) => `${c.foundAt !== null ? c.foundAt.toLocaleString('en-US') : `miss (${c.iterations.toLocaleString('en-US')})`} (${c.seconds.toFixed(2)} s)`;
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(WIDTHS[i]!) : c.padStart(WIDTHS[i]!))).join('  ');
  if (header) console.log(line(['mutant', 'vCPUs', 'PCT d=3', 'portfolio', 'random walks']));
  console.log(line([row.mutant, String(row.cpus), show(row.pct), show(row.portfolio), show(row.random)]));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
