/**
 * The engine's side of GVMM and the halt methods (what createVMM needs): the `gvmm` options, the one GVMM of
 * an engine, the handle a new VM is named by, the EMT hooks of a VM (halt method, GVMM deregistration at EMT
 * exit, GVMM destruction after TERMINATED), and the teardown of a VM whose creation failed.
 */
import { Gvmm } from '../../gvmm/gvmm.js';
import { gvmmR3DeregisterVCpu, gvmmR3DestroyVM } from '../../gvmm/r3.js';
import { DEFAULT_SEM_RESOLUTION_NS } from '../../gvmm/config.js';
import type { WakeUpIndexKind } from '../../gvmm/wake-up-index.js';
import type { Scheduler } from '../../sched/scheduler.js';
import { VBoxError, VINF_SUCCESS } from '../../status.js';
import type { EmtHooks } from '../emt.js';
import type { Operation } from '../external.js';
import { VM_FF_CHECK_VM_STATE } from '../ff.js';
import type { VmCore } from '../vm-core.js';
import { attachHalt, HALT_HOOKS } from './attach.js';

/** createVMM({ gvmm }). */
export interface VmmGvmmOptions {
  /** How early wake-ups find due vCPUs: 'heap' (default, O(k log n)) or VirtualBox's 'scan' (O(VMs × vCPUs)). */
  wakeUpIndex?: WakeUpIndexKind;
  /** GVMMR0SetConfig values by name: { '/GVMM/MinSleepAlone': 750000, … }. */
  config?: Readonly<Record<string, number>>;
  /** Host semaphore resolution, which picks GVMM's defaults and GLOBAL_1's threshold (default 1 ms). */
  semResolutionNs?: number;
  /** Handle array size including NIL (default 8192). */
  maxHandles?: number;
  /** SUPR3IsDriverless: GLOBAL_1 is replaced by METHOD_1. */
  driverless?: boolean;
}

export function createEngineGvmm(sched: Scheduler, fidelity: 'intended' | 'as-written', options: VmmGvmmOptions = {}): Gvmm {
  return new Gvmm({
    sched,
    fidelity,
    ...(options.wakeUpIndex !== undefined ? { wakeUpIndex: options.wakeUpIndex } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.semResolutionNs !== undefined ? { semResolutionNs: options.semResolutionNs } : {}),
    ...(options.maxHandles !== undefined ? { maxHandles: options.maxHandles } : {}),
  });
}

/** The handle VMR3Create will name the VM by; VERR_GVM_TOO_MANY_VMS past the last free one. */
export function reserveVmHandle(gvmm: Gvmm): number {
  const handle = gvmm.reserveHandle();
  if (handle < 0) throw new VBoxError(handle, `no free VM handle (${gvmm.cVMs} VMs exist)`);
  return handle;
}

/**
 * Attach a new VM to GVMM (its handle is reserved) and BOOTSTRAP, and build its EMT hooks: the halt method
 * (unless the embedder brought its own), then at exit GVMMR3DeregisterVCpu on EMTs ≠ 0 and, after
 * TERMINATED, GVMMR3DestroyVM on EMT(0) before the embedder's and the destroy operation's callbacks.
 */
export function attachVmToGvmm(
  vm: VmCore,
  gvmm: Gvmm,
  options: { fidelity: 'intended' | 'as-written'; gvmm?: VmmGvmmOptions; hooks?: EmtHooks; onDestroyed: (vm: VmCore) => void },
): EmtHooks {
  attachHalt(vm, gvmm, {
    asWritten: options.fidelity === 'as-written',
    driverless: options.gvmm?.driverless ?? false,
    semResolutionNs: options.gvmm?.semResolutionNs ?? DEFAULT_SEM_RESOLUTION_NS,
  });
  const user = options.hooks;
  return {
    ...HALT_HOOKS,
    ...user,
    onEmtExit: (core, cpu) => {
      if (cpu !== 0) gvmmR3DeregisterVCpu(core, cpu);
      if (user?.onEmtExit) core.callVoid('onEmtExit hook', user.onEmtExit, core, cpu);
    },
    onTerminated: (core) => {
      gvmmR3DestroyVM(core);
      options.onDestroyed(core);
      if (user?.onTerminated) core.callVoid('onTerminated hook', user.onTerminated, core); // a failure must not stop destroy
      core.onTerminated?.();
    },
  };
}

/** vmR3DestroyUVM after a failed vmR3CreateU: every EMT leaves its loop, EMT(0) gives the handle back. */
export function destroyFailedVmOp(vm: VmCore): Operation {
  return (thread, done) => {
    vm.onTerminated = () =>
      thread.post(() => {
        vm.end();
        done(VINF_SUCCESS);
      });
    vm.fTerminateEMT = true;
    vm.setFF(VM_FF_CHECK_VM_STATE);
    vm.notifyAll();
  };
}
