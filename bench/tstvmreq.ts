/**
 * tstVMREQ.cpp's "Alloc+Free Benchmark" (vbox-facts.md §11.1) at full size: two allocators, REQ0 and REQ1,
 * 100,000 iterations each; iteration i allocates i mod 17 packets (VMCPUID_ANY), stores iStatus = iReq + i,
 * checks them and frees them. The two "threads" are async loops that yield after every allocation and
 * between phases, so they contend for the one free list. Prints the runtime (ns) and /VM/Req/*.
 *
 * Run: npx tsx bench/tstvmreq.ts [iterations]
 */
import { pathToFileURL } from 'node:url';
import { createVMM } from '../src/index.js';
import type { ReqStats, VmReq } from '../src/vmm/requests.js';
import type { VM } from '../src/api/vm.js';

export interface AllocFreeResult {
  iterations: number;
  allocations: number;
  runtimeNs: bigint;
  errors: number;
  stats: ReqStats;
}

async function allocFreeThread(vm: VM, iterations: number): Promise<{ allocations: number; errors: number }> {
  let allocations = 0;
  let errors = 0;
  for (let i = 0; i < iterations; i++) {
    const cReqs = i % 17;
    const reqs: VmReq[] = [];
    for (let iReq = 0; iReq < cReqs; iReq++) {
      const req = vm.reqAlloc('any');
      req.status = iReq + i;
      reqs.push(req);
      allocations++;
      await Promise.resolve();
    }
    for (const [iReq, req] of reqs.entries()) {
      if (req.status !== iReq + i || req.state !== 'ALLOCATED') errors++;
    }
    await Promise.resolve();
    for (const req of reqs) vm.reqFree(req);
    await Promise.resolve();
  }
  return { allocations, errors };
}

export async function main(iterations = 100_000): Promise<AllocFreeResult> {
  const vmm = createVMM({ seed: 1 });
  try {
    const vm = await vmm.create({ cpus: 1 });
    const start = process.hrtime.bigint();
    const threads = await Promise.all([allocFreeThread(vm, iterations), allocFreeThread(vm, iterations)]);
    const runtimeNs = process.hrtime.bigint() - start;
    const result: AllocFreeResult = {
      iterations,
      allocations: threads[0].allocations + threads[1].allocations,
      runtimeNs,
      errors: threads[0].errors + threads[1].errors,
      stats: vm.reqStats,
    };
    console.log(`tstVMREQ Alloc+Free Benchmark: 2 threads x ${iterations} iterations, ${result.allocations} allocations`);
    console.log(`  runtime ${runtimeNs} ns (${(Number(runtimeNs) / result.allocations).toFixed(1)} ns per alloc+check+free)`);
    console.log(`  errors ${result.errors}`);
    for (const [key, value] of Object.entries(result.stats)) console.log(`  /VM/Req/${key}`.padEnd(24), String(value).padStart(10));
    await vm.powerOff();
    await vm.destroy();
    return result;
  } finally {
    vmm.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const iterations = process.argv[2] ? Number(process.argv[2]) : undefined;
  const result = await main(iterations);
  if (result.errors !== 0) process.exitCode = 1;
}
