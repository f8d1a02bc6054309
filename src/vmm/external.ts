/**
 * Threads outside the VM (the embedder's code, a checker client) as actors. Each API call runs as an
 * Operation on its own thread `ext.N`; its steps (queue a request, wake up when it completes, requeue for the
 * next CPU of an ALL request, time out) go through the scheduler like every EMT step, so races between
 * callers are scheduler choices. Operations report through a callback; the promise API wraps them.
 */
import { VBoxError, VERR_INVALID_PARAMETER, VERR_INVALID_VM_HANDLE, VERR_VM_REQUEST_KILLED } from '../status.js';
import { fireTimer, type Steppable, type TimerAction, type TimerTarget } from '../sched/scheduler.js';
import { deliver, type Receiver } from '../sched/receiver.js';
import { checkCall, frozenArgs, VMREQFLAGS_NO_WAIT, type ReqPool, type VmReq } from './requests.js';
import { ReqCall } from './req-call.js';
import { routeRequest } from '../streams/routing.js';
import type { CpuTarget, ReqFn, StatusReceiver } from './types.js';
import type { VmCore } from './vm-core.js';
import { describeValue } from './config.js';
import { bindCode, codeByNameOf, codeStamp, defineCode, defineCodes, persistable } from '../persist/registry.js';
import { EMPTY_LIST, pushed, removedAt } from '../persist/empty-list.js';

export class ExternalThread implements Steppable {
  readonly id: string;
  /** Steps to take, in order: records (`{ target, event }`) or code-table functions bound to data. */
  work: readonly TimerAction[] = EMPTY_LIST;

  constructor(readonly vm: VmCore) {
    this.id = `ext.${vm.host.nextId('caller')}`;
  }

  /** Steps queued and not yet taken (the checker's state key). */
  get pendingWork(): number {
    return this.work.length;
  }

  /** Queue a step for this thread. */
  post(step: TimerAction): void {
    this.work = pushed(this.work, step);
    this.vm.host.sched.ready(this);
  }

  step(): void {
    const work = this.work;
    const next = work[0];
    if (next) this.work = removedAt(work, 0);
    const host = this.vm.host;
    const previous = host.current;
    host.current = null;
    try {
      if (next) fireTimer(next);
    } finally {
      host.current = previous;
    }
    if (this.work.length > 0) host.sched.ready(this);
  }
}

// The id only names the thread (`ext.N`). Every record posted is made for the post (`{ target, event }`): the
// work list is its one referrer.
persistable('ExternalThread', ExternalThread, { history: ['id', 'schedOrdinal'], ownedItems: ['work'] });

/** An API call as a thread outside the VM runs it: it reports a status exactly once (or throws a VBoxError). */
export type Operation = (thread: ExternalThread, done: StatusReceiver) => void;

/** Where an operation's result goes when its owner is a record (a checker's client): no function to bind. */
export interface OperationDone {
  operationDone(result: number | Error): void;
}

/** An operation's result's receiver: a function, or a record that knows what it is waiting for. */
export type OnOperationDone = Receiver<number | Error, 'operationDone'>;

/**
 * One operation on its thread, as data: the operation to start (the thread's first step is this record's
 * 'start'), whether it has reported (a second report is a bug), and where the result goes — `onDone`, or the
 * promise API's call id in the host's table. A runOperationThen call also holds the scheduler (`release`) until
 * it settles, once: by its report or by dispose()'s kill. `untrack` is the host's (a host attachment: a
 * restored call is not in the new host's table of calls to kill).
 */
export class OperationCall implements TimerTarget {
  reported = false;
  settled = false;
  /** The scheduler hold's release (runOperationThen); null: nothing held. */
  release: (() => void) | null = null;
  untrack: (() => void) | undefined = undefined;
  /** The promise API's call (VmmHost.openCall); 0: the result goes to onDone. */
  callId = 0;
  /**
   * The operation, until the first step runs it (then dropped: what it leaves waiting is the operation's own
   * records). Code bound to data (reqCallOp's) is kept as the code and its data, `opArgs`: a world copy copies an
   * array where it would bind the code again.
   */
  op: ((...args: any[]) => void) | null;
  opArgs: readonly unknown[] | null;

  constructor(
    readonly thread: ExternalThread,
    op: Operation,
    readonly onDone: OnOperationDone | null,
  ) {
    const stamp = codeStamp(op);
    this.op = stamp?.args ? codeByNameOf(stamp.name)! : op;
    this.opArgs = stamp?.args ?? null;
  }

  get id(): string {
    return this.thread.id;
  }

  /** The thread's first step: run the operation (it reports to this call); a throw is its answer. */
  timerFired(): void {
    const op = this.op!;
    const args = this.opArgs;
    this.op = this.opArgs = null;
    try {
      if (args) op(...args, this.thread, this);
      else op(this.thread, this);
    } catch (error) {
      this.report(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The operation's `done` (a StatusReceiver). */
  report(result: number | Error): void {
    external.report(this, result);
  }
}

// opArgs: the operation's bound data, its alone (a copy copies the array at once).
persistable('OperationCall', OperationCall, { transient: ['untrack'], owned: ['opArgs'] });

const external = defineCodes('external', {
  /** The operation's `done`. */
  report(call: OperationCall, result: number | Error): void {
    if (call.reported) throw new Error(`${call.thread.id}: operation reported twice`);
    call.reported = true;
    external.settle(call, result);
  },

  kill(call: OperationCall): void {
    external.settle(call, killedError());
  },

  settle(call: OperationCall, result: number | Error): void {
    if (call.release) {
      if (call.settled) return; // killed by dispose(): the world is gone, nothing reports any more
      call.settled = true;
      call.release();
      call.untrack?.();
      call.thread.vm.host.sched.noteSettled();
    }
    if (call.callId !== 0) call.thread.vm.host.settleCall(call.thread.vm, call.callId, result);
    else deliver(call.onDone!, 'operationDone', result);
  },
});

/** The thread's first step (a record: the call's 'start'). */
const START = 'start';

function newCall(vm: VmCore, op: Operation, onDone: OnOperationDone | null): OperationCall {
  return new OperationCall(new ExternalThread(vm), op, onDone);
}

/**
 * Start an operation on a new external thread; `onDone` gets the status, or the VBoxError thrown by the
 * operation's first step. Nothing runs before the scheduler steps the thread.
 */
export function startOperation(vm: VmCore, op: Operation, onDone: OnOperationDone): ExternalThread {
  const call = newCall(vm, op, onDone);
  call.thread.post({ target: call, event: START });
  return call.thread;
}

/**
 * Run an operation for a promise: the simulation runs (holds) until it settles. The promise's resolvers stay
 * with the host (VmmHost.openCall); the engine holds only the call's id.
 */
export function runOperation(vm: VmCore, op: Operation): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    if (vm.host.disposed) return reject(disposedError());
    const call = newCall(vm, op, null);
    call.callId = vm.host.openCall({ resolve, reject });
    hold(call);
  });
}

/**
 * runOperation for a caller that drives the scheduler itself (the checker): the same hold and settle, the
 * result to a callback, so no promise continuation waits on the microtask queue holding the world.
 */
export function runOperationThen(vm: VmCore, op: Operation, onDone: (result: number | Error) => void): void {
  if (vm.host.disposed) return onDone(disposedError());
  hold(newCall(vm, op, onDone));
}

/** Hold the scheduler until the call settles (dispose() kills it through the host's table), then start it. */
function hold(call: OperationCall): void {
  const host = call.thread.vm.host;
  call.release = host.sched.hold();
  call.untrack = host.trackCall?.(bindCode(external.kill, call)); // dispose()'s kill switch: code bound to the call
  call.thread.post({ target: call, event: START });
}

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
  if ((options.target === 'all' || options.target === 'all-reverse') && (flags & VMREQFLAGS_NO_WAIT) !== 0) {
    throw new VBoxError(VERR_INVALID_PARAMETER, 'NO_WAIT is not allowed with VMCPUID_ALL / VMCPUID_ALL_REVERSE');
  }
  const call: ReqCallOp = Object.freeze({ target: options.target, flags, timeoutMs }); // frozen: world copies share it
  return bindCode(reqCallStart, pool, call, fn, frozenArgs(args));
}

/** A request call's input, checked (reqCallOp): a record the operation holds. */
interface ReqCallOp {
  readonly target: CpuTarget;
  readonly flags: number;
  readonly timeoutMs: number | undefined;
}

/** The order of a route that is not 'all': none, frozen as every packet's order is (world copies share it). */
const NO_ORDER: readonly number[] = Object.freeze([]);

/** The operation's step on its thread: allocate, fill, route and queue the packet, then wait (ReqCall). */
const reqCallStart = defineCode('external.reqCallStart', (
  pool: ReqPool, call: ReqCallOp, fn: ReqFn, args: readonly unknown[], thread: ExternalThread, done: StatusReceiver,
): void => {
  const vm = pool.vm;
  const req: VmReq = pool.alloc(call.target);
  req.flags = call.flags;
  req.fnId = vm.functions.add(fn);
  req.args = args;
  const route = routeRequest(call.target, null, vm.cCpus);
  let order = NO_ORDER;
  if (route.kind === 'all') {
    if (call.target === 'all-reverse' && vm.host.faults?.allReverseAscending) route.order.reverse(); // test-only mutant
    // Frozen (never changes once routed): world copies share it.
    order = Object.freeze(route.order);
  }
  new ReqCall(thread, pool, req, order, call.timeoutMs, done).queueNext();
});

/** Turn a status into the API's answer: failures reject with VBoxError, with the VM's error text if it set one. */
export function statusToResult(vm: VmCore, rc: number, errorsBefore: number): number {
  if (rc >= 0) return rc;
  const last = vm.cErrors > errorsBefore && vm.lastError?.rc === rc ? vm.lastError : undefined;
  if (!last) throw new VBoxError(rc);
  if (last.error?.message === last.message) throw last.error; // a failed user callback: its own error
  // VMSetError's text, and the user callback that failed under it (a unit's loadExec under "Failed to load unit") as cause.
  throw Object.assign(new VBoxError(rc, last.message), last.error ? { cause: last.error } : {});
}
