/**
 * Request round trip: `vm.reqCallWait(cpu, fn)` from outside the VM to one vCPU's EMT and back, as operations
 * per second over ~2 s, beside the cheapest comparable round trip in the same process: a bare RxJS Subject
 * whose subscriber resolves a promise. Measured with the real clock (the embedder's setup) and with the
 * virtual clock (the deterministic scheduler); the ratio says how many bare round trips one request costs.
 *
 * Run: npx tsx bench/request.ts [durationMs] [cpu]
 */
import { pathToFileURL } from 'node:url';
import { Subject } from 'rxjs';
import { createVMM, VINF_SUCCESS } from '../src/index.js';

export interface RoundTripResult {
  label: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
}

const nowNs = () => process.hrtime.bigint();

/** Run `once` back to back until `durationMs` of host time has passed. */
async function measure(label: string, durationMs: number, once: () => Promise<unknown>): Promise<RoundTripResult> {
  // Warm up (JIT, free-list cache) before the clock starts.
  for (let i = 0; i < 200; i++) await once();
  const budgetNs = BigInt(durationMs) * 1_000_000n;
  const start = nowNs();
  let ops = 0;
  let elapsed = 0n;
  do {
    for (let i = 0; i < 64; i++) await once();
    ops += 64;
    elapsed = nowNs() - start;
  } while (elapsed < budgetNs);
  const seconds = Number(elapsed) / 1e9;
  return { label, ops, seconds, opsPerSec: ops / seconds };
}

/** The baseline: next() on a Subject, whose subscriber resolves the awaited promise. */
async function subjectRoundTrip(durationMs: number): Promise<RoundTripResult> {
  const subject = new Subject<() => void>();
  const subscription = subject.subscribe((resolve) => resolve());
  try {
    return await measure('RxJS Subject + Promise', durationMs, () => new Promise<void>((resolve) => subject.next(resolve)));
  } finally {
    subscription.unsubscribe();
  }
}

async function requestRoundTrip(clock: 'real' | 'virtual', durationMs: number, cpu: number): Promise<RoundTripResult> {
  const vmm = createVMM(clock === 'real' ? { clock: 'real' } : { seed: 1 });
  try {
    const vm = await vmm.create({ cpus: Math.max(2, cpu + 1) });
    const fn = () => VINF_SUCCESS;
    const result = await measure(`reqCallWait(${cpu}) ${clock} clock`, durationMs, async () => {
      const rc = await vm.reqCallWait(cpu, fn);
      if (rc !== VINF_SUCCESS) throw new Error(`reqCallWait returned ${rc}`);
    });
    await vm.powerOff();
    await vm.destroy();
    return result;
  } finally {
    vmm.dispose();
  }
}

export async function main(durationMs = 2_000, cpu = 1): Promise<RoundTripResult[]> {
  const baseline = await subjectRoundTrip(durationMs);
  const real = await requestRoundTrip('real', durationMs, cpu);
  const virtual = await requestRoundTrip('virtual', durationMs, cpu);
  const rows = [baseline, real, virtual];
  console.log(`request round trip, ~${durationMs} ms each (Node ${process.version})`);
  for (const row of rows) {
    const ratio = baseline.opsPerSec / row.opsPerSec;
    console.log(
      `  ${row.label.padEnd(32)} ${row.opsPerSec.toFixed(0).padStart(12)} ops/s  ${String(row.ops).padStart(10)} ops  ` +
        `${(1e9 / row.opsPerSec).toFixed(0).padStart(8)} ns/op  x${ratio.toFixed(1)} vs Subject`,
    );
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const durationMs = process.argv[2] ? Number(process.argv[2]) : undefined;
  const cpu = process.argv[3] ? Number(process.argv[3]) : undefined;
  await main(durationMs, cpu);
}
