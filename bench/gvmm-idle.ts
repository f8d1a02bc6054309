/**
 * Virtual time that costs nothing while idle: four vCPUs halting until the next 1 ms tick for 10 simulated
 * seconds (40,000 wake-ups) on the deterministic scheduler. Prints the wall time per run and per wake-up,
 * for the 'heap' and 'scan' wake-up indexes (the first run warms the JIT up and is printed separately).
 */
import { createVMM } from '../src/api/vmm.js';
import type { WakeUpIndexKind } from '../src/gvmm/wake-up-index.js';

const TICK_NS = 1_000_000;

async function run(wakeUpIndex: WakeUpIndexKind): Promise<{ wallMs: number; wakeUps: number }> {
  const vmm = createVMM({
    gvmm: { wakeUpIndex },
    hooks: { executeGuest: (ctx) => ({ kind: 'halt', untilNs: (Math.floor(ctx.nowNs / TICK_NS) + 1) * TICK_NS }) },
  });
  const vm = await vmm.create({ cpus: 4, config: { NumCPUs: 4 } });
  let wakeUps = 0;
  vm.events$.subscribe((e) => {
    if (e.kind === 'cpu-state' && e.from === 'STARTED_HALTED') wakeUps++;
  });
  await vm.powerOn();
  const t0 = performance.now();
  await vmm.advance(10_000_000_000 + TICK_NS / 2);
  const wallMs = performance.now() - t0;
  vmm.dispose();
  return { wallMs, wakeUps };
}

export async function main(): Promise<Record<string, number>> {
  const cold = await run('heap');
  console.log(`10 s simulated, 4 vCPUs halting every 1 ms: cold run ${cold.wallMs.toFixed(0)} ms wall (${cold.wakeUps} wake-ups)`);
  const result: Record<string, number> = {};
  for (const index of ['heap', 'scan', 'heap'] as const) {
    const { wallMs, wakeUps } = await run(index);
    result[index] = wallMs;
    console.log(`  ${index}: ${wallMs.toFixed(0)} ms wall for ${wakeUps} wake-ups (${((wallMs * 1000) / wakeUps).toFixed(1)} us each)`);
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
