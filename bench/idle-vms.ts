/** Heap bytes per idle 4-vCPU VM: create 1,000 VMs in one engine and compare heap before and after. */
import { createVMM } from '../src/api/vmm.js';
import { collectGarbage } from './collect-garbage.js';

export async function main(count = 1_000, cpus = 4): Promise<{ bytesPerVm: number }> {
  const vmm = createVMM();
  const gc = collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const vms = [];
  for (let i = 0; i < count; i++) vms.push(await vmm.create({ cpus, config: { NumCPUs: cpus } }));
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  const bytesPerVm = Math.round((after - before) / count);
  console.log(`idle VMs: ${count} x ${cpus} vCPUs, heap ${(after - before) / 1e6} MB, ${bytesPerVm} bytes/VM${gc ? '' : ' (run with --expose-gc for a cleaner figure)'}`);
  vmm.dispose();
  return { bytesPerVm };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
