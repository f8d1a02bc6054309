/**
 * VMREQ packets (VMReq.cpp, §5): allocation with a free-list cache, queueing with VMR3ReqQueue's routing,
 * processing on an EMT (vmR3ReqProcessOne) and the /VM/Req/* statistics. A packet's life is the request
 * machine; the runtime only moves packets between queues and calls their functions.
 */
import { requestMachine, type VmReqEvent, type VmReqState } from '../../machines/request.js';
import {
  VBoxError, VERR_INVALID_PARAMETER, VERR_TOO_MUCH_DATA, VERR_VM_REQUEST_KILLED, VERR_VM_REQUEST_STATE,
  VERR_VM_REQUEST_STATUS_FREED, VERR_VM_REQUEST_STATUS_STILL_PENDING, VINF_SUCCESS,
} from '../status.js';
import { MachineCell, sharedEvents, type TransitionListener } from '../sched/machine-cell.js';
import { heldCell, sendHeld, type CellHolder } from '../sched/held-cell.js';
import { isValidTarget, type Route, routeRequest } from '../streams/routing.js';
import { VM_FF_REQUEST, VMCPU_FF_REQUEST, VMNOTIFYFF_FLAGS_POKE } from './ff.js';
import type { CpuTarget, ReqFn } from './types.js';
import type { Emt } from './emt.js';
import type { ReqCall } from './req-call.js';
import type { VmCore } from './vm-core.js';
import { defineConstant, persistable } from '../persist/registry.js';

/** VMREQFLAGS (§5.2). */
export const VMREQFLAGS_VBOX_STATUS = 0;
export const VMREQFLAGS_VOID = 1;
export const VMREQFLAGS_NO_WAIT = 2;
export const VMREQFLAGS_POKE = 4;
export const VMREQFLAGS_PRIORITY = 8;
export const VMREQFLAGS_VALID = VMREQFLAGS_VOID | VMREQFLAGS_NO_WAIT | VMREQFLAGS_POKE | VMREQFLAGS_PRIORITY;

/** VMREQ_MAX_ARGS: the arm64 calling-convention limit (bugref 10725). */
export const VMREQ_MAX_ARGS = 9;
/** Packets kept on the free lists before they are really freed. */
export const VMREQ_FREE_CACHE_MAX = 128;

export interface ReqStats {
  AllocNew: number;
  AllocRaces: number;
  AllocRecycled: number;
  Free: number;
  FreeOverflow: number;
  Processed: number;
  MoreThan1: number;
  PushBackRaces: number;
}

/**
 * A packet's arguments while it has none (a free or fresh packet): one shared frozen array, replaced (never
 * pushed into) when the packet is filled, so a world copy shares it instead of copying an empty array.
 */
const NO_ARGS: readonly never[] = defineConstant('vmm.noReqArgs', Object.freeze([]));

export class VmReq implements CellHolder<VmReqEvent> {
  /** The packet's machine: a held cell (sendHeld; world copies share it). */
  cell: MachineCell<VmReqEvent>;
  target: CpuTarget = 'any';
  /** The queue the packet sits on: a CPU, or null for the global one. */
  cpu: number | null = null;
  flags = VMREQFLAGS_VBOX_STATUS;
  /** The request callback, by id in the VM's function table (0: none); resolved when the packet is processed. */
  fnId = 0;
  args: readonly unknown[] = NO_ARGS;
  status = VERR_VM_REQUEST_STATUS_STILL_PENDING;
  /** The external thread's call waiting on the packet's event (signalled once, when it completes or is killed). */
  caller: ReqCall | null = null;
  /** The EMT blocked in VMR3ReqWait on this packet (a CallFrame); cleared and notified when it completes. */
  waiter: Emt | null = null;
  /** Set by the one who pulls the packet off a queue; a second completion is a bug. */
  completions = 0;

  constructor(
    readonly vm: VmCore,
    readonly id: number,
  ) {
    this.cell = heldCell<VmReqEvent>(vm.host.machines?.request ?? requestMachine, `${vm.id}/req.${id}`);
  }

  /** The packet cell's edges (sendHeld reports them: no closure per packet or per world copy). */
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1]): void {
    const vm = this.vm;
    vm.emit({ kind: 'request', id: this.id, from: from.value as string, to: cell.value, target: String(this.target), cpu: this.cpu, tNs: vm.nowNs() });
  }

  get state(): VmReqState {
    return this.cell.value as VmReqState;
  }

  /** Move the packet through its machine; a refused move is VERR_VM_REQUEST_STATE. */
  move(event: VmReqEvent): void {
    if (!sendHeld(this, event)) {
      throw new VBoxError(VERR_VM_REQUEST_STATE, `request ${this.id}: '${event.type}' not allowed in state ${this.state}`);
    }
  }
}

// A packet's id names it in traces (identity is the object itself); its callback is written in place of fnId.
// A free packet's other fields are stale (alloc sets every one): the key sees only that it is free.
persistable('VmReq', VmReq, {
  history: ['id'],
  keyFields: { fnId: (req, id: number) => req.vm.functions.peek(id) },
  keySave: (req) => (req.state === 'FREE' ? 'FREE' : undefined),
});

/** The packet machine's events, one shared object each (the machine memo keys edges by the object). */
export const REQ_EVENT = sharedEvents<VmReqEvent>({ process: true, recycle: true, free: true, queue: true, complete: true, kill: true, requeue: true });

/** Who hears of every packet a pool hands out (the checker names them): a record, so a copy binds nothing again. */
export interface ReqPoolWatcher {
  named(req: VmReq): void;
}

/** Per-VM packet pool and statistics. */
export class ReqPool {
  /** Set only on a watched pool (an unwatched one has no such field). */
  declare watcher?: ReqPoolWatcher;
  /** The counters of `stats`, fields of the pool (not a record: a world copy has an object fewer). */
  private cAllocNew = 0;
  private cAllocRecycled = 0;
  private cFree = 0;
  private cFreeOverflow = 0;
  private cProcessed = 0;
  private cMoreThan1 = 0;
  /** The free-list cache (packets ready for recycling). */
  private readonly freeList: VmReq[] = [];

  constructor(readonly vm: VmCore) {}

  /** The statistics as a record (a new one each time; the races never happen here: one thread at a time). */
  get stats(): ReqStats {
    return {
      AllocNew: this.cAllocNew, AllocRaces: 0, AllocRecycled: this.cAllocRecycled, Free: this.cFree, FreeOverflow: this.cFreeOverflow,
      Processed: this.cProcessed, MoreThan1: this.cMoreThan1, PushBackRaces: 0,
    };
  }

  /** VMR3ReqProcessU took a request (its lane held more than one: MoreThan1). */
  countProcessed(moreThanOne: boolean): void {
    this.cProcessed++;
    if (moreThanOne) this.cMoreThan1++;
  }

  get cached(): number {
    return this.freeList.length;
  }

  /** VMR3ReqAlloc: validate the target, recycle a packet or make a new one; state ALLOCATED. */
  alloc(target: CpuTarget): VmReq {
    if (!isValidTarget(target, this.vm.cCpus)) {
      throw new VBoxError(VERR_INVALID_PARAMETER, `invalid request target ${String(target)} (VM has ${this.vm.cCpus} CPUs)`);
    }
    let req = this.freeList.pop();
    if (req) {
      req.move(REQ_EVENT.recycle);
      this.cAllocRecycled++;
    } else {
      req = new VmReq(this.vm, this.vm.host.nextId('req'));
      this.cAllocNew++;
    }
    req.target = target;
    req.cpu = null;
    req.flags = VMREQFLAGS_VBOX_STATUS;
    req.fnId = 0;
    req.args = NO_ARGS;
    req.status = VERR_VM_REQUEST_STATUS_STILL_PENDING;
    req.caller = null;
    req.waiter = null;
    req.completions = 0;
    this.watcher?.named(req);
    return req;
  }

  /** VMR3ReqFree: only ALLOCATED or COMPLETED packets; back on the cache while it has room. */
  free(req: VmReq | null): void {
    if (!req) return;
    if (req.state !== 'ALLOCATED' && req.state !== 'COMPLETED') {
      throw new VBoxError(VERR_VM_REQUEST_STATE, `request ${req.id} cannot be freed in state ${req.state}`);
    }
    req.move(REQ_EVENT.free);
    req.status = VERR_VM_REQUEST_STATUS_FREED;
    releaseFn(req);
    req.args = NO_ARGS;
    req.caller = null;
    req.waiter = null;
    this.cFree++;
    if (this.freeList.length < VMREQ_FREE_CACHE_MAX) this.freeList.push(req);
    else this.cFreeOverflow++;
  }
}

// The statistics count what happened.
// The free list is a cache of blank packets (alloc overwrites every field): how many decides only whether
// alloc makes a new one, whose id is history. Out of the key.
persistable('ReqPool', ReqPool, { history: ['cAllocNew', 'cAllocRecycled', 'cFree', 'cFreeOverflow', 'cProcessed', 'cMoreThan1', 'freeList'], owned: ['freeList'] });

/** The packet's callback, for vmR3ReqProcessOne (a packet holds only its id). */
export function requestFn(req: VmReq): ReqFn {
  return req.vm.functions.get<ReqFn>(req.fnId);
}

/** Drop the packet's callback from the function table (freed or killed: it will not run any more). */
function releaseFn(req: VmReq): void {
  if (req.fnId !== 0) req.vm.functions.delete(req.fnId);
  req.fnId = 0;
}

/**
 * A request's arguments as the packet keeps them: frozen (a callee gets them spread, never the array), so world
 * copies share them when they are data; a caller's own array is copied first, not frozen under it.
 */
export const frozenArgs = (args: readonly unknown[]): readonly unknown[] => (Object.isFrozen(args) ? args : Object.freeze([...args]));

/** VMR3ReqCallVU's checks on flags and arguments; throws VBoxError and allocates nothing on failure. */
export function checkCall(flags: number, args: readonly unknown[]): void {
  if ((flags & ~VMREQFLAGS_VALID) !== 0) throw new VBoxError(VERR_INVALID_PARAMETER, `invalid request flags 0x${flags.toString(16)}`);
  if (args.length > VMREQ_MAX_ARGS) {
    throw new VBoxError(VERR_TOO_MUCH_DATA, `${args.length} arguments; at most ${VMREQ_MAX_ARGS} (VMREQ_MAX_ARGS)`);
  }
}

/**
 * VMR3ReqQueue for one CPU or the global queue: push, raise the REQUEST flag, notify. Returns the route
 * taken; 'all' and 'inline' routes are the caller's business (they need a waiting thread).
 */
export function queueRequest(req: VmReq, callerCpu: number | null): Route {
  const vm = req.vm;
  const route = routeRequest(req.target, callerCpu, vm.cCpus);
  const poke = (req.flags & VMREQFLAGS_POKE) !== 0 ? VMNOTIFYFF_FLAGS_POKE : 0;
  const priority = (req.flags & VMREQFLAGS_PRIORITY) !== 0;
  switch (route.kind) {
    case 'cpu':
      req.cpu = route.cpu;
      req.move(REQ_EVENT.queue);
      vm.ownQueue(route.cpu).push(req, priority);
      vm.cpuFF[route.cpu]! |= VMCPU_FF_REQUEST;
      vm.notifyCpu(route.cpu, poke);
      break;
    case 'global':
      req.cpu = null;
      req.move(REQ_EVENT.queue);
      vm.ownQueue(null).push(req, priority);
      vm.setFF(VM_FF_REQUEST);
      if (!vm.host.faults?.lostWakeupGlobal) vm.notifyAll(poke); // the fault is a test-only mutant
      break;
    default:
      break;
  }
  // Nobody will ever take it: the EMTs that serve this queue have left their loops (a late call to a dying VM).
  const unserved = route.kind === 'cpu' ? vm.emts[route.cpu]?.terminated === true : route.kind === 'global' && allTerminated(vm);
  if (unserved) {
    const cpu = route.kind === 'cpu' ? route.cpu : null;
    vm.ownQueue(cpu).remove(req);
    vm.shareIdleQueue(cpu);
    killRequest(req);
  }
  return route;
}

/** Every EMT of the VM has left its loop (and there is at least one). */
function allTerminated(vm: VmCore): boolean {
  const emts = vm.emts;
  for (let i = 0; i < emts.length; i++) if (!emts[i]!.terminated) return false;
  return emts.length > 0;
}

/** vmR3ReqProcessOne, last half: store the status, mark COMPLETED, free (NO_WAIT) or signal the waiter. */
export function completeRequest(pool: ReqPool, req: VmReq, rc: number): void {
  req.completions++;
  req.status = (req.flags & VMREQFLAGS_VOID) !== 0 ? VINF_SUCCESS : rc;
  req.move(REQ_EVENT.complete);
  if ((req.flags & VMREQFLAGS_NO_WAIT) !== 0) {
    pool.free(req);
    return;
  }
  signalWaiter(req);
}

/** RTSemEventSignal on the packet's event: the thread or EMT waiting for it runs again. */
function signalWaiter(req: VmReq): void {
  const caller = req.caller;
  req.caller = null;
  caller?.thread.post({ target: caller, event: 'signal' });
  const emt = req.waiter;
  req.waiter = null;
  emt?.notify();
}

/** vmR3DestroyUVM's last sweep: every packet still queued completes with VERR_VM_REQUEST_KILLED. */
export function killQueuedRequests(vm: VmCore): number {
  let killed = 0;
  for (const cpu of [null, ...vm.cpuQueues.keys()]) {
    if (vm.queue(cpu).isEmpty) continue; // (an empty queue may be frozen: nothing to drain)
    for (const req of vm.ownQueue(cpu).drain()) {
      killRequest(req);
      killed++;
    }
    vm.shareIdleQueue(cpu);
  }
  return killed;
}

/** One queued packet that will never run: VERR_VM_REQUEST_KILLED, state INVALID, waiter signalled. */
function killRequest(req: VmReq): void {
  req.status = VERR_VM_REQUEST_KILLED;
  req.move(REQ_EVENT.kill);
  releaseFn(req); // a killed packet never runs and is never freed
  signalWaiter(req);
}
