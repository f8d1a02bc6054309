/**
 * CPU time (not wall time) per request round trip and per DESCENDING rendezvous on the virtual clock, best of
 * five batches: steadier than bench/request.ts and bench/rendezvous.ts on a loaded machine, so a before/after
 * comparison of the engine's step cost can alternate old and new trees and compare like with like.
 *
 * Run: npx tsx bench/emt-step-cpu.ts
 */
import { createVMM } from '../src/index.js';

async function cpuUsPerOp(n: number, once: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 300; i++) await once(); // warm up (JIT, packet free list)
  let best = Number.POSITIVE_INFINITY;
  for (let batch = 0; batch < 5; batch++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await once();
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / n);
  }
  return best;
}

const vmm = createVMM({ clock: 'virtual' });
const vm2 = await vmm.create({ cpus: 2 });
const vm8 = await vmm.create({ cpus: 8 });
const rows = [
  ['reqCallWait(1), 2 vCPUs', await cpuUsPerOp(3000, () => vm2.reqCallWait(1, () => 0))],
  ['DESCENDING rendezvous, 2 vCPUs', await cpuUsPerOp(2000, () => vm2.emtRendezvous({ type: 'descending' }, () => 0))],
  ['DESCENDING rendezvous, 8 vCPUs', await cpuUsPerOp(1000, () => vm8.emtRendezvous({ type: 'descending' }, () => 0))],
] as const;
vmm.dispose();
for (const [label, us] of rows) console.log(`${label.padEnd(32)} ${us.toFixed(2).padStart(8)} µs CPU/op`);
