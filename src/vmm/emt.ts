/**
 * An emulation thread as an actor (vmR3EmulationThreadWithId, §4.1). One step is one atomic piece of the
 * EMT's work: a loop decision (taken by machines/emt.ts from the force flags and queues), one request, one
 * phase of a rendezvous, one guest slice. Work that would block a real EMT pushes a frame; the EMT is ready
 * again only when its top frame can progress, so the scheduler never steps an EMT that would just spin.
 */
import { emtMachine, type EmtEvent, type EmtState } from '../../machines/emt.js';
import { VERR_INTERNAL_ERROR, VINF_EM_TERMINATE, VINF_SUCCESS } from '../status.js';
import { MachineCell, sharedEvent, type TransitionListener } from '../sched/machine-cell.js';
import { heldCell, sendHeld, type CellHolder } from '../sched/held-cell.js';
import type { Steppable, TimerAction, TimerTarget } from '../sched/scheduler.js';
import { VM_FF_EMT_RENDEZVOUS, VM_FF_REQUEST, VM_FF_RESET, VMCPU_FF_REQUEST } from './ff.js';
import { joinRendezvous, startRendezvous } from './rendezvous.js';
import { completeRequest, REQ_EVENT, requestFn, type ReqPool, type VmReq } from './requests.js';
import { ExitFrame, GuestSliceFrame, HaltFrame, WorkSliceFrame } from './emt-frames.js';
import { reqCallFromEmt } from './emt-requests.js';
import { vmR3ResetFF, vmR3SetGuruMeditation } from './lifecycle.js';
import { emtCallWait, type EmtContext, type EmtResult, isEmtBlock } from './types.js';
import { defineContinuations, LOOP_STEP_DONE, resumeWith, type Continuation } from './continuations.js';
import { VmAssertion, type VmCore } from './vm-core.js';
import { EMPTY_LIST, pushed, removedAt } from '../persist/empty-list.js';
import { persistable } from '../persist/registry.js';
import { callbackName, callUser, emtResult, isUserCallbackError, type ResultCheck, type UserCallbackError } from './user-callback.js';

/** Something an EMT is blocked in (a rendezvous phase, a request to another CPU, a guest slice, exit). */
export interface Frame {
  readonly describe: string;
  canProgress(): boolean;
  progress(): void;
  /** A frame that waits through the halt method (VMR3WaitU, VMR3WaitHalted, guest code) answers VMR3NotifyCpuFF. */
  notify?(flags: number): void;
  /** A timer record for this EMT ('slice', 'halt') is due while this frame is on top. */
  timerFired?(event: string): void;
}

/** What the guest does next (EMR3ExecuteVM, one slice at a time). */
export type GuestAction =
  | { kind: 'run'; ns: number } // execute guest code for ns of GIP time (vCPU STARTED_EXEC)
  | { kind: 'halt'; untilNs?: number; ignoreInterrupts?: boolean } // HLT: VMR3WaitHalted until an interrupt or the deadline
  | { kind: 'status'; rc: number }; // an EM status for the loop (e.g. VINF_EM_SUSPEND)

export interface GuestContext extends EmtContext {
  readonly nowNs: number;
}

/** Per-engine hooks an embedder supplies. */
export interface EmtHooks {
  executeGuest?: (ctx: GuestContext) => GuestAction;
  /** Called when an EMT leaves its loop (GVMM deregistration lives here once GVMM is attached). */
  onEmtExit?: (vm: VmCore, cpu: number) => void;
  /** EMT(0) has set TERMINATED. */
  onTerminated?: (vm: VmCore) => void;
  /**
   * VMR3WaitHalted's pfnHalt (the halt method); default: a timer until the deadline. `wake` is a record for the
   * halt frame (deliver it with fireTimer, or use it as a timer's action) that ends the halt.
   */
  halt?: (emt: Emt, untilNs: number | undefined, wake: TimerAction, ignoreInterrupts?: boolean) => HaltWait | undefined;
  /** VMR3WaitU's pfnWait: how an EMT with nothing to do waits; none: it waits until notified. */
  wait?: (emt: Emt) => IdleWait | undefined;
  /** VMR3NotifyCpuFFU's pfnNotifyCpuFF for an EMT that waits or runs guest code. */
  notifyCpuFF?: (emt: Emt, flags: number) => void;
}

/** VMR3WaitU in progress: the EMT has no frame, its loop is in 'waiting', the halt method's wait runs. */
export interface IdleWait {
  /** Woken (signal or timeout): the EMT should take a step. */
  canProgress(): boolean;
  /** The EMT runs again: true when the wait is over, false when it waits again. */
  step(): boolean;
  /** pfnNotifyCpuFF for the waiting EMT. */
  notify(flags: number): void;
  /** The EMT found work without being woken: end the wait now. */
  cancel(): void;
}

/** A halt method's VMR3WaitHalted loop; with `step`, the halt ends only when `step()` says so. */
export interface HaltWait {
  cancel(): void;
  /** Replaces the default wake-up condition (deadline, loop work, halted-mask flags). */
  canProgress?(): boolean;
  /** One pass of the halt loop on the EMT; true when the halt is over. */
  step?(): boolean;
}

/** The poll event's flags as bits, and one shared event object per combination (the machine memo keys by it). */
const POLL_TERMINATE = 1;
const POLL_RENDEZVOUS = 2;
const POLL_GLOBAL_REQUESTS = 4;
const POLL_OWN_REQUESTS = 8;
const POLL_RESET = 16;
const POLL_EXECUTE_GUEST = 32;
const POLL_EVENTS: EmtEvent[] = [];
const pollEvent = (mask: number): EmtEvent =>
  (POLL_EVENTS[mask] ??= sharedEvent({
    type: 'poll',
    terminate: (mask & POLL_TERMINATE) !== 0,
    rendezvous: (mask & POLL_RENDEZVOUS) !== 0,
    globalRequests: (mask & POLL_GLOBAL_REQUESTS) !== 0,
    ownRequests: (mask & POLL_OWN_REQUESTS) !== 0,
    reset: (mask & POLL_RESET) !== 0,
    executeGuest: (mask & POLL_EXECUTE_GUEST) !== 0,
  }));
const STEP_DONE: EmtEvent = sharedEvent({ type: 'stepDone', terminate: false });
const STEP_DONE_TERMINATE: EmtEvent = sharedEvent({ type: 'stepDone', terminate: true });

export class Emt implements Steppable, TimerTarget, CellHolder<EmtEvent> {
  readonly id: string;
  /** The loop's machine: a held cell (sendHeld; world copies share it). */
  cell: MachineCell<EmtEvent>;
  /** The frame stack, top last: EMPTY_LIST while empty (as a third of the EMTs of a mid-run world are: copies share it). */
  frames: readonly Frame[] = EMPTY_LIST;
  /** vmR3Destroy already decremented cActiveEmts for this EMT. */
  countedInactive = false;
  /** Informational status of the last loop step (what EMR3ExecuteVM would be told). */
  loopRc = VINF_SUCCESS;
  /** Rendezvous frames this EMT has pushed (names each one's member machine: `vm.1/emt.0/rv.3`). */
  rendezvousSeq = 0;
  /** VMR3WaitU in progress (no frame: the loop is 'waiting'). */
  idle: IdleWait | undefined;
  /** What host.current says while this EMT steps (one object, not one per step; plain data), made when first asked. */
  private current: EmtContext | undefined = undefined;

  constructor(
    readonly vm: VmCore,
    readonly cpu: number,
    readonly pool: ReqPool,
    readonly hooks: EmtHooks,
  ) {
    this.id = `${vm.id}/emt.${cpu}`;
    this.cell = heldCell<EmtEvent>(vm.host.machines?.emt ?? emtMachine, this.id);
  }

  /** The loop cell's edges (sendHeld reports them: no closure per EMT or per world copy). */
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1]): void {
    this.vm.emit({ kind: 'emt', cpu: this.cpu, from: from.value as string, to: cell.value, tNs: this.vm.nowNs() });
  }

  get state(): EmtState {
    return this.cell.value as EmtState;
  }

  get terminated(): boolean {
    return this.state === 'terminated' && this.frames.length === 0;
  }

  top(): Frame | undefined {
    const n = this.frames.length;
    return n > 0 ? this.frames[n - 1] : undefined; // frames[-1] would be a slow named-property lookup
  }

  push(frame: Frame): void {
    this.frames = pushed(this.frames, frame);
  }

  pop(frame: Frame): void {
    const top = this.top();
    if (top !== undefined) this.frames = removedAt(this.frames, this.frames.length - 1);
    if (top !== frame) throw new VmAssertion(VERR_INTERNAL_ERROR, `${this.id}: popped ${top?.describe} instead of ${frame.describe}`);
  }

  /** A timer record naming this EMT is due: the frame on top set it (its deadline), the frame takes it. */
  timerFired(event: string): void {
    this.top()?.timerFired?.(event);
  }

  /** VMR3NotifyCpuFFU: a halt-method wait decides; otherwise the EMT re-checks its wait condition. */
  notify(flags = 0): void {
    const top = this.top();
    if (top?.notify) return top.notify(flags);
    if (!top && this.idle) return this.idle.notify(flags);
    if (this.canProgress()) this.vm.host.sched.ready(this);
  }

  /** The loop would act now (what ends VMR3WaitU here). */
  loopWouldAct(): boolean {
    return this.pollMask() !== 0;
  }

  canProgress(): boolean {
    const top = this.top();
    if (top) return top.canProgress();
    if (this.idle) return this.idle.canProgress();
    return this.state === 'waiting' && this.loopWouldAct();
  }

  /** Nothing to do: wait in VMR3WaitU (the halt method's pfnWait); running anyway with work: stop waiting. */
  private idleCheck(): void {
    if (this.frames.length > 0 || this.state !== 'waiting' || !this.hooks.wait) return;
    if (this.idle) {
      if (this.loopWouldAct()) {
        this.idle.cancel();
        this.idle = undefined;
      }
    } else if (!this.loopWouldAct()) {
      const idle = callUser(() => `wait hook on ${this.id}`, isIdleWait, this.hooks.wait, this);
      this.idle = isUserCallbackError(idle) ? void this.vm.callbackFailed(idle) : idle; // failed: wait until notified
    }
  }

  /** Anything the loop must act on before (or instead of) running guest code. */
  hasLoopWork(): boolean {
    return (this.pollMask() & ~POLL_EXECUTE_GUEST) !== 0;
  }

  step(): void {
    const host = this.vm.host;
    const previous = host.current;
    host.current = this.context();
    try {
      const top = this.top();
      if (top) {
        if (top.canProgress()) top.progress();
      } else if (this.idle) {
        if (this.idle.step()) this.idle = undefined; // VMR3WaitU returned: the loop polls on the next step
      } else if (this.state === 'waiting') {
        this.loop();
      }
      this.idleCheck();
    } finally {
      host.current = previous;
    }
    if (this.canProgress()) host.sched.ready(this);
  }

  /**
   * Run a callback's result: a status goes to `next` at once; a block waits, then its `then` (kept in the VM's
   * function table meanwhile) runs and its result goes the same way.
   */
  runResult(result: EmtResult, next: Continuation): void {
    if (!isEmtBlock(result)) return resumeWith(this, next, typeof result === 'number' ? result : VINF_SUCCESS);
    const after: Continuation = result.then ? { k: 'emt.then', fn: this.vm.functions.add(result.then), next } : next;
    if (result.kind === 'rendezvous') return startRendezvous(this, result.flags, result.callback, after);
    if (result.kind === 'slices') {
      const frame = new WorkSliceFrame(this, result.slices, after);
      this.push(frame);
      return frame.progress();
    }
    reqCallFromEmt(this, result.target, result.flags ?? 0, result.fn, result.args ?? [], after);
  }

  /** What code on this EMT sees (read-only, so one object serves every call). */
  context(): EmtContext {
    return (this.current ??= { vm: this.vm, cpu: this.cpu, reqCallWait: emtCallWait });
  }

  /**
   * Run embedder or worker code (src/vmm/user-callback.ts): a throw, a promise or a value that is not a status
   * becomes its status, reported with VMSetError so the API call that ran it rejects with the error.
   */
  call(fn: () => EmtResult, kind: string | (() => string) = 'EMT callback'): EmtResult {
    const result = callUser(() => `${typeof kind === 'string' ? kind : kind()} on ${this.id}`, emtResult, fn);
    return isUserCallbackError(result) ? this.vm.callbackFailed(result) : result;
  }

  /** Guest code (or its halt) failed: VMSetError, and EM's way out, GURU_MEDITATION; the failure's status. */
  guestFailed(error: UserCallbackError): number {
    this.vm.callbackFailed(error);
    vmR3SetGuruMeditation(this.vm);
    return error.rc;
  }

  /** The poll event's flags as bits (POLL_*): read on every loop decision, so no object is built. */
  private pollMask(): number {
    const vm = this.vm;
    const lock = vm.rendezvousLock;
    let mask = vm.fTerminateEMT ? POLL_TERMINATE : 0;
    if ((vm.ff & VM_FF_EMT_RENDEZVOUS) !== 0 && lock !== null && !lock.entered.has(this.cpu)) mask |= POLL_RENDEZVOUS;
    // Early phase (no VM yet): only EMT(0) serves VMCPUID_ANY.
    if (!vm.globalQueue.isEmpty && (vm.created || this.cpu === 0)) mask |= POLL_GLOBAL_REQUESTS;
    if (!vm.cpuQueues[this.cpu]!.isEmpty) mask |= POLL_OWN_REQUESTS;
    if ((vm.ff & VM_FF_RESET) !== 0 && this.cpu === 0) mask |= POLL_RESET;
    if (this.hooks.executeGuest !== undefined) {
      const state = vm.vmState;
      if ((state === 'RUNNING' || state === 'RUNNING_LS') && vm.isCpuStarted(this.cpu)) mask |= POLL_EXECUTE_GUEST;
    }
    return mask;
  }

  /** One pass of the loop: the machine picks the branch in VirtualBox's priority order. */
  private loop(): void {
    sendHeld(this, pollEvent(this.pollMask()));
    switch (this.state) {
      case 'terminated':
        return this.exit();
      case 'rendezvous':
        return joinRendezvous(this, this.vm.rendezvousLock!, LOOP_STEP_DONE);
      case 'processingGlobal':
        return this.processOne(null);
      case 'processingOwn':
        return this.processOne(this.cpu);
      case 'resetting':
        this.vm.clearFF(VM_FF_RESET);
        return this.runResult(this.call(() => vmR3ResetFF(this.context())), LOOP_STEP_DONE);
      case 'executing':
        return this.executeGuest();
      case 'waiting':
        return;
    }
  }

  /** The end of a loop step (the continuation LOOP_STEP_DONE names). */
  endLoopStep(rc: number): void {
    this.loopRc = rc;
    sendHeld(this, rc === VINF_EM_TERMINATE || this.vm.fTerminateEMT ? STEP_DONE_TERMINATE : STEP_DONE);
    if (this.state === 'terminated') this.exit();
  }

  /** VMR3ReqProcessU, one request: oldest first, priority lane first (§5.10). */
  private processOne(cpu: number | null): void {
    const vm = this.vm;
    // An empty queue may be frozen (shared): take from the EMT's own; give it back to sharing once empty.
    const taken = vm.queue(cpu).isEmpty ? undefined : vm.ownQueue(cpu).take();
    if (vm.queue(cpu).isEmpty) {
      if (cpu === null) vm.clearFF(VM_FF_REQUEST);
      else vm.cpuFF[cpu]! &= ~VMCPU_FF_REQUEST;
      vm.shareIdleQueue(cpu);
    }
    if (!taken) return this.endLoopStep(VINF_SUCCESS);
    const req = taken.item;
    req.move(REQ_EVENT.process);
    const fn = requestFn(req);
    this.pool.countProcessed(taken.moreThanOne); // VMR3ReqProcessU counts; an inline request (emt-requests.ts) is not counted
    this.runResult(this.call(() => fn(this.context(), ...req.args), () => callbackName('request callback', fn)), { k: 'emt.requestDone', req });
  }

  private executeGuest(): void {
    const done = LOOP_STEP_DONE;
    const action = callUser(() => `guest hook executeGuest on ${this.id}`, isGuestAction, this.hooks.executeGuest!, { ...this.context(), nowNs: this.vm.nowNs() });
    if (isUserCallbackError(action)) return this.endLoopStep(this.guestFailed(action));
    if (action.kind === 'status') return this.endLoopStep(action.rc);
    const frame =
      action.kind === 'run' ? new GuestSliceFrame(this, action.ns, done) : new HaltFrame(this, action.untilNs, done, action.ignoreInterrupts ?? false);
    this.push(frame);
  }

  /** Leave the loop: EMT(0) waits for the others, then TERMINATED; the others just go (§4.1 Exit). */
  private exit(): void {
    const vm = this.vm;
    vm.host.sched.retire(this);
    if (!this.countedInactive) {
      this.countedInactive = true;
      vm.cActiveEmts--;
    }
    this.hooks.onEmtExit?.(vm, this.cpu);
    if (this.cpu !== 0) {
      vm.notifyCpu(0);
      return;
    }
    this.push(new ExitFrame(this));
    this.notify();
  }
}

/** executeGuest's answer: run for a finite time, halt (optionally until a time), or an EM status. */
const isGuestAction: ResultCheck = (value) => {
  const action = value as Partial<{ kind: string; ns: unknown; untilNs: unknown; rc: unknown }> | null | undefined;
  if (typeof action !== 'object' || action === null) return false;
  if (action.kind === 'run') return typeof action.ns === 'number' && Number.isFinite(action.ns) && action.ns >= 0;
  if (action.kind === 'halt') return action.untilNs === undefined || (typeof action.untilNs === 'number' && !Number.isNaN(action.untilNs));
  return action.kind === 'status' && Number.isInteger(action.rc);
};

/** The wait hook's answer: nothing (wait until notified) or an IdleWait. */
const isIdleWait: ResultCheck = (value) =>
  value === undefined || (typeof value === 'object' && value !== null && ['canProgress', 'step', 'notify', 'cancel'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function'));

defineContinuations({
  'emt.loopStepDone': (emt, _cont, rc) => emt.endLoopStep(rc),
  'emt.requestDone': (emt, { req }, rc) => {
    completeRequest(emt.pool, req, rc);
    if (emt.vm.host.faults?.completeTwice) completeRequest(emt.pool, req, rc); // test-only mutant
    emt.endLoopStep(rc > 0 ? rc : VINF_SUCCESS);
  },
  'emt.then': (emt, { fn, next }, rc) => {
    const then = emt.vm.functions.take<(rc: number) => EmtResult>(fn);
    emt.runResult(emt.call(() => then(rc), 'continuation'), next);
  },
});

/**
 * The hooks are the host's (the halt method's and the embedder's): after a restore the host builds them again
 * (VmmHost.emtHooks). `rendezvousSeq` only names member machines; `loopRc` is informational.
 */
persistable('Emt', Emt, {
  // `current` is lent to host.current only while this EMT steps (a world is copied between steps): a copy makes
  // its own when it first steps this EMT (most copies step one EMT of several).
  transient: ['hooks', 'current'],
  // A frame is its EMT's alone: what wakes it is addressed to the EMT (its top frame gets it).
  ownedItems: ['frames'],
  history: ['rendezvousSeq', 'loopRc', 'schedOrdinal'],
  revive: (emt) => {
    (emt as { hooks: EmtHooks }).hooks = emt.vm.host.emtHooks?.(emt.vm) ?? {};
  },
});

export type { VmReq };
export { interrupted } from './emt-frames.js';
