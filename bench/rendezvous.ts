/**
 * Rendezvous scaling: how the cost of one DESCENDING rendezvous (VMMR3EmtRendezvous from outside the VM, the
 * path every lifecycle API takes) grows with the vCPU count. A rendezvous walks every EMT through enter →
 * turn → callback → done → return, so the cost should grow linearly: the cost per EMT should stay roughly flat.
 *
 * Method: for each vCPU count, create one VM, warm up, then time K back-to-back rendezvous with host time
 * (process.hrtime). Twice: on the virtual clock with the deterministic scheduler (policy first), where
 * scheduler steps per rendezvous are also counted, and on the real clock (RealTimeScheduler). Virtual GIP time
 * does not move during a rendezvous (nothing waits on a timer), so it cannot be the measure.
 *
 * Run: `npx tsx bench/rendezvous.ts` (about 10 s). Not a test; `npm run bench` runs it with the others.
 */
import { DeterministicScheduler } from '../src/sched/deterministic.js';
import { createVMM, type VmmOptions } from '../src/api/vmm.js';
import { collectGarbage } from './collect-garbage.js';

export interface RendezvousBenchRow {
  clock: 'virtual' | 'real';
  cpus: number;
  rendezvous: number;
  rendezvousPerSec: number;
  usPerRendezvous: number;
  usPerEmt: number;
  /** Deterministic scheduler steps per rendezvous (virtual clock only). */
  stepsPerRendezvous: number | null;
  /** Virtual GIP time that passed over the K rendezvous (virtual clock only). */
  virtualNs: number | null;
}

export interface RendezvousBenchOptions {
  cpus?: readonly number[];
  /** K for a given vCPU count; default keeps each row near 0.3 s. */
  count?: (cpus: number) => number;
  warmup?: number;
  clocks?: readonly ('virtual' | 'real')[];
  /** Print the tables (default true). */
  print?: boolean;
}

const DEFAULT_CPUS = [1, 2, 4, 8, 16, 32, 64] as const;
/** The per-EMT cost counts as flat when, from this many vCPUs on, its max/min ratio stays under FLAT_RATIO_MAX. */
const FLAT_FROM_CPUS = 8;
const FLAT_RATIO_MAX = 2;

const defaultCount = (cpus: number) => Math.max(250, Math.round(4000 / Math.sqrt(cpus)));

export async function main(options: RendezvousBenchOptions = {}): Promise<{ rows: RendezvousBenchRow[]; flat: Record<string, boolean> }> {
  const cpusList = options.cpus ?? DEFAULT_CPUS;
  const count = options.count ?? defaultCount;
  const warmup = options.warmup ?? 50;
  const print = options.print ?? true;
  const rows: RendezvousBenchRow[] = [];
  const flat: Record<string, boolean> = {};
  for (const clock of options.clocks ?? (['virtual', 'real'] as const)) {
    const clockRows: RendezvousBenchRow[] = [];
    for (const cpus of cpusList) clockRows.push(await timeRendezvous(clock, cpus, count(cpus), warmup));
    rows.push(...clockRows);
    flat[clock] = isFlat(clockRows);
    if (print) printTable(clock, clockRows);
  }
  return { rows, flat };
}

/** K DESCENDING rendezvous on a fresh VM of `cpus` vCPUs, after `warmup` untimed ones. */
async function timeRendezvous(clock: 'virtual' | 'real', cpus: number, k: number, warmup: number): Promise<RendezvousBenchRow> {
  const options: VmmOptions = clock === 'real' ? { clock: 'real' } : { policy: { kind: 'first' } };
  const vmm = createVMM(options);
  try {
    const vm = await vmm.create({ cpus, config: { NumCPUs: cpus } });
    const rendezvous = () => vm.emtRendezvous({ type: 'descending' }, () => 0);
    collectGarbage(); // before the warm-up: a forced collection discards compiled code (collect-garbage.ts)
    for (let i = 0; i < warmup; i++) await rendezvous();

    const sched = vmm.sched instanceof DeterministicScheduler ? vmm.sched : null;
    const stepsBefore = sched?.steps ?? 0;
    const virtualBefore = vmm.clock.nowNs();
    const start = process.hrtime.bigint();
    for (let i = 0; i < k; i++) {
      const rc = await rendezvous();
      if (rc !== 0) throw new Error(`rendezvous ${i} on ${cpus} vCPUs returned ${rc}`);
    }
    const elapsedNs = Number(process.hrtime.bigint() - start);

    const usPerRendezvous = elapsedNs / k / 1_000;
    return {
      clock,
      cpus,
      rendezvous: k,
      rendezvousPerSec: (k * 1e9) / elapsedNs,
      usPerRendezvous,
      usPerEmt: usPerRendezvous / cpus,
      stepsPerRendezvous: sched ? (sched.steps - stepsBefore) / k : null,
      virtualNs: sched ? vmm.clock.nowNs() - virtualBefore : null,
    };
  } finally {
    vmm.dispose();
  }
}

/** Flat: from FLAT_FROM_CPUS vCPUs on, the largest per-EMT cost is under FLAT_RATIO_MAX times the smallest. */
function isFlat(rows: readonly RendezvousBenchRow[]): boolean {
  const perEmt = rows.filter((row) => row.cpus >= FLAT_FROM_CPUS).map((row) => row.usPerEmt);
  if (perEmt.length < 2) return true;
  return Math.max(...perEmt) / Math.min(...perEmt) < FLAT_RATIO_MAX;
}

/** Least-squares fit of µs per rendezvous = fixed + perEmt × vCPUs. */
function linearFit(rows: readonly RendezvousBenchRow[]): { fixedUs: number; perEmtUs: number } {
  const n = rows.length;
  const meanX = rows.reduce((sum, row) => sum + row.cpus, 0) / n;
  const meanY = rows.reduce((sum, row) => sum + row.usPerRendezvous, 0) / n;
  const sxy = rows.reduce((sum, row) => sum + (row.cpus - meanX) * (row.usPerRendezvous - meanY), 0);
  const sxx = rows.reduce((sum, row) => sum + (row.cpus - meanX) ** 2, 0);
  const perEmtUs = sxx === 0 ? 0 : sxy / sxx;
  return { fixedUs: meanY - perEmtUs * meanX, perEmtUs };
}

function printTable(clock: 'virtual' | 'real', rows: readonly RendezvousBenchRow[]): void {
  const title =
    clock === 'virtual'
      ? 'DESCENDING rendezvous, virtual clock, deterministic scheduler (policy first)'
      : 'DESCENDING rendezvous, real clock (RealTimeScheduler)';
  console.log(`\n${title}`);
  const header = ['vCPUs', 'K', 'rendezvous/s', 'µs/rendezvous', 'µs/EMT', ...(clock === 'virtual' ? ['steps/rv', 'steps/EMT'] : [])];
  const lines = rows.map((row) => [
    String(row.cpus),
    String(row.rendezvous),
    row.rendezvousPerSec.toFixed(0),
    row.usPerRendezvous.toFixed(1),
    row.usPerEmt.toFixed(2),
    ...(row.stepsPerRendezvous === null ? [] : [row.stepsPerRendezvous.toFixed(0), (row.stepsPerRendezvous / row.cpus).toFixed(2)]),
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));

  const fit = linearFit(rows);
  const tail = rows.filter((row) => row.cpus >= FLAT_FROM_CPUS).map((row) => row.usPerEmt);
  const ratio = tail.length > 1 ? Math.max(...tail) / Math.min(...tail) : 1;
  console.log(`fit: µs/rendezvous ≈ ${fit.fixedUs.toFixed(1)} + ${fit.perEmtUs.toFixed(2)} × vCPUs`);
  if (clock === 'virtual') {
    const virtualNs = rows.reduce((sum, row) => sum + (row.virtualNs ?? 0), 0);
    console.log(`virtual GIP time passed over all rows: ${virtualNs} ns`);
  }
  console.log(
    isFlat(rows)
      ? `cost per EMT roughly flat from ${FLAT_FROM_CPUS} vCPUs on (max/min ${ratio.toFixed(2)} < ${FLAT_RATIO_MAX}): linear growth`
      : `cost per EMT NOT flat from ${FLAT_FROM_CPUS} vCPUs on (max/min ${ratio.toFixed(2)} ≥ ${FLAT_RATIO_MAX}): worse than linear`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
