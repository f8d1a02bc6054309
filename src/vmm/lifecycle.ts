/**
 * The lifecycle workers of VM.cpp (§1.4): what each EMT does inside the DESCENDING | STOP_ON_ERROR rendezvous
 * of power-on, suspend, resume, reset, power-off and a fatal runtime error, and the request functions that
 * start those rendezvous. The first EMT in descending order (idCpu == cCpus - 1) tries the state change;
 * EMT(0), last, finishes it. State changes go through VmCore.trySetState / setState, i.e. the VM machine.
 */
import { rendezvousFlags } from '../../machines/rendezvous.js';
import type { VmTransition } from '../../machines/vm.js';
import {
  VERR_VM_INVALID_VM_STATE, VERR_VM_UNEXPECTED_UNSTABLE_STATE, VINF_EM_OFF, VINF_EM_RESCHEDULE, VINF_EM_RESET,
  VINF_EM_RESUME, VINF_EM_SUSPEND, VINF_EM_TERMINATE, VINF_SUCCESS,
} from '../status.js';
import { VM_FF_CHECK_VM_STATE, VMCPU_FF_REQUEST } from './ff.js';
import { deliverStatus, emtRendezvous, type EmtContext, type EmtResult, type RendezvousCallback } from './types.js';
import { CPU_EVENT, type VmCore } from './vm-core.js';
import { callUser, isUserCallbackError, statusOrVoid } from './user-callback.js';
import { bindCode, defineCodes } from '../persist/registry.js';
import { EMPTY_LIST } from '../persist/empty-list.js';

export const DESC_SOE = rendezvousFlags('descending', { stopOnError: true });

/** VMSUSPENDREASON / VMRESUMEREASON (§1.6); validation only needs INVALID < reason < END. */
export const SUSPEND_REASONS = ['INVALID', 'USER', 'RECONFIG', 'VM', 'RUNTIME_ERROR', 'HOST_SUSPEND', 'HOST_BATTERY_LOW', 'FTM_SYNC', 'END'] as const;
export const RESUME_REASONS = ['INVALID', 'USER', 'RECONFIG', 'HOST_RESUME', 'STATE_RESTORED', 'STATE_SAVED', 'TELEPORTED', 'TELEPORT_FAILED', 'FTM_SYNC', 'END'] as const;
export type SuspendReason = Exclude<(typeof SUSPEND_REASONS)[number], 'INVALID' | 'END'>;
export type ResumeReason = Exclude<(typeof RESUME_REASONS)[number], 'INVALID' | 'END'>;

/** Component notifications the workers make (PDMR3PowerOn, SSMR3Cancel …); embedders and later parts fill them in. */
export interface VmComponents {
  pdmPowerOn(vm: VmCore): void;
  pdmSuspend(vm: VmCore): void;
  pdmResume(vm: VmCore): void;
  pdmPowerOff(vm: VmCore): void;
  /** Hard reset, EMT(0): GIM, PDM, PGM, SELM, TRPM, IOM, CPUM, TM, EM, HM, NEM, in that order. */
  resetComponents(vm: VmCore, soft: boolean): void;
  /** SSMR3Cancel: cancel a pending live save, if any. */
  ssmCancel(vm: VmCore): number;
  /** pfnNotifyResetTurnedIntoPowerOff. */
  notifyResetTurnedIntoPowerOff(vm: VmCore): void;
}

export const HARD_RESET_ORDER = ['GIM', 'PDM', 'PGM', 'SELM', 'TRPM', 'IOM', 'CPUM', 'TM', 'EM', 'HM', 'NEM'] as const;
export const SOFT_RESET_ORDER = ['PDM', 'TRPM', 'CPUM', 'EM', 'HM', 'NEM'] as const;

/** The components of a VM (vm.components; none yet, or after a restore: built from the host's options). */
export function componentsOf(vm: VmCore): VmComponents {
  return (vm.components ??= userComponents(vm, vm.host.options?.components));
}

/** SSMR3Cancel as VM.cpp calls it: the VM's saved-state manager (a live save answers through its machine), then the embedder's component. */
function ssmR3Cancel(vm: VmCore): void {
  vm.ssm?.cancel();
  componentsOf(vm).ssmCancel(vm);
}

export const NO_COMPONENTS: VmComponents = {
  pdmPowerOn() {},
  pdmSuspend() {},
  pdmResume() {},
  pdmPowerOff() {},
  resetComponents() {},
  ssmCancel: () => VINF_SUCCESS,
  notifyResetTurnedIntoPowerOff() {},
};

/**
 * An embedder's components for one VM: each runs through callUser (src/vmm/user-callback.ts), so one that fails
 * is reported to events$ (VMSetError) and the worker goes on, as the void PDM notifications of VirtualBox do;
 * a failing ssmCancel answers its failure status.
 */
export function userComponents(vm: VmCore, components: Partial<VmComponents> = {}): VmComponents {
  const wrapped: Partial<Record<keyof VmComponents, unknown>> = {};
  for (const [name, fn] of Object.entries(components) as [keyof VmComponents, (...args: never[]) => unknown][]) {
    if (typeof fn !== 'function') continue;
    wrapped[name] =
      name === 'ssmCancel'
        ? (core: VmCore) => {
            const rc = callUser(`component ${name}`, statusOrVoid, fn as (core: VmCore) => number, core);
            return isUserCallbackError(rc) ? vm.callbackFailed(rc) : (rc ?? VINF_SUCCESS);
          }
        : (...args: never[]) => void vm.callVoid(`component ${name}`, fn, ...args);
  }
  return { ...NO_COMPONENTS, ...(wrapped as Partial<VmComponents>) };
}

const pairs = (all: readonly VmTransition[], from: number, to: number) => all.slice(from, to);
const isFirst = ({ vm, cpu }: EmtContext) => cpu === vm.cCpus - 1;

/** vmR3PowerOn: CREATED → POWERING_ON (first), vCPUs STARTED (each), POWERING_ON → RUNNING (EMT(0)). */
export const vmR3PowerOn: RendezvousCallback = (ctx) => {
  const { vm, cpu } = ctx;
  if (isFirst(ctx)) {
    const rc = vm.trySetState('VMR3PowerOn', pairs(vm.apiPairs('VMR3PowerOn'), 0, 1));
    if (rc < 0) return rc;
  }
  if (vm.vmState !== 'POWERING_ON') return VERR_VM_UNEXPECTED_UNSTABLE_STATE;
  if (!(cpu === 0 && vm.host.faults?.skipCpuStart)) vm.cpuSend(cpu, CPU_EVENT.start); // the fault: test-only mutant
  if (cpu === 0) {
    componentsOf(vm).pdmPowerOn(vm);
    vm.setState('RUNNING', 'POWERING_ON');
  }
  return VINF_SUCCESS;
};

/**
 * vmR3Suspend: RUNNING → SUSPENDING or RUNNING_LS → SUSPENDING_EXT_LS, then → SUSPENDED(_EXT_LS) on EMT(0).
 * The worker with its reason (and the API name its errors carry) bound: code and data, not a closure.
 */
export const vmR3Suspend = (reason: number, who = 'VMR3Suspend'): RendezvousCallback => bindCode(vmR3SuspendWorker, reason, who);

function vmR3SuspendWorker(reason: number, who: string, ctx: EmtContext): EmtResult {
  const { vm, cpu } = ctx;
  const all = vm.apiPairs('VMR3Suspend');
  if (isFirst(ctx)) {
    const rc = vm.trySetState(who, pairs(all, 0, 2));
    if (rc < 0) return rc;
    vm.suspendReason = reason;
  }
  const state = vm.vmState;
  if (state !== 'SUSPENDING' && state !== 'SUSPENDING_EXT_LS') return VERR_VM_UNEXPECTED_UNSTABLE_STATE;
  if (cpu === 0) {
    componentsOf(vm).pdmSuspend(vm);
    const rc = vm.trySetState(who, pairs(all, 2, 4));
    if (rc < 0) return VERR_VM_UNEXPECTED_UNSTABLE_STATE;
  }
  return VINF_EM_SUSPEND;
}

/** vmR3Resume: SUSPENDED → RESUMING (first), RESUMING → RUNNING (EMT(0)), teleport flag cleared. */
export const vmR3Resume = (reason: number): RendezvousCallback => bindCode(vmR3ResumeWorker, reason);

function vmR3ResumeWorker(reason: number, ctx: EmtContext): EmtResult {
  const { vm, cpu } = ctx;
  if (isFirst(ctx)) {
    const rc = vm.trySetState('VMR3Resume', pairs(vm.apiPairs('VMR3Resume'), 0, 1));
    if (rc < 0) return rc;
    vm.resumeReason = reason;
  }
  if (vm.vmState !== 'RESUMING') return VERR_VM_UNEXPECTED_UNSTABLE_STATE;
  if (cpu === 0) {
    componentsOf(vm).pdmResume(vm);
    vm.setState('RUNNING', 'RESUMING');
    vm.fTeleportedAndNotFullyResumedYet = false;
  }
  return VINF_EM_RESUME;
}

/** vmR3HardReset: RESETTING(_LS) on the first EMT; EMT(0) resets components and picks the way out. */
export const vmR3HardReset: RendezvousCallback = (ctx) => {
  const { vm, cpu } = ctx;
  const all = vm.apiPairs('VMR3Reset');
  if (isFirst(ctx)) {
    const rc = vm.trySetState('vmR3HardReset', pairs(all, 0, 3));
    if (rc < 0) return rc;
    vm.cResets++;
    vm.cHardResets++;
  }
  const state = vm.vmState;
  if (state !== 'RESETTING' && state !== 'RESETTING_LS') return VERR_VM_UNEXPECTED_UNSTABLE_STATE;
  // Every EMT clears its force flags but VMCPU_FF_REQUEST.
  vm.cpuFF[cpu]! &= VMCPU_FF_REQUEST;
  if (cpu !== 0) return state === 'RESETTING' ? VINF_EM_RESET : VINF_EM_SUSPEND;
  componentsOf(vm).resetComponents(vm, false);
  if (state === 'RESETTING') {
    // RESETTING → SUSPENDED when reset started SUSPENDED (code-only edge), else → RUNNING.
    vm.setState(vm.state.context.prevState === 'SUSPENDED' ? 'SUSPENDED' : 'RUNNING', 'RESETTING');
    return VINF_EM_RESET;
  }
  vm.setState('SUSPENDING_LS', 'RESETTING_LS');
  componentsOf(vm).pdmSuspend(vm);
  vm.setState('SUSPENDED_LS', 'SUSPENDING_LS');
  return VINF_EM_SUSPEND;
};

/** vmR3SoftReset: SOFT_RESETTING(_LS); EMT(0) soft-resets and returns to SUSPENDED, RUNNING or RUNNING_LS. */
export const vmR3SoftReset: RendezvousCallback = (ctx) => {
  const { vm, cpu } = ctx;
  if (isFirst(ctx)) {
    const rc = vm.trySetState('vmR3SoftReset', pairs(vm.apiPairs('VMR3SoftReset'), 0, 3));
    if (rc < 0) return rc;
    vm.cResets++;
    vm.cSoftResets++;
  }
  const state = vm.vmState;
  if (state !== 'SOFT_RESETTING' && state !== 'SOFT_RESETTING_LS') return VERR_VM_UNEXPECTED_UNSTABLE_STATE;
  if (cpu === 0) {
    componentsOf(vm).resetComponents(vm, true);
    if (state === 'SOFT_RESETTING') vm.setState(vm.state.context.prevState === 'SUSPENDED' ? 'SUSPENDED' : 'RUNNING', 'SOFT_RESETTING');
    else vm.setState('RUNNING_LS', 'SOFT_RESETTING_LS');
  }
  return VINF_EM_RESCHEDULE;
};

/** vmR3PowerOff: the 11 sources (ordinal ≥ 7 cancels a live save), vCPUs STOPPED, → OFF(_LS) on EMT(0). */
export const vmR3PowerOff: RendezvousCallback = (ctx) => {
  const { vm, cpu } = ctx;
  const all = vm.apiPairs('VMR3PowerOff');
  if (isFirst(ctx)) {
    const ordinal = vm.trySetState('VMR3PowerOff', pairs(all, 0, 11));
    if (ordinal < 0) return ordinal;
    if (ordinal >= 7 && !vm.host.faults?.powerOffNoCancel) ssmR3Cancel(vm); // the fault: test-only mutant
  }
  const state = vm.vmState;
  if (state !== 'POWERING_OFF' && state !== 'POWERING_OFF_LS') return VERR_VM_INVALID_VM_STATE;
  if (vm.cpuState(cpu) !== 'STOPPED') vm.cpuSend(cpu, CPU_EVENT.stop);
  if (cpu === 0) {
    componentsOf(vm).pdmPowerOff(vm);
    if (state === 'POWERING_OFF_LS') vm.setState('OFF_LS', 'POWERING_OFF_LS');
    else vm.setState('OFF', 'POWERING_OFF');
  }
  return VINF_EM_OFF;
};

/** vmR3SetRuntimeErrorChangeState (FATAL): RUNNING → FATAL_ERROR or RUNNING_LS → FATAL_ERROR_LS (+ cancel). */
export const vmR3SetRuntimeErrorChangeState: RendezvousCallback = (ctx) => {
  const { vm } = ctx;
  if (isFirst(ctx)) {
    const ordinal = vm.trySetState('VMSetRuntimeError', vm.apiPairs('VMSetRuntimeErrorFatal'));
    if (ordinal < 0) return ordinal;
    if (ordinal === 2) ssmR3Cancel(vm);
    vm.setFF(VM_FF_CHECK_VM_STATE);
  }
  return VINF_EM_SUSPEND;
};

/** VMR3SetGuruMeditation (EM, under the lock): RUNNING(_LS) → GURU_MEDITATION(_LS); false otherwise. */
export function vmR3SetGuruMeditation(vm: VmCore): boolean {
  const state = vm.vmState;
  if (state === 'RUNNING') vm.setState('GURU_MEDITATION', 'RUNNING', true);
  else if (state === 'RUNNING_LS') {
    vm.setState('GURU_MEDITATION_LS', 'RUNNING_LS', true);
    ssmR3Cancel(vm);
  } else return false;
  return true;
}

/** vmR3Destroy on each EMT (ALL_REVERSE): EMT(0) sets fTerminateEMT; everyone leaves its loop. */
export const vmR3Destroy = (ctx: EmtContext): EmtResult => {
  const { vm, cpu } = ctx;
  if (cpu === 0) {
    vm.fTerminateEMT = true;
    vm.setFF(VM_FF_CHECK_VM_STATE);
    vm.notifyAll();
  }
  const emt = vm.emts[cpu]!;
  if (!emt.countedInactive) {
    emt.countedInactive = true;
    vm.cActiveEmts--;
  }
  return VINF_EM_TERMINATE;
};

/** VMR3ResetFF (EMT(0), VM_FF_RESET): PDMR3GetResetInfo decides soft or hard. */
export const vmR3ResetFF = (ctx: EmtContext): EmtResult => {
  const { vm } = ctx;
  const soft = vm.pendingResetSoft;
  vm.pendingResetSoft = false;
  const finish = bindCode(vmR3ResetFinish, vm);
  if (soft) return emtRendezvous(DESC_SOE, vmR3SoftReset, finish);
  return vmR3ResetCommon(vm, finish);
};

/** vmR3ResetCommon: a hard reset, or a power-off when PowerOffInsteadOfReset is set. */
export function vmR3ResetCommon(vm: VmCore, then?: (rc: number) => EmtResult): EmtResult {
  if (vm.config.PowerOffInsteadOfReset) {
    componentsOf(vm).notifyResetTurnedIntoPowerOff(vm);
    return emtRendezvous(DESC_SOE, vmR3PowerOff, then);
  }
  return emtRendezvous(DESC_SOE, vmR3HardReset, then);
}

/** VMR3ResetFF's end: every softReset() caller waiting gets the status. */
function vmR3ResetFinish(vm: VmCore, rc: number): EmtResult {
  const waiters = vm.resetWaiters;
  vm.resetWaiters = EMPTY_LIST;
  for (const waiter of waiters) deliverStatus(waiter, rc);
  return rc;
}

// The workers by name: a rendezvous or request holds them (by id in the VM's function table) across steps.
defineCodes('lifecycle', {
  vmR3PowerOn, vmR3SuspendWorker, vmR3ResumeWorker, vmR3HardReset, vmR3SoftReset, vmR3PowerOff, vmR3SetRuntimeErrorChangeState,
  vmR3Destroy, vmR3ResetFF, vmR3ResetFinish,
});
