/**
 * Threads outside the VM (the embedder's code, a checker client) as actors. Each API call runs as an
 * Operation on its own thread `ext.N`; its steps (queue a request, wake up when it completes, requeue for the
 * next CPU of an ALL request, time out) go through the scheduler like every EMT step, so races between
 * callers are scheduler choices. Operations report through a callback; the promise API wraps them.
 */
import { VBoxError, VERR_INVALID_PARAMETER, VERR_INVALID_VM_HANDLE, VERR_VM_REQUEST_KILLED } from '../status.js';
import { fireTimer, type Steppable, type TimerAction } from '../sched/scheduler.js';
import { checkCall, VMREQFLAGS_NO_WAIT, type ReqPool, type VmReq } from './requests.js';
import { ReqCall } from './req-call.js';
import { routeRequest } from '../streams/routing.js';
import type { CpuTarget, ReqFn } from './types.js';
import type { VmCore } from './vm-core.js';
import { describeValue } from './config.js';

export class ExternalThread implements Steppable {
  readonly id: string;
  /** Steps to take: records (`{ target, event }`, a request call's wake-ups) or, for the rest, callbacks. */
  readonly #work: TimerAction[] = [];

  constructor(readonly vm: VmCore) {
    this.id = `ext.${vm.host.nextId('caller')}`;
  }

  /** Steps queued and not yet taken (the checker's state key). */
  get pendingWork(): number {
    return this.#work.length;
  }

  /** The steps queued (inspection: what the thread will do next). */
  get work(): readonly TimerAction[] {
    return this.#work;
  }

  /** Queue a step for this thread. */
  post(step: TimerAction): void {
    this.#work.push(step);
    this.vm.host.sched.ready(this);
  }

  step(): void {
    const next = this.#work.shift();
    const host = this.vm.host;
    const previous = host.current;
    host.current = null;
    try {
      if (next) fireTimer(next);
    } finally {
      host.current = previous;
    }
    if (this.#work.length > 0) host.sched.ready(this);
  }
}

/** An API call as a thread outside the VM runs it: it reports a status exactly once (or throws a VBoxError). */
export type Operation = (thread: ExternalThread, done: (rc: number) => void) => void;

/**
 * Start an operation on a new external thread; `onDone` gets the status, or the VBoxError thrown by the
 * operation's first step. Nothing runs before the scheduler steps the thread.
 */
export function startOperation(vm: VmCore, op: Operation, onDone: (result: number | Error) => void): ExternalThread {
  const thread = new ExternalThread(vm);
  let reported = false;
  const report = (result: number | Error) => {
    if (reported) throw new Error(`${thread.id}: operation reported twice`);
    reported = true;
    onDone(result);
  };
  thread.post(() => {
    try {
      op(thread, report);
    } catch (error) {
      report(error instanceof Error ? error : new Error(String(error)));
    }
  });
  return thread;
}

/** Run an operation for a promise: the simulation runs (holds) until it settles. */
export function runOperation(vm: VmCore, op: Operation): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    runOperationThen(vm, op, (result) => (result instanceof Error ? reject(result) : resolve(result)));
  });
}

/**
 * runOperation for a caller that drives the scheduler itself (the checker): the same hold and settle, the
 * result to a callback, so no promise continuation waits on the microtask queue holding the world.
 */
export function runOperationThen(vm: VmCore, op: Operation, onDone: (result: number | Error) => void): void {
  const host = vm.host;
  if (host.disposed) return onDone(disposedError());
  const sched = host.sched;
  const release = sched.hold();
  let settled = false;
  const settle = (result: number | Error) => {
    if (settled) return; // killed by dispose(): the world is gone, nothing reports any more
    settled = true;
    release();
    untrack();
    sched.noteSettled();
    onDone(result);
  };
  const untrack = host.trackCall?.(() => settle(killedError())) ?? noop;
  startOperation(vm, op, settle);
}

const noop = () => {};

/** A call pending when vmm.dispose() ran: killed, as VirtualBox kills the requests left at termination. */
export const killedError = (): VBoxError => new VBoxError(VERR_VM_REQUEST_KILLED, 'the engine was disposed while the call was pending');

/** A call made after vmm.dispose(): the engine's VMs are gone, as their handles are. */
export const disposedError = (): VBoxError => new VBoxError(VERR_INVALID_VM_HANDLE, 'the engine is disposed');

export interface ReqCallOptions {
  target: CpuTarget;
  /**
   * VMREQFLAGS_*: VOID, NO_WAIT, POKE, PRIORITY. NO_WAIT with 'all' / 'all-reverse' is VERR_INVALID_PARAMETER
   * (VirtualBox only Asserts it: stricter than a release build, docs/fidelity.md).
   */
  flags?: number;
  /**
   * cMillies, ≥ 0; omitted or `Infinity` waits forever (VirtualBox's RT_INDEFINITE_WAIT); negative or NaN is
   * VERR_INVALID_PARAMETER. A timeout answers VERR_TIMEOUT and the request completes later.
   */
  timeoutMs?: number;
}

/**
 * VMR3ReqCallV from a thread outside the VM: the callee's status (VBOX_STATUS) or the queue status (VOID,
 * NO_WAIT). Bad flags or arguments throw here, before anything is allocated.
 */
export function reqCallOp(pool: ReqPool, options: ReqCallOptions, fn: ReqFn, args: readonly unknown[]): Operation {
  const flags = options.flags ?? 0;
  checkCall(flags, args);
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
    throw new VBoxError(VERR_INVALID_PARAMETER, `timeoutMs must be ≥ 0 or Infinity (RT_INDEFINITE_WAIT), got ${describeValue(timeoutMs)}`);
  }
  const vm = pool.vm;
  if ((options.target === 'all' || options.target === 'all-reverse') && (flags & VMREQFLAGS_NO_WAIT) !== 0) {
    throw new VBoxError(VERR_INVALID_PARAMETER, 'NO_WAIT is not allowed with VMCPUID_ALL / VMCPUID_ALL_REVERSE');
  }
  return (thread, done) => {
    const req: VmReq = pool.alloc(options.target);
    req.flags = flags;
    req.fnId = vm.functions.add(fn);
    req.args = args;
    const route = routeRequest(options.target, null, vm.cCpus);
    const order = route.kind === 'all' ? route.order : [];
    if (options.target === 'all-reverse' && vm.host.faults?.allReverseAscending) order.reverse(); // test-only mutant
    new ReqCall(thread, pool, req, order, timeoutMs, vm.functions.add(done)).queueNext();
  };
}

/** Turn a status into the API's answer: failures reject with VBoxError, with the VM's error text if it set one. */
export function statusToResult(vm: VmCore, rc: number, errorsBefore: number): number {
  if (rc >= 0) return rc;
  const last = vm.cErrors > errorsBefore && vm.lastError?.rc === rc ? vm.lastError : undefined;
  if (!last) throw new VBoxError(rc);
  if (last.error?.message === last.message) throw last.error; // a failed user callback: its own error
  // VMSetError's text, and the user callback that failed under it (a unit's loadExec under "Failed to load unit") as cause.
  throw Object.assign(new VBoxError(rc, last.message), last.error ? { cause: last.error } : {});
}
