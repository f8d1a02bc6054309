/**
 * Model-checker throughput on the issue's race: client A calls powerOn then suspend, client B calls powerOff,
 * N = 2…6 vCPUs, explored breadth-first with every reduction off and with the defaults (partial-order
 * reduction on; symmetry is off by itself here because DESCENDING tells vCPUs apart). For each: states,
 * transitions, worlds rebuilt, wall and CPU seconds, states/s (CPU), bytes/state of the explorer's tables and
 * of the live heap (peak growth after a forced GC, sampled in a second run of its own, since a forced GC
 * discards compiled code — run with --expose-gc; parked breadth-first worlds included; NaN for runs under a
 * second). The timed runs follow two untimed warm-up runs. Runs cut short by the time limit say
 * "bounded". Then the larger checks kept out of `npm test`: depth-first for comparison,
 * Save ∥ PowerOff and the as-written live-save defect on 2 vCPUs, Suspend ∥ Resume ∥ PowerOff exhaustively.
 *
 * For scale (issue 5): Spin explores a Promela model of the same race at about 600,000 states/s and 130
 * bytes/state; a naive JavaScript BFS over a cloneable model about 40,000 states/s at 1 KB/state; the goal was
 * 150,000 states/s and 200 bytes/state with reductions off, and N = 4 exhausted in under 5 s with them on.
 *
 * Run: `node --expose-gc` on the build, `npx tsx --expose-gc bench/check-powerons.ts` (a few minutes; `--quick`
 * for N ≤ 4; `--pretenuring` keeps V8's allocation-site pretenuring, which the CLI switches off), or `npm run bench`.
 */
import { explore, type ExploreOptions, type ExploreResult } from '../src/check/explore.js';
import { disablePretenuring } from '../src/check/gc-tuning.js';
import { collectGarbage } from './collect-garbage.js';
import type { Scenario } from '../src/check/scenario.js';

export interface CheckBenchRow {
  name: string;
  cpus: number;
  reductions: string;
  verdict: string;
  states: number;
  transitions: number;
  rebuilds: number;
  seconds: number;
  cpuSeconds: number;
  statesPerCpuSecond: number;
  tableBytesPerState: number;
  heapBytesPerState: number;
  /** Steps of the counterexample, when the run found one. */
  counterexample: number | null;
}

export interface CheckBenchOptions {
  cpus?: readonly number[];
  /** Wall-time bound per run, seconds (default 60). */
  timeLimitS?: number;
  extras?: boolean;
  print?: boolean;
  /** Keep V8's allocation-site pretenuring (default: off, as `vmm-actors check` runs; `--pretenuring`). */
  pretenuring?: boolean;
}

/** Explore and time it (no forced collection: one would discard the engine's compiled code, collect-garbage.ts). */
export async function measure(name: string, scenario: Scenario, options: ExploreOptions, reductions: string): Promise<CheckBenchRow> {
  const cpuBefore = process.cpuUsage();
  const result: ExploreResult = await explore(scenario, options);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    name,
    cpus: scenario.cpus,
    reductions,
    verdict: result.status === 'bounded' ? `bounded (${result.bound})` : result.status,
    states: result.states,
    transitions: result.transitions,
    rebuilds: result.rebuilds,
    seconds: result.seconds,
    cpuSeconds,
    statesPerCpuSecond: result.states / cpuSeconds,
    tableBytesPerState: result.bytesPerState,
    heapBytesPerState: Number.NaN, // filled in by liveHeapPerState once all runs are timed
    counterexample: result.violations[0]?.choices.length ?? null,
  };
}

/**
 * Peak live heap growth per state, in a run of its own: sampled after forced collections (garbage worlds do not
 * count), which slow this run and the next, so these runs come after all timed ones.
 */
async function liveHeapPerState(scenario: Scenario, options: ExploreOptions): Promise<number> {
  if (!collectGarbage()) return Number.NaN;
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const result = await explore(scenario, {
    ...options,
    progressIntervalMs: 250,
    onProgress: () => {
      collectGarbage();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    },
  });
  return peak > before ? (peak - before) / result.states : Number.NaN;
}

export function printRows(rows: readonly CheckBenchRow[]): void {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const header = ['scenario', 'N', 'reductions', 'verdict', 'states', 'transitions', 'rebuilds', 'wall s', 'CPU s', 'states/CPU s', 'B/state tables', 'B/state heap'];
  const lines = rows.map((r) => [
    r.name, String(r.cpus), r.reductions, r.verdict, n(r.states), n(r.transitions), n(r.rebuilds), r.seconds.toFixed(2), r.cpuSeconds.toFixed(2),
    n(r.statesPerCpuSecond), n(r.tableBytesPerState), n(r.heapBytesPerState),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

export async function main(options: CheckBenchOptions = {}): Promise<CheckBenchRow[]> {
  const quick = process.argv.includes('--quick');
  const cpusList = options.cpus ?? (quick ? [2, 3, 4] : [2, 3, 4, 5, 6]);
  const timeLimitMs = (options.timeLimitS ?? 60) * 1000;
  const print = options.print ?? true;
  const pretenuring = options.pretenuring ?? process.argv.includes('--pretenuring');
  if (!pretenuring) disablePretenuring(); // process-wide: run-all.ts runs the checker benches last
  if (print) console.log(`V8 allocation-site pretenuring ${pretenuring ? 'on (V8 default)' : 'off (as vmm-actors check runs)'}`);
  const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
  // Each row with what it ran, in the order run (the heap pass at the end runs them again).
  const runs = new Map<CheckBenchRow, [Scenario, ExploreOptions]>();
  const timed = async (name: string, scenario: Scenario, exploreOptions: ExploreOptions, reductions: string) => {
    const row = await measure(name, scenario, exploreOptions, reductions);
    runs.set(row, [scenario, exploreOptions]);
    return row;
  };
  // Warm up first: V8 keeps compiling the engine for the first few seconds of exploring (about 2.5 CPU s, on
  // background threads too), which would otherwise land on the smallest rows (N = 4 took 2.4 s instead of 1.4).
  for (const cpus of [3, 4]) await explore(race(cpus), { por: false, symmetry: false, liveness: false });
  for (const cpus of cpusList) {
    await timed('powerOn→suspend ∥ powerOff', race(cpus), { por: false, symmetry: false, liveness: false, timeLimitMs }, 'off');
    await timed('powerOn→suspend ∥ powerOff', race(cpus), { timeLimitMs }, 'on');
  }
  if (options.extras ?? !quick) {
    await timed('same, depth-first', race(4), { mode: 'dfs', por: false, symmetry: false, liveness: false, timeLimitMs }, 'off');
    await timed('same, depth-first', race(4), { mode: 'dfs', timeLimitMs }, 'on');
    await timed('same, depth-first', race(6), { mode: 'dfs', por: false, symmetry: false, liveness: false, timeLimitMs }, 'off');
    await timed('suspend ∥ resume ∥ powerOff', { cpus: 3, clients: [['powerOn', 'suspend'], ['resume'], ['powerOff']] }, { timeLimitMs }, 'on');
    await timed('save ∥ powerOff (timers any)', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] }, { timeLimitMs }, 'on');
    const asWritten = await timed('save ∥ suspend, as-written', { cpus: 2, fidelity: 'as-written', timers: 'any', clients: [['powerOn', 'save'], ['suspend']] }, { timeLimitMs }, 'on');
    if (print) console.log(`as-written live save after an external suspend, 2 vCPUs: ${asWritten.verdict} (shortest counterexample: ${asWritten.counterexample ?? '-'} steps)`);
  }
  // The live heap of the runs long enough to sample, now that nothing is timed any more.
  for (const [row, [scenario, exploreOptions]] of runs) if (row.seconds >= 1) row.heapBytesPerState = await liveHeapPerState(scenario, exploreOptions);
  const rows = [...runs.keys()];
  if (print) {
    printRows(rows);
    const four = rows.find((r) => r.cpus === 4 && r.reductions === 'on' && r.name.startsWith('powerOn'));
    if (four) console.log(`N = 4 with reductions: ${four.verdict} in ${four.seconds.toFixed(2)} s wall (goal: exhausted in under 5 s)`);
    const off = rows.filter((r) => r.reductions === 'off' && r.name.startsWith('powerOn'));
    const best = Math.max(...off.map((r) => r.statesPerCpuSecond));
    console.log(`reductions off: up to ${Math.round(best).toLocaleString('en-US')} states per CPU second (goal 150,000); tables ${Math.round(Math.max(...off.map((r) => r.tableBytesPerState)))} B/state at most (goal 200)`);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
