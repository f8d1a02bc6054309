/**
 * The public VM handle: VM.cpp's API on top of the EMT actors. Calls from outside the VM travel the real
 * path (a request on the global queue, the EMT that takes it becomes the rendezvous caller, the worker runs
 * on every EMT, the request completes) and settle with the status, or reject with a VBoxError.
 */
import { defer, filter, map, Observable, startWith, Subject } from 'rxjs';
import { rendezvousFlags, type RendezvousType } from '../../machines/rendezvous.js';
import type { VmState } from '../../machines/vm.js';
import type { VmCpuState } from '../../machines/vmcpu.js';
import {
  VBoxError, VERR_FILE_NOT_FOUND, VERR_INVALID_PARAMETER, VERR_INVALID_VM_HANDLE, VERR_VM_THREAD_IS_EMT, VINF_SUCCESS,
} from '../status.js';
import { ExternalThread, reqCallExternal, statusToResult, type ReqCallOptions } from './external.js';
import { VM_FF_RESET } from './ff.js';
import {
  DESC_SOE, RESUME_REASONS, SUSPEND_REASONS, vmR3Destroy, vmR3PowerOff, vmR3PowerOn, vmR3ResetCommon, vmR3Resume,
  vmR3SetGuruMeditation, vmR3SetRuntimeErrorChangeState, vmR3Suspend, type ResumeReason, type SuspendReason,
} from './lifecycle.js';
import { killQueuedRequests, type ReqPool, VMREQFLAGS_PRIORITY, type VmReq } from './requests.js';
import { emtRendezvous, type CpuTarget, type EmtContext, type ReqFn, type RendezvousCallback } from './types.js';
import type { AtErrorCallback, AtRuntimeErrorCallback, AtStateCallback, VmCore, VmTraceEvent } from './vm-core.js';

export interface VmStateChange {
  readonly from: VmState | null;
  readonly to: VmState;
  readonly tNs: number;
  /** `emt.N` or `ext` (a thread outside the VM). */
  readonly by: string;
}

export interface CpuStateChange {
  readonly cpu: number;
  readonly from: VmCpuState | null;
  readonly to: VmCpuState;
  readonly tNs: number;
}

/** VMSETRTERR_FLAGS_*. */
export const VMSETRTERR_FLAGS_FATAL = 1;
export const VMSETRTERR_FLAGS_SUSPEND = 2;
export const VMSETRTERR_FLAGS_NO_WAIT = 4;

export interface RendezvousOptions {
  type: Exclude<RendezvousType, 'invalid'>;
  stopOnError?: boolean;
  priority?: boolean;
}

export class VM {
  readonly #events = new Subject<VmTraceEvent>();

  constructor(
    readonly core: VmCore,
    readonly pool: ReqPool,
  ) {
    core.listeners.add((event) => this.#events.next(event));
  }

  get handle(): number {
    return this.core.handle;
  }

  get cpus(): number {
    return this.core.cCpus;
  }

  get name(): string {
    return this.core.config.Name;
  }

  get state(): VmState {
    return this.core.vmState;
  }

  /** Everything that happens in the VM, in order. */
  get events$(): Observable<VmTraceEvent> {
    return this.#events.asObservable();
  }

  /** The current state, then every change. */
  get state$(): Observable<VmStateChange> {
    // defer: the first value is the state at subscription time, not when the getter ran.
    return defer(() =>
      this.#events.pipe(
        filter((e): e is Extract<VmTraceEvent, { kind: 'state' }> => e.kind === 'state'),
        map((e) => ({ from: e.from, to: e.to, tNs: e.tNs, by: e.by })),
        startWith({ from: null, to: this.state, tNs: this.core.nowNs(), by: 'ext' } as VmStateChange),
      ),
    );
  }

  cpu(i: number): { readonly state: VmCpuState; readonly state$: Observable<CpuStateChange> } {
    if (!Number.isInteger(i) || i < 0 || i >= this.cpus) throw new VBoxError(VERR_INVALID_PARAMETER, `no vCPU ${i}`);
    const core = this.core;
    const events = this.#events;
    return {
      get state() {
        return core.cpuState(i);
      },
      get state$() {
        return defer(() =>
          events.pipe(
            filter((e): e is Extract<VmTraceEvent, { kind: 'cpu-state' }> => e.kind === 'cpu-state' && e.cpu === i),
            map((e) => ({ cpu: i, from: e.from, to: e.to, tNs: e.tNs })),
            startWith({ cpu: i, from: null, to: core.cpuState(i), tNs: core.nowNs() } as CpuStateChange),
          ),
        );
      },
    };
  }

  /** VMR3PowerOn. */
  powerOn(): Promise<number> {
    return this.#rendezvousApi(DESC_SOE, vmR3PowerOn);
  }

  /** VMR3Suspend(reason). */
  suspend(reason: SuspendReason = 'USER'): Promise<number> {
    const value = SUSPEND_REASONS.indexOf(reason);
    if (value <= 0 || value >= SUSPEND_REASONS.length - 1) return invalidReason('suspend', reason);
    return this.#rendezvousApi(DESC_SOE, vmR3Suspend(value));
  }

  /** VMR3Resume(reason). */
  resume(reason: ResumeReason = 'USER'): Promise<number> {
    const value = RESUME_REASONS.indexOf(reason);
    if (value <= 0 || value >= RESUME_REASONS.length - 1) return invalidReason('resume', reason);
    return this.#rendezvousApi(DESC_SOE, vmR3Resume(value));
  }

  /** VMR3Reset: a hard reset, or a power-off when PowerOffInsteadOfReset is set. */
  reset(): Promise<number> {
    return this.#call('any', () => vmR3ResetCommon(this.core));
  }

  /**
   * A soft (warm) reset the way a device asks for one: VM_FF_RESET with soft reset info; EMT(0) picks it up
   * in its loop and runs VMR3ResetFF. Resolves when the reset is done.
   */
  softReset(): Promise<number> {
    return this.#external((thread, settle) => {
      thread.post(() => {
        const core = this.core;
        core.pendingResetSoft = true;
        ((core.ext.resetWaiters ??= []) as ((rc: number) => void)[]).push(settle);
        core.setFF(VM_FF_RESET);
        core.notifyCpu(0);
      });
    });
  }

  /** VMR3PowerOff. */
  powerOff(): Promise<number> {
    return this.#rendezvousApi(DESC_SOE, vmR3PowerOff);
  }

  /**
   * VMR3Destroy: OFF → DESTROYING on the calling thread, vmR3Destroy on every EMT in reverse order, EMT(0)
   * last sets TERMINATED; requests still queued afterwards complete with VERR_VM_REQUEST_KILLED.
   */
  destroy(): Promise<number> {
    const core = this.core;
    if (core.host.current?.vm === core) return Promise.reject(new VBoxError(VERR_VM_THREAD_IS_EMT, 'VMR3Destroy must not be called on an EMT'));
    return this.#external((thread, settle) => {
      thread.post(() => {
        const rc = core.trySetState('VMR3Destroy', core.apiPairs('VMR3Destroy').slice(0, 1));
        if (rc < 0) return settle(rc);
        const onTerminated = () =>
          thread.post(() => {
            killQueuedRequests(core);
            for (const queue of [core.globalQueue, ...core.cpuQueues]) queue.complete();
            settle(VINF_SUCCESS);
          });
        core.ext.onTerminated = onTerminated;
        reqCallExternal(this.pool, { target: 'all-reverse' }, vmR3Destroy, []).catch(() => {});
      });
    });
  }

  /** VMSetRuntimeError: FATAL (state change), SUSPEND (suspend when running) or neither; then the callbacks. */
  setRuntimeError(flags: number, errorId: string, message: string): Promise<number> {
    if ((flags & ~7) !== 0) return Promise.reject(new VBoxError(VERR_INVALID_PARAMETER, `invalid runtime error flags ${flags}`));
    const core = this.core;
    const notify = (rc: number) => {
      core.cRuntimeErrors++;
      core.emit({ kind: 'runtime-error', flags, errorId, message, tNs: core.nowNs() });
      for (const callback of [...core.atRuntimeError]) callback(flags, errorId, message);
      return rc;
    };
    const work: ReqFn = () => {
      if (flags & VMSETRTERR_FLAGS_FATAL) return emtRendezvous(DESC_SOE, vmR3SetRuntimeErrorChangeState, notify);
      if (flags & VMSETRTERR_FLAGS_SUSPEND) {
        // Only when running: repeated errors ("disk full") must not suspend in a bad state.
        if (core.vmState === 'RUNNING' || core.vmState === 'RUNNING_LS') {
          return emtRendezvous(DESC_SOE, vmR3Suspend(SUSPEND_REASONS.indexOf('RUNTIME_ERROR'), 'VMSetRuntimeError'), notify);
        }
      }
      return notify(VINF_SUCCESS);
    };
    const options: ReqCallOptions = { target: 'any', ...(flags & VMSETRTERR_FLAGS_NO_WAIT ? { flags: 2 } : {}) };
    return this.#request(options, work, []);
  }

  /** VMR3SetGuruMeditation as EM calls it on an EMT: true when the VM went to GURU_MEDITATION(_LS). */
  async setGuruMeditation(): Promise<boolean> {
    let changed = false;
    await this.#call('any', () => {
      changed = vmR3SetGuruMeditation(this.core);
      return VINF_SUCCESS;
    });
    return changed;
  }

  /** VMR3ReqCallWait(target, fn, args…): the callee's status; failures reject. */
  reqCallWait(target: CpuTarget, fn: ReqFn, ...args: unknown[]): Promise<number> {
    return this.#request({ target }, fn, args);
  }

  /** VMR3ReqCallV with flags and a timeout. */
  reqCall(options: ReqCallOptions, fn: ReqFn, ...args: unknown[]): Promise<number> {
    return this.#request(options, fn, args);
  }

  /** VMR3ReqAlloc (for tools and tests that manage packets themselves). */
  reqAlloc(target: CpuTarget): VmReq {
    return this.pool.alloc(target);
  }

  /** VMR3ReqFree. */
  reqFree(req: VmReq | null): void {
    this.pool.free(req);
  }

  /** /VM/Req/* statistics. */
  get reqStats() {
    return { ...this.pool.stats };
  }

  /** VMMR3EmtRendezvous from outside the VM: forwarded through an 'any' request, as VirtualBox does. */
  emtRendezvous(options: RendezvousOptions, callback: (ctx: EmtContext) => number | void): Promise<number> {
    const flags = rendezvousFlags(options.type, options);
    return this.#rendezvousApi(flags, callback as RendezvousCallback);
  }

  /** VMR3AtStateRegister; the returned function deregisters (VMR3AtStateDeregister). */
  atState(callback: AtStateCallback): () => void {
    return register(this.core.atState, callback);
  }

  atError(callback: AtErrorCallback): () => void {
    return register(this.core.atError, callback);
  }

  atRuntimeError(callback: AtRuntimeErrorCallback): () => void {
    return register(this.core.atRuntimeError, callback);
  }

  get errorCount(): number {
    return this.core.cErrors;
  }

  get runtimeErrorCount(): number {
    return this.core.cRuntimeErrors;
  }

  get counters() {
    const c = this.core;
    return { cResets: c.cResets, cHardResets: c.cHardResets, cSoftResets: c.cSoftResets, suspendReason: SUSPEND_REASONS[c.suspendReason] };
  }

  #rendezvousApi(flags: number, worker: RendezvousCallback): Promise<number> {
    const priority = (flags & 0x10) !== 0;
    return this.#request({ target: 'any', ...(priority ? { flags: VMREQFLAGS_PRIORITY } : {}) }, () => emtRendezvous(flags, worker), []);
  }

  #call(target: CpuTarget, fn: ReqFn): Promise<number> {
    return this.#request({ target }, fn, []);
  }

  async #request(options: ReqCallOptions, fn: ReqFn, args: readonly unknown[]): Promise<number> {
    this.#checkAlive();
    const errorsBefore = this.core.cErrors;
    const rc = await reqCallExternal(this.pool, options, fn, args);
    return statusToResult(this.core, rc, errorsBefore);
  }

  async #external(body: (thread: ExternalThread, settle: (rc: number) => void) => void): Promise<number> {
    this.#checkAlive();
    const core = this.core;
    const sched = core.host.sched;
    const errorsBefore = core.cErrors;
    const release = sched.hold();
    const rc = await new Promise<number>((resolve) => {
      body(new ExternalThread(core), (rc) => {
        release();
        sched.noteSettled();
        resolve(rc);
      });
    });
    return statusToResult(core, rc, errorsBefore);
  }

  #checkAlive(): void {
    if (this.core.vmState === 'TERMINATED') throw new VBoxError(VERR_INVALID_VM_HANDLE, `VM ${this.handle} is destroyed`);
  }
}

function invalidReason(api: string, reason: string): Promise<never> {
  return Promise.reject(new VBoxError(VERR_INVALID_PARAMETER, `invalid ${api} reason '${reason}'`));
}

/** The at-* list rules: append; deregistering an unknown entry is VERR_FILE_NOT_FOUND. */
function register<T>(list: T[], callback: T): () => void {
  if (typeof callback !== 'function') throw new VBoxError(VERR_INVALID_PARAMETER, 'callback must be a function');
  list.push(callback);
  return () => {
    const i = list.indexOf(callback);
    if (i < 0) throw new VBoxError(VERR_FILE_NOT_FOUND, 'callback is not registered');
    list.splice(i, 1);
  };
}
