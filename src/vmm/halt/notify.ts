/**
 * VMR3NotifyCpuFFU and VMR3NotifyGlobalFFU (vbox-facts.md §4.2): the current halt method's pfnNotifyCpuFF
 * decides who a force flag wakes — the ring-3 semaphore (BOOTSTRAP, OLD, METHOD_1 while fWait), GVMM's
 * SCHED_WAKE_UP (GLOBAL_1, halted or waiting) or SCHED_POKE (GLOBAL_1, guest code, POKE) — and a halt loop
 * that spins sees the flag at once. Also the helpers devices and guests use to raise an interrupt.
 */
import { notifyCpuFFAction } from '../../../machines/halt-method.js';
import { defineCode } from '../../persist/registry.js';
import { VERR_VM_FATAL_WAIT_ERROR } from '../../status.js';
import type { Emt } from '../emt.js';
import { VM_FF_CHECK_VM_STATE, VMCPU_FF_INTERRUPT_APIC } from '../ff.js';
import type { VmCore } from '../vm-core.js';
import { haltOf } from './state.js';

/** pfnNotifyCpuFF of the VM's current method, for one EMT. */
export const vmR3NotifyCpuFF = defineCode('halt.vmR3NotifyCpuFF', function vmR3NotifyCpuFF(emt: Emt, flags: number): void {
  const vm = emt.vm;
  const halt = haltOf(vm);
  const cpuHalt = halt.ownCpu(emt.cpu);
  cpuHalt.stats.cNotifies++;
  const action = notifyCpuFFAction(halt.descriptor.notify, { cpuState: vm.cpuState(emt.cpu), fWait: cpuHalt.fWait, flags });
  switch (action) {
    case 'signal':
      cpuHalt.stats.cNotifyWakeUps++;
      halt.sem(emt.cpu).signal();
      break;
    case 'wake-up':
      // Test-only mutant: the wake-up of a halted vCPU is lost.
      if (vm.host.faults?.haltedWakeUpLost && vm.cpuState(emt.cpu) === 'STARTED_HALTED') break;
      cpuHalt.stats.cNotifyWakeUps++;
      halt.gvmm.schedWakeUp(vm.handle, emt.cpu);
      break;
    case 'poke':
      cpuHalt.stats.cNotifyPokes++;
      halt.gvmm.schedPoke(vm.handle, emt.cpu);
      break;
    case 'nem':
    case 'none':
      break;
  }
  // A halt loop that spins (or yields) polls the force flags on every pass.
  cpuHalt.active?.notified();
});

/** VMR3NotifyCpuFFU(idCpu, fFlags) from any thread. */
export function VMR3NotifyCpuFF(vm: VmCore, cpu: number, flags = 0): void {
  vm.notifyCpu(cpu, flags);
}

/** VMR3NotifyGlobalFFU: no method has pfnNotifyGlobalFF, so every CPU's notifier in ascending order. */
export function VMR3NotifyGlobalFF(vm: VmCore, flags = 0): void {
  vm.notifyAll(flags);
}

/** A device or another vCPU raises an interrupt: set the per-vCPU force flag, then VMR3NotifyCpuFF. */
export function raiseCpuInterrupt(vm: VmCore, cpu: number, ff = VMCPU_FF_INTERRUPT_APIC, flags = 0): void {
  vm.cpuFF[cpu]! |= ff;
  VMR3NotifyCpuFF(vm, cpu, flags);
}

/** vmR3FatalWaitError: the EMT cannot wait any more; every EMT is told to terminate. */
export function vmR3FatalWaitError(emt: Emt, rc: number, what: string): number {
  const vm = emt.vm;
  vm.fTerminateEMT = true;
  vm.setFF(VM_FF_CHECK_VM_STATE);
  vm.setError(VERR_VM_FATAL_WAIT_ERROR, `${emt.id}: ${what} -> ${rc}`);
  vm.notifyAll();
  return VERR_VM_FATAL_WAIT_ERROR;
}
