/**
 * Multi-core exploration: the issue's race (A: powerOn then suspend; B: powerOff), N = 2…6 vCPUs, breadth-first
 * with partial-order and symmetry reduction off (liveness on, the default), on 1 worker (the single-threaded
 * search, on the calling thread and on a search thread of its own: ExploreOptions.thread) and on `--workers`
 * expanding threads (default 2 worker threads). Per run: verdict, states, transitions, rebuilds, wall and CPU
 * seconds (CPU of every thread of the process), states per wall second, and the speed-up over the faster of the
 * two one-thread rows in states per second (runs cut short by the time limit are "bounded" and compare by rate). The workers are
 * started once before the table (their start-up, printed first, is paid once per process: finished runs leave
 * them idle for the next). Counts must match between the rows of one N; the bench says so when they do not.
 * Below the table, where the workers' time went per transition (µs, summed over workers): unpacking worlds,
 * stepping with the key and facts, packing children; the main thread's merge; and the load average beside it
 * (the machine is shared: compare runs taken at similar load); then each thread's CPU per transition (wall
 * times mix in other processes, CPU times do not), the copies made and the spare worlds used in their place;
 * `--workers` worker threads expand, the main thread only merges.
 *
 * Run: `npm run bench`, `node dist/bench/check-parallel.js [--quick] [--cpus 4,5,6] [--workers n] [--time-limit s] [--repeat k] [--breakdown]`
 * (the three settings alternate k times and each row shows its fastest run), or
 * `npx tsx bench/check-parallel.ts` (workers then load the TypeScript sources through tsx).
 */
import { loadavg } from 'node:os';
import { explore, type ExploreResult } from '../src/check/explore.js';
import { disablePretenuring } from '../src/check/gc-tuning.js';
import { Explorer } from '../src/check/explorer.js';
import { parallelBreadthFirst, type ParallelTimes } from '../src/check/parallel.js';
import { parseScenario } from '../src/check/scenario.js';
import type { CheckBenchRow } from './check-powerons.js';
import type { Scenario } from '../src/check/scenario.js';

export interface ParallelBenchRow extends Pick<CheckBenchRow, 'cpus' | 'verdict' | 'states' | 'transitions' | 'rebuilds' | 'seconds' | 'cpuSeconds'> {
  workers: number;
  /** One thread: the search on a worker thread of its own (ExploreOptions.thread), not on the calling one. */
  thread: boolean;
  load: number;
  statesPerSecond: number;
  speedUp: number;
}

export interface ParallelBenchOptions {
  cpus?: readonly number[];
  workers?: number;
  /** Wall-time bound per run, seconds (default 60). */
  timeLimitS?: number;
  /** Runs per row, alternating; the row shows the fastest (this machine is shared: other load only slows runs). */
  repeat?: number;
  print?: boolean;
}

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });

interface Measured {
  result: ExploreResult;
  cpuSeconds: number;
  /** The 1-minute load average when the run ended. */
  load: number;
}

/** Where the workers' time went, from one more run with the explorer's parallel search itself (parallel.ts). */
export async function breakdown(cpus: number, workers: number): Promise<ParallelTimes & { transitions: number; seconds: number; mainBusy: number; processCpuUs: number }> {
  const x = new Explorer(parseScenario(race(cpus)), { por: false, symmetry: false });
  const t0 = performance.now();
  const elu = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const times = await parallelBreadthFirst(x, workers);
  const cpu = process.cpuUsage(cpu0);
  const mainBusy = performance.eventLoopUtilization(elu).utilization;
  return { ...times, transitions: x.transitions, seconds: (performance.now() - t0) / 1000, mainBusy, processCpuUs: cpu.user + cpu.system };
}

async function run(cpus: number, workers: number, timeLimitMs: number, thread = false): Promise<Measured> {
  const before = process.cpuUsage();
  const result = await explore(race(cpus), { por: false, symmetry: false, workers, timeLimitMs, thread });
  const cpu = process.cpuUsage(before);
  return { result, cpuSeconds: (cpu.user + cpu.system) / 1e6, load: loadavg()[0]! };
}

export async function main(options: ParallelBenchOptions = {}): Promise<ParallelBenchRow[]> {
  const argv = process.argv;
  const flag = (name: string) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : undefined);
  const listed = argv.includes('--cpus') ? argv[argv.indexOf('--cpus') + 1]!.split(',').map(Number) : undefined;
  const cpusList = options.cpus ?? listed ?? (argv.includes('--quick') ? [2, 3, 4] : [2, 3, 4, 5, 6]);
  const workers = options.workers ?? flag('--workers') ?? 2;
  const timeLimitMs = (options.timeLimitS ?? flag('--time-limit') ?? 60) * 1000;
  const repeat = options.repeat ?? flag('--repeat') ?? 1;
  const print = options.print ?? true;
  disablePretenuring(); // as the CLI does: dropped worlds are collected young (gc-tuning.ts); before the workers start
  // Warm-up: starting the workers, and enough work that their code is compiled before any row is timed.
  const warm = await run(3, workers, timeLimitMs);
  await run(3, 1, timeLimitMs);
  await run(3, 1, timeLimitMs, true);
  if (print) console.log(`${workers} workers started and warmed up on the 3-vCPU race in ${warm.result.seconds.toFixed(2)} s (paid once per process)`);
  const rows: ParallelBenchRow[] = [];
  const rate = (m: Measured) => m.result.states / m.result.seconds;
  for (const cpus of cpusList) {
    // Alternate the settings, so a burst of other load on the machine hits all alike. One thread runs on the calling
    // thread and on a search thread of its own (its large young generation makes it the faster one-thread search).
    const settings = [
      { workers: 1, thread: false },
      { workers: 1, thread: true },
      { workers, thread: false },
    ] as const;
    const best: (Measured | null)[] = settings.map(() => null);
    for (let i = 0; i < repeat; i++) {
      for (const [slot, s] of settings.entries()) {
        const again = await run(cpus, s.workers, timeLimitMs, s.thread);
        if (!best[slot] || rate(again) > rate(best[slot]!)) best[slot] = again;
      }
    }
    const [one, oneThread, many] = best as [Measured, Measured, Measured];
    const fastestOne = Math.max(rate(one), rate(oneThread));
    for (const [slot, s] of settings.entries()) {
      const m = best[slot]!;
      const r = m.result;
      rows.push({
        cpus, workers: s.workers, thread: s.thread, verdict: r.status === 'bounded' ? `bounded (${r.bound})` : r.status, states: r.states,
        transitions: r.transitions, rebuilds: r.rebuilds, seconds: r.seconds, cpuSeconds: m.cpuSeconds, load: m.load, statesPerSecond: rate(m),
        speedUp: rate(m) / fastestOne,
      });
    }
    for (const c of [oneThread.result, many.result]) {
      if (print && one.result.status === 'ok' && c.status === 'ok' && (one.result.states !== c.states || one.result.transitions !== c.transitions)) {
        console.log(`N = ${cpus}: a row found ${c.states} states / ${c.transitions} transitions, 1 worker ${one.result.states} / ${one.result.transitions}`);
      }
    }
  }
  if (print) printRows(rows);
  if (print && argv.includes('--breakdown')) await printBreakdown(cpusList[cpusList.length - 1]!, workers);
  return rows;
}

async function printBreakdown(cpus: number, workers: number): Promise<void> {
  const b = await breakdown(cpus, workers);
  const per = (us: number) => (us / b.transitions).toFixed(1);
  const cpu = b.workerCpuUs.map(per).join(' + ');
  console.log(
    `N = ${cpus}, ${workers} worker threads expanding, the main thread merging; per transition (µs, summed over threads): unpack ${per(b.unpackUs)}, copy ${per(b.copyUs)}, step+key ${per(b.stepUs)}, pack ${per(b.packUs)} (${b.packs} packs); ` +
      `main-thread merge ${per(b.mergeUs)}, main thread busy ${(100 * b.mainBusy).toFixed(0)} % (messages included); wall ${b.seconds.toFixed(2)} s for ${b.transitions} transitions; ${b.movedStates} states expanded by a thread that did not find them (packed there), ${b.handedOver} from a world of a later step held by another; load ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log(
    `  thread CPU per transition (µs): expanding ${cpu} (handling requests ${per(b.handleCpuUs)}, the rest messages and GC), main thread merging and messages ${per(b.mainCpuUs)}; ` +
      `process CPU ${per(b.processCpuUs)} (GC and compiler threads included); ${b.copies} copies, ${b.spares} spares in their place`,
  );
}

function printRows(rows: readonly ParallelBenchRow[]): void {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const header = ['N', 'workers', 'verdict', 'states', 'transitions', 'rebuilds', 'wall s', 'CPU s', 'states/s', 'speed-up', 'load'];
  const lines = rows.map((r) => [
    String(r.cpus), r.thread ? `${r.workers} (thread)` : String(r.workers), r.verdict, n(r.states), n(r.transitions), n(r.rebuilds), r.seconds.toFixed(2), r.cpuSeconds.toFixed(2),
    n(r.statesPerSecond), `${r.speedUp.toFixed(2)}x`, r.load.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
