/**
 * Wake-up latency in real-time mode: from VMR3NotifyCpuFF (an interrupt raised from outside the VM) on a
 * vCPU halted in GVMM (GLOBAL_1, no deadline) to that EMT running guest code again. Prints the median and
 * the 99th percentile over many wake-ups, for GLOBAL_1 (SCHED_WAKE_UP) and OLD (the ring-3 semaphore).
 */
import { VMHALTMETHOD } from '../machines/halt-method.js';
import { createVMM } from '../src/api/vmm.js';
import { VMCPU_FF_INTERRUPT_APIC } from '../src/vmm/ff.js';
import { raiseCpuInterrupt } from '../src/vmm/halt/notify.js';
import { vmR3SetHaltMethodU } from '../src/vmm/halt/set-method.js';

const nowNs = () => Number(process.hrtime.bigint());

async function measure(method: 'GLOBAL_1' | 'OLD', wakeUps: number): Promise<{ medianUs: number; p99Us: number }> {
  let resumed: ((t: number) => void) | null = null;
  let halted: (() => void) | null = null;
  const vmm = createVMM({
    clock: 'real',
    hooks: {
      executeGuest: (ctx) => {
        if (ctx.cpu !== 1) return { kind: 'halt' };
        // vCPU 1 is back in guest code: take the interrupt, report, halt again without a deadline.
        if (ctx.vm.cpuFF[1]! & VMCPU_FF_INTERRUPT_APIC) {
          ctx.vm.cpuFF[1]! &= ~VMCPU_FF_INTERRUPT_APIC;
          resumed?.(nowNs());
        }
        return { kind: 'halt' };
      },
    },
  });
  const release = vmm.sched.hold();
  const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
  if (method === 'OLD') await vm.reqCallWait('any', (ctx) => vmR3SetHaltMethodU(ctx.vm, VMHALTMETHOD.OLD));
  vm.cpu(1).state$.subscribe((change) => {
    if (change.to === 'STARTED_HALTED') halted?.();
  });
  const waitHalted = () =>
    new Promise<void>((resolve) => {
      if (vm.cpu(1).state === 'STARTED_HALTED') return resolve();
      halted = () => {
        halted = null;
        resolve();
      };
    });
  await vm.powerOn();
  const samples: number[] = [];
  for (let i = 0; i < wakeUps; i++) {
    await waitHalted();
    // Let the halt settle into its wait (GVMM sleep or semaphore) before the interrupt.
    await new Promise((resolve) => setImmediate(resolve));
    const back = new Promise<number>((resolve) => (resumed = resolve));
    const t0 = nowNs();
    raiseCpuInterrupt(vm.core, 1);
    samples.push((await back) - t0);
  }
  resumed = null;
  await vm.powerOff();
  release();
  vmm.dispose();
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]! / 1000;
  return { medianUs: at(0.5), p99Us: at(0.99) };
}

export async function main(wakeUps = 2_000): Promise<Record<string, { medianUs: number; p99Us: number }>> {
  await measure('GLOBAL_1', 200); // warm up
  const result: Record<string, { medianUs: number; p99Us: number }> = {};
  console.log(`wake-up latency, real time, NotifyCpuFF on a halted vCPU → its EMT runs guest code (${wakeUps} wake-ups):`);
  for (const method of ['GLOBAL_1', 'OLD'] as const) {
    const r = await measure(method, wakeUps);
    result[method] = r;
    console.log(`  ${method.padEnd(8)} median ${r.medianUs.toFixed(1)} us   p99 ${r.p99Us.toFixed(1)} us`);
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
