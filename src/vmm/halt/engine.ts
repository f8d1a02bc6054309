/**
 * The engine's side of GVMM and the halt methods (what createVMM needs): the `gvmm` options, the one GVMM of
 * an engine, the handle a new VM is named by, the EMT hooks of a VM (halt method, GVMM deregistration at EMT
 * exit, GVMM destruction after TERMINATED), and the teardown of a VM whose creation failed.
 */
import { Gvmm } from '../../gvmm/gvmm.js';
import { gvmmR3DeregisterVCpu, gvmmR3DestroyVM } from '../../gvmm/r3.js';
import { DEFAULT_SEM_RESOLUTION_NS } from '../../gvmm/config.js';
import { bindCode, codeStamp, defineCode } from '../../persist/registry.js';
import type { WakeUpIndexKind } from '../../gvmm/wake-up-index.js';
import type { Scheduler } from '../../sched/scheduler.js';
import { VBoxError, VINF_SUCCESS } from '../../status.js';
import type { EmtHooks } from '../emt.js';
import type { ExternalThread, Operation } from '../external.js';
import { VM_FF_CHECK_VM_STATE } from '../ff.js';
import type { VmCore } from '../vm-core.js';
import { deliverStatus, type StatusReceiver } from '../types.js';
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
 * Attach a new VM to GVMM (its handle is reserved) and BOOTSTRAP, and build its EMT hooks (emtHooksOf). After
 * TERMINATED, GVMMR3DestroyVM tells the engine through its host's `vmDestroyed`.
 */
export function attachVmToGvmm(
  vm: VmCore,
  gvmm: Gvmm,
  options: { fidelity: 'intended' | 'as-written'; gvmm?: VmmGvmmOptions; hooks?: EmtHooks },
): EmtHooks {
  // Frozen (never changes): world copies share it.
  attachHalt(vm, gvmm, Object.freeze({
    asWritten: options.fidelity === 'as-written',
    driverless: options.gvmm?.driverless ?? false,
    semResolutionNs: options.gvmm?.semResolutionNs ?? DEFAULT_SEM_RESOLUTION_NS,
  }));
  return emtHooksOf(vm, options);
}

/**
 * The EMT hooks of a VM of this engine: the halt method (unless the embedder brought its own), the embedder's
 * hooks, then at exit GVMMR3DeregisterVCpu on EMTs ≠ 0 and, after TERMINATED, GVMMR3DestroyVM on EMT(0) before
 * the embedder's and the destroy operation's callbacks. Only builds (code-table functions bound to the
 * embedder's hooks), so a restore rebuilds an EMT's hooks from the VM and the host's options with it.
 */
export function emtHooksOf(_vm: VmCore, options: { hooks?: EmtHooks | undefined }): EmtHooks {
  const user = options.hooks;
  const known = user === undefined ? defaultHooks : builtHooks.get(user);
  if (known !== undefined && sameHooks(known, user)) return known;
  // Frozen and shared: they depend on the embedder's hooks only, so every EMT of every copy of a world (a copy
  // revives its EMTs' hooks) can use one object instead of building two bound functions per EMT per copy.
  const hooks: EmtHooks = Object.freeze({
    ...HALT_HOOKS,
    ...user,
    onEmtExit: bindCode(gvmmEmtExit, user?.onEmtExit),
    onTerminated: bindCode(gvmmTerminated, user?.onTerminated),
  });
  if (user === undefined) defaultHooks = hooks;
  else builtHooks.set(user, hooks);
  return hooks;
}

/** emtHooksOf's results by the embedder's hooks (a cache: the hooks are host attachments, never state). */
const builtHooks = new WeakMap<EmtHooks, EmtHooks>();
let defaultHooks: EmtHooks | undefined;

/** Does `built` still reflect `user` (an embedder may change its hooks object between two VMs)? */
function sameHooks(built: EmtHooks, user: EmtHooks | undefined): boolean {
  if (user === undefined) return true;
  const hooks = user as Record<string, unknown>;
  const mine = built as Record<string, unknown>;
  for (const key in hooks) if (key !== 'onEmtExit' && key !== 'onTerminated' && mine[key] !== hooks[key]) return false;
  const exit = codeStamp(built.onEmtExit)?.args?.[0];
  const terminated = codeStamp(built.onTerminated)?.args?.[0];
  return exit === user.onEmtExit && terminated === user.onTerminated;
}

const gvmmEmtExit = defineCode('halt.gvmmEmtExit', (user: EmtHooks['onEmtExit'], core: VmCore, cpu: number): void => {
  if (cpu !== 0) gvmmR3DeregisterVCpu(core, cpu);
  if (user) core.callVoid('onEmtExit hook', user, core, cpu);
});

const gvmmTerminated = defineCode('halt.gvmmTerminated', (user: EmtHooks['onTerminated'], core: VmCore): void => {
  gvmmR3DestroyVM(core);
  core.host.vmDestroyed?.(core);
  if (user) core.callVoid('onTerminated hook', user, core); // a failure must not stop destroy
  core.onTerminated?.();
});

/** vmR3DestroyUVM after a failed vmR3CreateU: every EMT leaves its loop, EMT(0) gives the handle back. */
export function destroyFailedVmOp(vm: VmCore): Operation {
  return bindCode(destroyFailedVm, vm);
}

const destroyFailedVm = defineCode('halt.destroyFailedVm', (vm: VmCore, thread: ExternalThread, done: StatusReceiver): void => {
  vm.onTerminated = bindCode(destroyFailedTerminated, vm, thread, done);
  vm.fTerminateEMT = true;
  vm.setFF(VM_FF_CHECK_VM_STATE);
  vm.notifyAll();
});

const destroyFailedTerminated = defineCode(
  'halt.destroyFailedTerminated',
  (vm: VmCore, thread: ExternalThread, done: StatusReceiver): void => thread.post(bindCode(destroyFailedEnd, vm, done)),
);

const destroyFailedEnd = defineCode('halt.destroyFailedEnd', (vm: VmCore, done: StatusReceiver): void => {
  vm.end();
  deliverStatus(done, VINF_SUCCESS);
});
