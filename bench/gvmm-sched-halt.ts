/**
 * The cost of one GVMMR0SchedHalt with early wake-ups on, for VirtualBox's 'scan' (every vCPU of every VM on
 * each pass) and our expiry 'heap', on the same workload: 1,000 VMs × 64 vCPUs all halted with random
 * deadlines (1 ms .. 1 s); in the steady state the clock stands at the earliest deadline and the EMT that
 * woke last halts again, so each measured call runs a pass that wakes the vCPU now due. Then the growth of
 * the per-call cost with the vCPU count (1,000 VMs × 1, 4, 16, 64 vCPUs). Prints medians and the ratio.
 */
import { Gvmm } from '../src/gvmm/gvmm.js';
import { GVMM_HALT_BLOCKED } from '../src/gvmm/sched.js';
import type { WakeUpIndexKind } from '../src/gvmm/wake-up-index.js';
import { DeterministicScheduler } from '../src/sched/deterministic.js';
import { Prng } from '../src/sched/prng.js';

interface Cpu {
  handle: number;
  cpu: number;
  emt: string;
}

/** A GVMM with `vms` × `cpus` vCPUs, every one halted at a random deadline 1 ms .. 1 ms + `spreadNs` away. */
function halted(index: WakeUpIndexKind, vms: number, cpus: number, seed: number, spreadNs: number) {
  const sched = new DeterministicScheduler({ autoRun: false, record: false });
  const gvmm = new Gvmm({ sched, wakeUpIndex: index });
  const binding = { vmState: () => 'RUNNING', cpuState: () => 'STARTED_HALTED', poke: () => {} };
  const prng = new Prng(seed);
  const runnable: Cpu[] = [];
  const deadlines = new MinHeap();
  const all: Cpu[] = [];
  for (let v = 0; v < vms; v++) {
    const handle = gvmm.createVM({ cCpus: cpus, session: `s${v}`, emt0: `vm.${v + 1}/emt.0`, binding });
    for (let c = 1; c < cpus; c++) gvmm.registerVCpu(handle, c, `vm.${handle}/emt.${c}`);
    for (let c = 0; c < cpus; c++) all.push({ handle, cpu: c, emt: `vm.${handle}/emt.${c}` });
  }
  const halt = (x: Cpu) => {
    const expire = sched.clock.nowNs() + 1_000_000 + prng.int(spreadNs);
    const rc = gvmm.schedHalt(x.handle, x.cpu, x.emt, expire, () => runnable.push(x));
    if (rc !== GVMM_HALT_BLOCKED) throw new Error(`schedHalt: ${String(rc)}`);
    deadlines.push(expire, x);
  };
  for (const x of all) halt(x);
  return { gvmm, sched, halt, runnable, deadlines, all };
}

/** Deadlines of the halted vCPUs (the bench's own bookkeeping, outside the timed calls). */
class MinHeap {
  readonly #a: { ns: number; x: Cpu }[] = [];
  push(ns: number, x: Cpu): void {
    const a = this.#a;
    a.push({ ns, x });
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p]!.ns <= a[i]!.ns) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  /** The earliest deadline that is still a vCPU's current one. */
  peek(valid: (ns: number, x: Cpu) => boolean): number | undefined {
    const a = this.#a;
    while (a.length > 0 && !valid(a[0]!.ns, a[0]!.x)) {
      const last = a.pop()!;
      if (a.length === 0) break;
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        let m = i;
        if (l < a.length && a[l]!.ns < a[m]!.ns) m = l;
        if (l + 1 < a.length && a[l + 1]!.ns < a[m]!.ns) m = l + 1;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return a[0]?.ns;
  }
}

/**
 * Median ns of `calls` steady-state schedHalt calls: the clock moves to the earliest deadline, the EMTs woken
 * last time finish their halts, and the first of them halts again (timed): its early wake-up pass wakes the
 * vCPUs now due. The others then halt again untimed, so the population stays 100% halted but for a few.
 */
function measure(
  index: WakeUpIndexKind, vms: number, cpus: number, calls: number, spreadNs = 999_000_000, seed = 7,
): { medianNs: number; meanNs: number; wokenPerPass: number } {
  const { gvmm, sched, halt, runnable, deadlines, all } = halted(index, vms, cpus, seed, spreadNs);
  const expiry = (x: Cpu) => gvmm.table.gvmOf(x.handle)!.cpus[x.cpu]!.haltExpireNs;
  gvmm.schedWakeUp(all[0]!.handle, all[0]!.cpu, false); // someone must be running to halt
  const times: number[] = [];
  let woken = 0;
  for (let i = 0; i < calls; i++) {
    const runners = runnable.splice(0);
    for (const x of runners) gvmm.schedHaltDone(x.handle, x.cpu);
    const next = deadlines.peek((ns, x) => expiry(x) === ns);
    if (next !== undefined && next > sched.clock.nowNs()) sched.clock.advanceTo(next);
    const t0 = process.hrtime.bigint();
    halt(runners[0]!);
    times.push(Number(process.hrtime.bigint() - t0));
    woken += runnable.length;
    for (const x of runners.slice(1)) halt(x);
  }
  const meanNs = times.reduce((a, b) => a + b, 0) / times.length;
  times.sort((a, b) => a - b);
  return { medianNs: times[Math.floor(times.length / 2)]!, meanNs, wokenPerPass: woken / calls };
}

export async function main(): Promise<{ scanNs: number; heapNs: number; ratio: number; growth: Record<number, { scanNs: number; heapNs: number }> }> {
  measure('heap', 100, 8, 2_000); // warm up the JIT
  measure('scan', 100, 8, 200);
  const heap = measure('heap', 1_000, 64, 20_000);
  const scan = measure('scan', 1_000, 64, 300);
  const ratio = scan.medianNs / heap.medianNs;
  const us = (ns: number) => (ns / 1000).toFixed(1);
  console.log('schedHalt with early wake-ups on, 1,000 VMs x 64 vCPUs all halted (deadlines 1 ms .. 1 s), per call:');
  console.log(`  scan median ${us(scan.medianNs)} us (mean ${us(scan.meanNs)})   heap median ${us(heap.medianNs)} us (mean ${us(heap.meanNs)})`);
  console.log(`  heap is ${ratio.toFixed(0)}x faster (median), ${(scan.meanNs / heap.meanNs).toFixed(0)}x (mean); vCPUs woken per call ${heap.wokenPerPass.toFixed(1)}`);
  const growth: Record<number, { scanNs: number; heapNs: number }> = {};
  console.log('growth with the vCPU count (1,000 VMs; deadlines spread so ~the same number fall due per call):');
  for (const cpus of [1, 4, 16, 64]) {
    const n = 1_000 * cpus;
    const spreadNs = Math.round((999_000_000 * n) / 64_000);
    const h = measure('heap', 1_000, cpus, 20_000, spreadNs);
    const sc = measure('scan', 1_000, cpus, cpus >= 16 ? 300 : 2_000, spreadNs);
    growth[cpus] = { scanNs: sc.medianNs, heapNs: h.medianNs };
    console.log(
      `  ${String(n).padStart(6)} vCPUs: scan ${us(sc.medianNs).padStart(7)} us   heap ${us(h.medianNs).padStart(5)} us ` +
        `(${h.wokenPerPass.toFixed(1)} woken/call, ${(h.medianNs / Math.max(1, h.wokenPerPass) / Math.log2(n)).toFixed(0)} ns per woken vCPU per log2 n)`,
    );
  }
  return { scanNs: scan.medianNs, heapNs: heap.medianNs, ratio, growth };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
