/**
 * VM.cpp's public API as Operations: what a thread outside the VM does for each call. The promise facade
 * (vm.ts) and the model checker's clients run the same operations, so a checked interleaving is exactly a
 * runtime interleaving.
 */
import { rendezvousFlags, RV_PRIORITY } from '../../machines/rendezvous.js';
import { VBoxError, VERR_INVALID_PARAMETER, VINF_SUCCESS } from '../status.js';
import { reqCallOp, type Operation, type ReqCallOptions } from './external.js';
import { VM_FF_RESET } from './ff.js';
import {
  DESC_SOE, RESUME_REASONS, SUSPEND_REASONS, vmR3Destroy, vmR3PowerOff, vmR3PowerOn, vmR3ResetCommon, vmR3Resume,
  vmR3SetGuruMeditation, vmR3SetRuntimeErrorChangeState, vmR3Suspend, type ResumeReason, type SuspendReason,
} from './lifecycle.js';
import { killQueuedRequests, type ReqPool, VMREQFLAGS_NO_WAIT, VMREQFLAGS_PRIORITY } from './requests.js';
import { deliverStatus, emtRendezvous, type CpuTarget, type EmtContext, type EmtResult, type ReqFn, type RendezvousCallback, type StatusReceiver } from './types.js';
import { savedStatePortOf, type LoadOptions } from './save/ports.js';
import { openSinkOf, saveFlowOp, type SaveOptions, type SaveOut, type SaveTarget } from './save/save-flow.js';
import type { ExternalThread } from './external.js';
import type { VmCore } from './vm-core.js';
import { bindCode, defineCodes } from '../persist/registry.js';
import { pushed } from '../persist/empty-list.js';

/** VMSETRTERR_FLAGS_*. */
export const VMSETRTERR_FLAGS_FATAL = 1;
export const VMSETRTERR_FLAGS_SUSPEND = 2;
export const VMSETRTERR_FLAGS_NO_WAIT = 4;

export type RendezvousTypeName = 'one-by-one' | 'all-at-once' | 'once' | 'ascending' | 'descending';

export interface RendezvousOptions {
  type: RendezvousTypeName;
  /**
   * STOP_ON_ERROR; with 'all-at-once' or 'once' the answer is VERR_INVALID_FLAGS and no callback runs (VirtualBox
   * only Asserts it: stricter than a release build, docs/fidelity.md).
   */
  stopOnError?: boolean;
  priority?: boolean;
}

/** VMMR3EmtRendezvous from outside the VM: forwarded through an 'any' request (a priority one with PRIORITY). */
export function rendezvousOp(pool: ReqPool, flags: number, worker: RendezvousCallback): Operation {
  const options: ReqCallOptions = { target: 'any', ...((flags & RV_PRIORITY) !== 0 ? { flags: VMREQFLAGS_PRIORITY } : {}) };
  return reqCallOp(pool, options, op.rendezvousRequest, [flags, worker]);
}

/**
 * What the operations leave waiting across steps, as code-table functions with their data bound (a request's
 * callback, destroy's and softReset's continuations, a runtime error's notification): no closures.
 */
const op = defineCodes('operations', {
  /** The 'any' request's callback: the EMT that takes it becomes the rendezvous caller. */
  rendezvousRequest: ((_ctx: EmtContext, flags: number, worker: RendezvousCallback): EmtResult => emtRendezvous(flags, worker)) as ReqFn,

  vmR3Reset: (({ vm }) => vmR3ResetCommon(vm)) as ReqFn,

  softReset(pool: ReqPool, _thread: ExternalThread, done: StatusReceiver): void {
    const vm = pool.vm;
    vm.pendingResetSoft = true;
    vm.resetWaiters = pushed(vm.resetWaiters, done);
    vm.setFF(VM_FF_RESET);
    vm.notifyCpu(0);
  },

  destroy(pool: ReqPool, thread: ExternalThread, done: StatusReceiver): void {
    const vm = pool.vm;
    const rc = vm.trySetState('VMR3Destroy', vm.apiPairs('VMR3Destroy').slice(0, 1));
    if (rc < 0) return deliverStatus(done, rc);
    vm.onTerminated = bindCode(op.destroyTerminated, thread, done);
    // The ALL_REVERSE request is waited for through TERMINATED, not through its own completion.
    reqCallOp(pool, { target: 'all-reverse' }, vmR3Destroy, [])(thread, op.ignoreStatus);
  },

  /** EMT(0) reached TERMINATED: the destroying thread does the last sweep. */
  destroyTerminated(thread: ExternalThread, done: StatusReceiver): void {
    thread.post(bindCode(op.destroyLastSweep, thread.vm, done));
  },

  destroyLastSweep(vm: VmCore, done: StatusReceiver): void {
    if (!vm.host.faults?.keepQueuedAtDestroy) killQueuedRequests(vm); // the fault: test-only mutant
    for (const queue of [vm.globalQueue, ...vm.cpuQueues]) queue.complete();
    vm.end();
    deliverStatus(done, VINF_SUCCESS);
  },

  ignoreStatus(_rc: number): void {},

  /** VMSetRuntimeError's request on an EMT: the state change (FATAL, SUSPEND) first, then the callbacks. */
  runtimeErrorRequest(flags: number, errorId: string, message: string, { vm }: EmtContext): EmtResult {
    const notify = bindCode(op.runtimeErrorNotify, vm, flags, errorId, message);
    if (flags & VMSETRTERR_FLAGS_FATAL) return emtRendezvous(DESC_SOE, vmR3SetRuntimeErrorChangeState, notify);
    // SUSPEND only when running: repeated errors ("disk full") must not suspend in a bad state.
    if (flags & VMSETRTERR_FLAGS_SUSPEND && (vm.vmState === 'RUNNING' || vm.vmState === 'RUNNING_LS')) {
      return emtRendezvous(DESC_SOE, vmR3Suspend(SUSPEND_REASONS.indexOf('RUNTIME_ERROR'), 'VMSetRuntimeError'), notify);
    }
    return op.runtimeErrorNotify(vm, flags, errorId, message, VINF_SUCCESS);
  },

  runtimeErrorNotify(vm: VmCore, flags: number, errorId: string, message: string, rc: number): number {
    vm.cRuntimeErrors++;
    vm.emit({ kind: 'runtime-error', flags, errorId, message, tNs: vm.nowNs() });
    // Every callback runs; the first failure is the call's answer once the runtime error has taken effect.
    let failed = VINF_SUCCESS;
    for (const callback of [...vm.atRuntimeError]) {
      const rcCallback = vm.callVoid('at-runtime-error callback', callback, flags, errorId, message);
      if (failed >= 0) failed = rcCallback;
    }
    return rc < 0 || failed >= 0 ? rc : failed;
  },

  /** VMR3SetGuruMeditation's request; `result.changed` (the caller's record) tells whether the state moved. */
  guruMeditation(result: { changed: boolean }, { vm }: EmtContext): EmtResult {
    result.changed = vmR3SetGuruMeditation(vm);
    return VINF_SUCCESS;
  },
});

const reasonValue = (list: readonly string[], api: string, reason: string): number => {
  const value = list.indexOf(reason);
  if (value <= 0 || value >= list.length - 1) throw new VBoxError(VERR_INVALID_PARAMETER, `invalid ${api} reason '${reason}'`);
  return value;
};

export const vmOps = {
  powerOn: (pool: ReqPool): Operation => rendezvousOp(pool, DESC_SOE, vmR3PowerOn),

  suspend: (pool: ReqPool, reason: SuspendReason = 'USER'): Operation =>
    rendezvousOp(pool, DESC_SOE, vmR3Suspend(reasonValue(SUSPEND_REASONS, 'suspend', reason))),

  resume: (pool: ReqPool, reason: ResumeReason = 'USER'): Operation =>
    rendezvousOp(pool, DESC_SOE, vmR3Resume(reasonValue(RESUME_REASONS, 'resume', reason))),

  /** VMR3Reset: a hard reset, or a power-off when PowerOffInsteadOfReset is set. */
  reset: (pool: ReqPool): Operation => reqCallOp(pool, { target: 'any' }, op.vmR3Reset, []),

  /** A soft reset the way a device asks for one: VM_FF_RESET; EMT(0) runs VMR3ResetFF in its loop. */
  softReset: (pool: ReqPool): Operation => bindCode(op.softReset, pool),

  powerOff: (pool: ReqPool): Operation => rendezvousOp(pool, DESC_SOE, vmR3PowerOff),

  /**
   * VMR3Destroy: OFF → DESTROYING on the calling thread, vmR3Destroy on every EMT in reverse order, EMT(0)
   * last sets TERMINATED; requests still queued afterwards complete with VERR_VM_REQUEST_KILLED.
   */
  destroy: (pool: ReqPool): Operation => bindCode(op.destroy, pool),

  /**
   * VMSetRuntimeError: FATAL (state change), SUSPEND (suspend when running) or neither; then the callbacks.
   * Delivery (VMSetRuntimeErrorV): VMR3ReqPriorityCallWait(ANY) — the priority lane, ahead of queued normal
   * requests — unless this non-EMT caller passed NO_WAIT, which is VMR3ReqCallNoWait on the normal lane.
   */
  setRuntimeError: (pool: ReqPool, flags: number, errorId: string, message: string): Operation => {
    if ((flags & ~7) !== 0) throw new VBoxError(VERR_INVALID_PARAMETER, `invalid runtime error flags ${flags}`);
    const delivery = flags & VMSETRTERR_FLAGS_NO_WAIT ? VMREQFLAGS_NO_WAIT : VMREQFLAGS_PRIORITY;
    return reqCallOp(pool, { target: 'any', flags: delivery }, bindCode(op.runtimeErrorRequest, flags, errorId, message), []);
  },

  /** VMR3SetGuruMeditation as EM calls it on an EMT; `result.changed` tells whether the state moved. */
  setGuruMeditation: (pool: ReqPool, result: { changed: boolean }): Operation =>
    reqCallOp(pool, { target: 'any' }, bindCode(op.guruMeditation, result), []),

  reqCall: (pool: ReqPool, options: ReqCallOptions, fn: ReqFn, args: readonly unknown[]): Operation =>
    reqCallOp(pool, options, fn, args),

  reqCallWait: (pool: ReqPool, target: CpuTarget, fn: ReqFn, args: readonly unknown[]): Operation =>
    reqCallOp(pool, { target }, fn, args),

  emtRendezvous: (pool: ReqPool, options: RendezvousOptions, callback: RendezvousCallback): Operation =>
    rendezvousOp(pool, rendezvousFlags(options.type, options), callback),

  /** VMR3Save: live from RUNNING, plain from SUSPENDED (src/vmm/save/save-flow.ts); `out.result` gets the figures. */
  save: (pool: ReqPool, target: SaveTarget, options: SaveOptions = {}, out: SaveOut = {}): Operation =>
    saveFlowOp(pool, openSinkOf(pool.vm, target), 'save', options, out),

  /** VMR3Teleport over any sink (the TCP side lives in src/teleport). */
  teleport: (pool: ReqPool, target: SaveTarget, options: SaveOptions = {}, out: SaveOut = {}): Operation =>
    saveFlowOp(pool, openSinkOf(pool.vm, target), 'teleport', options, out),

  /** VMR3LoadFromFile: CREATED / SUSPENDED → LOADING → SUSPENDED or LOAD_FAILURE, on EMT(0) (the saved-state layer's loader). */
  loadFromFile: (pool: ReqPool, path: string, options: LoadOptions = {}): Operation => savedStatePortOf(pool.vm).loadFromFileOp(pool, path, options),
};

export type VmOpName = keyof typeof vmOps;
