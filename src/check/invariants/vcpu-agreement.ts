/**
 * vCPU states agree with the VM state (vbox-facts.md §2.2): power-on starts every vCPU before EMT(0) sets
 * RUNNING, power-off stops every vCPU before EMT(0) sets OFF, and nothing else touches STOPPED / STARTED. So
 * in a stable running-family state every vCPU is started, and before power-on or after power-off every vCPU
 * is STOPPED. Transitional states (POWERING_ON, POWERING_OFF*, LOADING …) may be mixed.
 */
import { isCpuStarted } from '../../../machines/vmcpu.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';

const ALL_STARTED = new Set([
  'RUNNING', 'RUNNING_LS', 'RESUMING', 'SUSPENDING', 'SUSPENDING_LS', 'SUSPENDING_EXT_LS', 'SUSPENDED', 'SUSPENDED_LS',
  'SUSPENDED_EXT_LS', 'SAVING', 'RESETTING', 'RESETTING_LS', 'SOFT_RESETTING', 'SOFT_RESETTING_LS', 'DEBUGGING',
  'DEBUGGING_LS', 'FATAL_ERROR', 'FATAL_ERROR_LS', 'GURU_MEDITATION', 'GURU_MEDITATION_LS',
]);
const ALL_STOPPED = new Set(['CREATING', 'CREATED', 'OFF', 'OFF_LS', 'DESTROYING', 'TERMINATED']);

export const vcpuAgreement: PropertyDef = {
  name: 'vcpu-agreement',
  description: 'every vCPU is started while the VM is RUNNING, SUSPENDED and their kin, and STOPPED before power-on and after power-off (§2.2)',
  create: () => new VcpuAgreementMonitor(),
};

class VcpuAgreementMonitor implements Monitor {

  readonly name = 'vcpu-agreement';
  afterStep(ctx: MonitorContext, changed: boolean): void {
    if (!changed) return;
    const view = ctx.view;
    const state = view.vmState;
    const started = ALL_STARTED.has(state);
    if (!started && !ALL_STOPPED.has(state)) return;
    for (let cpu = 0; cpu < view.cpus; cpu++) {
      const cpuState = view.cpuState(cpu);
      if (isCpuStarted(cpuState) !== started) {
        ctx.fail('vcpu-agreement', `VM is ${state} but vCPU ${cpu} is ${cpuState} (expected ${started ? 'a started state' : 'STOPPED'})`);
        return;
      }
    }
  }
}

persistable('VcpuAgreementMonitor', VcpuAgreementMonitor);
