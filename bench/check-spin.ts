/**
 * Side by side with Spin (issue 17 item 5): the same question — A: powerOn → suspend ∥ B: powerOff, DESCENDING
 * rendezvous on N EMTs — answered by Spin on the Promela model bench/spin/vmm_rendezvous.pml (`spin -DNCPU=N -a`,
 * `gcc -O2 -DSAFETY -o pan pan.c`, `./pan -m100000`, as its README says) and by our checker over the engine
 * (breadth-first, reductions on: the defaults; and off: no partial-order, no symmetry reduction), N = 2…6. The
 * model's atomicity is finer than our steps, so state counts differ: verdicts and time to verdict compare. Spin's
 * time is the wall time of `./pan` (start-up included; generating and compiling the verifier is shown apart),
 * ours the wall time of explore() after one untimed warm-up run, on its search thread (ExploreOptions.thread, as
 * `vmm-actors check --thread` runs it: a warm process is where it pays; its start and messages counted) and with V8's allocation-site pretenuring off. Without `spin` or `gcc` on the PATH the Spin columns say so and ours still run.
 *
 * Run: `npm run bench:spin` (also part of `npm run bench`), `node dist/bench/check-spin.js [--cpus 2,3,4]
 * [--time-limit s] [--repeat k] [--no-workers]` (each cell the fastest of k alternating runs; the last column, reductions off on two worker threads, is left out with --no-workers), or `npx tsx bench/check-spin.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { disablePretenuring } from '../src/check/gc-tuning.js';
import type { Scenario } from '../src/check/scenario.js';
import { measure, type CheckBenchRow } from './check-powerons.js';

/** The Promela model, in the sources (dist/bench/… runs find it two levels up). */
const here = dirname(fileURLToPath(import.meta.url));
const MODEL = [resolve(here, 'spin/vmm_rendezvous.pml'), resolve(here, '../../bench/spin/vmm_rendezvous.pml')];

export interface SpinRun {
  verdict: string;
  states: number;
  /** `./pan` wall seconds, and `spin -a` + gcc seconds. */
  seconds: number;
  buildSeconds: number;
}

export interface SpinBenchRow {
  cpus: number;
  spin: SpinRun | null;
  on: CheckBenchRow;
  off: CheckBenchRow;
  /** Reductions off on two worker threads (ExploreOptions.workers: the shared-table search); absent with --no-workers. */
  offWorkers?: CheckBenchRow;
}

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });

function has(tool: string): boolean {
  return spawnSync(tool, ['-V'], { stdio: 'ignore' }).error === undefined;
}

function timed(cmd: string, args: string[], cwd: string): { out: string; seconds: number } {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr || r.stdout}`);
  return { out: r.stdout, seconds };
}

/** Spin on the model for N EMTs: generate, compile, verify; the verdict from pan's `errors:` line. */
export function runSpin(model: string, cpus: number): SpinRun {
  const dir = mkdtempSync(join(tmpdir(), 'vmm-spin-'));
  try {
    const a = timed('spin', [`-DNCPU=${cpus}`, '-a', model], dir);
    const cc = timed('gcc', ['-O2', '-DSAFETY', '-o', 'pan', 'pan.c'], dir);
    const pan = timed('./pan', ['-m100000'], dir);
    const errors = Number(/errors: (\d+)/.exec(pan.out)?.[1] ?? NaN);
    const states = Number(/([\d.e+]+) states, stored/.exec(pan.out)?.[1] ?? NaN);
    return { verdict: errors === 0 ? 'ok' : `${errors} errors`, states, seconds: pan.seconds, buildSeconds: a.seconds + cc.seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(options: { cpus?: readonly number[]; timeLimitS?: number; repeat?: number; print?: boolean } = {}): Promise<SpinBenchRow[]> {
  const argv = process.argv;
  const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const cpusList = options.cpus ?? (arg('--cpus')?.split(',').map(Number) ?? [2, 3, 4, 5, 6]);
  const timeLimitMs = (options.timeLimitS ?? Number(arg('--time-limit') ?? 120)) * 1000;
  const repeat = options.repeat ?? Number(arg('--repeat') ?? 1);
  const print = options.print ?? true;
  const workers = !argv.includes('--no-workers');
  const model = MODEL.find((m) => existsSync(m));
  const spin = has('spin') && has('gcc') && model !== undefined;
  if (print && !spin) console.log(`spin or gcc is not installed (or ${MODEL[0]} is missing): Spin's columns are skipped (Debian: apt-get install -y spin gcc)`);
  disablePretenuring();
  await measure('warm-up', race(3), { timeLimitMs, thread: true }, 'on'); // untimed: the first run compiles the engine's hot paths
  if (workers) await measure('warm-up', race(3), { por: false, symmetry: false, timeLimitMs, workers: 2 }, 'off'); // and starts the workers
  const rows: SpinBenchRow[] = [];
  const faster = <T extends { seconds: number }>(a: T | null, b: T): T => (a && a.seconds <= b.seconds ? a : b);
  for (const cpus of cpusList) {
    // The three alternate `repeat` times and each keeps its fastest run: other load on the machine only slows.
    let best: SpinRun | null = null;
    let on: CheckBenchRow | null = null;
    let off: CheckBenchRow | null = null;
    let offWorkers: CheckBenchRow | null = null;
    for (let i = 0; i < repeat; i++) {
      if (spin) best = faster(best, runSpin(model!, cpus));
      on = faster(on, await measure('race', race(cpus), { timeLimitMs, thread: true }, 'on'));
      off = faster(off, await measure('race', race(cpus), { por: false, symmetry: false, timeLimitMs, thread: true }, 'off'));
      if (workers) offWorkers = faster(offWorkers, await measure('race', race(cpus), { por: false, symmetry: false, timeLimitMs, workers: 2 }, 'off'));
    }
    rows.push({ cpus, spin: best, on: on!, off: off!, ...(offWorkers ? { offWorkers } : {}) });
  }
  if (print) printRows(rows, timeLimitMs / 1000);
  return rows;
}

function printRows(rows: readonly SpinBenchRow[], limitS: number): void {
  const n = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '?');
  const ours = (r: CheckBenchRow, spin: SpinRun | null) =>
    `${r.verdict === 'ok' ? '' : `${r.verdict} `}${r.seconds.toFixed(2)} s${spin ? ` (${(r.seconds / spin.seconds).toFixed(2)}×)` : ''}`;
  const workers = rows.some((r) => r.offWorkers);
  const header = ['N', 'Spin verdict', 'Spin states', 'Spin wall s', 'spin -a + gcc s', 'ours states (on / off)', 'ours, reductions on', 'ours, reductions off', ...(workers ? ['off, 2 workers'] : [])];
  const lines = rows.map((r) => [
    String(r.cpus), r.spin?.verdict ?? 'skipped', r.spin ? n(r.spin.states) : '-', r.spin ? r.spin.seconds.toFixed(2) : '-', r.spin ? r.spin.buildSeconds.toFixed(2) : '-',
    `${n(r.on.states)} / ${n(r.off.states)}`, ours(r.on, r.spin), ours(r.off, r.spin), ...(r.offWorkers ? [ours(r.offWorkers, r.spin)] : []),
  ]);
  console.log(`time to verdict; (×) = ours / Spin's wall time; ours on the search thread (explore thread: true), warm, bounded at ${limitS} s`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const line of lines) console.log(`| ${line.join(' | ')} |`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
