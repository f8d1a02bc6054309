/**
 * Expanding states from copied worlds (issue 17 item 1): each case explored single-threaded, breadth-first
 * (`--mode dfs`: depth-first), in a child process of its own (so peak RSS is the case's), with each expansion strategy:
 * - hybrid: `copyDepth: 48` (the default before copies got cheap): copies from that depth on, rebuilds nearer
 *   the root;
 * - copy: `copyDepth: 0`, the default: every state expanded from the world that discovered it and copies of it,
 *   no replay.
 * Cases: the race (A: powerOn → suspend ∥ B: powerOff) on N = 4, 5, 6 vCPUs, reductions off and on, and
 * Save ∥ Suspend ∥ PowerOff on 2 vCPUs with timers any (the defaults). Per run: CPU seconds (steadier than wall
 * time on a shared machine), states per CPU second, copies, rebuilds, replayed steps, snapshots, bytes/state
 * (tables + liveness + the kept worlds' peak), peak RSS. The strategies alternate, `--repeat k` times each (the
 * fastest is shown), and V8's allocation-site pretenuring is off as `vmm-actors check` runs.
 *
 * Run: `npx tsx bench/check-copies.ts [--cases race4-off,save] [--strategies hybrid,copy] [--repeat k]
 * [--kept-bytes n] [--mode dfs]`, or on the build `node dist/bench/check-copies.js`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { explore, type ExploreMode, type ExploreOptions } from '../src/check/explore.js';
import { disablePretenuring } from '../src/check/gc-tuning.js';
import type { Scenario } from '../src/check/scenario.js';

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
const OFF: ExploreOptions = { por: false, symmetry: false };

export const CASES: Record<string, [Scenario, ExploreOptions]> = {
  'race4-off': [race(4), OFF],
  'race5-off': [race(5), OFF],
  'race6-off': [race(6), OFF],
  'race4-on': [race(4), {}],
  'race5-on': [race(5), {}],
  'race6-on': [race(6), {}],
  save: [{ cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] }, {}],
};

export const STRATEGIES: Record<string, ExploreOptions> = { hybrid: { copyDepth: 48 }, copy: { copyDepth: 0 } };

export interface CopiesRow {
  case: string;
  strategy: string;
  verdict: string;
  states: number;
  cpuSeconds: number;
  statesPerCpuSecond: number;
  copies: number;
  rebuilds: number;
  replayedSteps: number;
  snapshots: number;
  bytesPerState: number;
  peakRssMiB: number;
}

/** One case in this process: what the child prints. */
async function runOne(name: string, strategy: string, keptBytes: number | undefined, mode: ExploreMode): Promise<CopiesRow> {
  disablePretenuring();
  const [scenario, options] = CASES[name]!;
  const before = process.cpuUsage();
  const r = await explore(scenario, { ...options, mode, ...STRATEGIES[strategy], ...(keptBytes !== undefined ? { keptWorldBytes: keptBytes } : {}), timeLimitMs: 300_000 });
  const cpu = process.cpuUsage(before);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    case: name,
    strategy,
    verdict: r.status,
    states: r.states,
    cpuSeconds,
    statesPerCpuSecond: r.states / cpuSeconds,
    copies: r.copies,
    rebuilds: r.rebuilds,
    replayedSteps: r.replayedSteps,
    snapshots: r.snapshots ?? 0,
    bytesPerState: r.bytesPerState,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

const n = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function main(argv: string[] = []): Promise<CopiesRow[]> {
  const arg = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const cases = (arg('--cases') ?? Object.keys(CASES).join(',')).split(',');
  const strategies = (arg('--strategies') ?? Object.keys(STRATEGIES).join(',')).split(',');
  const repeat = Number(arg('--repeat') ?? 1);
  const kept = arg('--kept-bytes');
  const mode = arg('--mode') ?? 'bfs';
  const rows: CopiesRow[] = [];
  console.log('case       strategy  verdict     states   CPU s  states/CPU s   copies  rebuilds  replayed  snapshots  B/state  peak RSS MiB');
  for (const name of cases) {
    const best = new Map<string, CopiesRow>();
    for (let round = 0; round < repeat; round++) {
      for (const strategy of strategies) {
        const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--one', name, strategy, kept ?? '', mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (child.status !== 0) throw new Error(`check-copies: ${name} ${strategy} failed: ${child.stderr}`);
        const row = JSON.parse(child.stdout.trim().split('\n').pop()!) as CopiesRow;
        if (!best.has(strategy) || row.cpuSeconds < best.get(strategy)!.cpuSeconds) best.set(strategy, row);
      }
    }
    for (const row of best.values()) {
      rows.push(row);
      console.log(
        `${row.case.padEnd(10)} ${row.strategy.padEnd(8)}  ${row.verdict.padEnd(9)} ${n(row.states).padStart(8)} ${n(row.cpuSeconds, 2).padStart(7)} ${n(row.statesPerCpuSecond).padStart(13)} ` +
          `${n(row.copies).padStart(8)} ${n(row.rebuilds).padStart(9)} ${n(row.replayedSteps).padStart(9)} ${n(row.snapshots).padStart(10)} ${n(row.bytesPerState).padStart(8)} ${n(row.peakRssMiB).padStart(13)}`,
      );
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--one');
  if (i >= 0) {
    const kept = process.argv[i + 3];
    console.log(JSON.stringify(await runOne(process.argv[i + 1]!, process.argv[i + 2]!, kept ? Number(kept) : undefined, process.argv[i + 4] as ExploreMode)));
  } else await main(process.argv.slice(2));
}
