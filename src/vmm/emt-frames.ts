/**
 * The frames an EMT can be blocked in besides a rendezvous (§4.1, §4.2, §5): a request to another CPU, a
 * slice of guest code, a halt (VMR3WaitHalted through the halt method) and EMT(0) waiting for the others at
 * exit. Each says when it can progress and does one atomic step when it can.
 */
import { VINF_SUCCESS } from '../status.js';
import type { Emt, Frame, HaltWait } from './emt.js';
import {
  VM_FF_EXTERNAL_HALTED_MASK, VMCPU_FF_EXTERNAL_HALTED_MASK, VMCPU_FF_HALTED_MASK_IGNORE_IRQS,
} from './ff.js';
import type { VmReq } from './requests.js';
import type { SliceStep } from './types.js';
import { CPU_EVENT } from './vm-core.js';
import { vmR3NotifyCpuFF } from './halt/notify.js';
import { callUser, isUserCallbackError, type ResultCheck } from './user-callback.js';
import { keyContinuation, resumeWith, type Continuation } from './continuations.js';
import type { TimerHandle, TimerTarget } from '../sched/scheduler.js';
import { persistable } from '../persist/registry.js';

/** The halt hook's answer: nothing (wake by notification only) or a HaltWait with cancel(). */
const isHaltWait: ResultCheck = (value) =>
  value === undefined || (typeof value === 'object' && value !== null && typeof (value as { cancel?: unknown }).cancel === 'function');

/**
 * VMR3ReqWait on an EMT (a request to another CPU): blocked until the packet completes; the caller frees it.
 * The packet names this EMT as its waiter; completion (or a kill) clears that and notifies the EMT.
 */
export class CallFrame implements Frame {
  readonly kind = 'call';

  constructor(
    readonly emt: Emt,
    readonly req: VmReq,
    readonly next: Continuation,
  ) {
    req.waiter = emt;
  }

  get describe() {
    return `call:req.${this.req.id}`;
  }

  canProgress(): boolean {
    return this.req.waiter === null;
  }

  progress(): void {
    this.emt.pop(this);
    resumeWith(this.emt, this.next, this.req.status);
  }
}

/** Guest code running for a slice; anything the loop must handle ends the slice early. */
export class GuestSliceFrame implements Frame {
  readonly kind = 'guestSlice';
  /** The slice's timer (a record: this EMT gets 'slice') has fired. */
  expired = false;
  readonly timer: TimerHandle;

  constructor(
    readonly emt: Emt,
    ns: number,
    readonly next: Continuation,
  ) {
    emt.vm.cpuSend(emt.cpu, CPU_EVENT.execEnter);
    this.timer = emt.vm.host.sched.setTimer(emt.vm.nowNs() + ns, `${emt.id}/slice`, { target: emt, event: 'slice' });
  }

  timerFired(): void {
    this.expired = true;
    this.emt.vm.host.sched.ready(this.emt); // the slice's own end, not a VMR3NotifyCpuFF
  }

  get describe() {
    return 'guest:slice';
  }

  canProgress(): boolean {
    return this.expired || this.emt.hasLoopWork() || interrupted(this.emt);
  }

  /** Guest code is left early only when the halt method says so (GLOBAL_1 pokes on VMNOTIFYFF_FLAGS_POKE). */
  notify(flags: number): void {
    notifyThroughHaltMethod(this.emt, this, flags);
  }

  progress(): void {
    this.emt.vm.host.sched.clearTimer(this.timer);
    this.emt.vm.cpuSend(this.emt.cpu, CPU_EVENT.execLeave);
    this.emt.pop(this);
    resumeWith(this.emt, this.next, VINF_SUCCESS);
  }
}

/** VMR3NotifyCpuFF for an EMT in guest code or halted: the halt method's notifier decides who wakes. */
function notifyThroughHaltMethod(emt: Emt, frame: Frame, flags: number): void {
  const notifyCpuFF = emt.hooks.notifyCpuFF;
  if (notifyCpuFF === vmR3NotifyCpuFF) return vmR3NotifyCpuFF(emt, flags); // the engine's own: no wrapper on the hot path
  if (notifyCpuFF) {
    // An embedder's hook that fails is reported, and the halt method's own notification runs so nobody sleeps on.
    if (emt.vm.callVoid(() => `notify hook on ${emt.id}`, notifyCpuFF, emt, flags) < 0) vmR3NotifyCpuFF(emt, flags);
    return;
  }
  if (frame.canProgress()) emt.vm.host.sched.ready(emt);
}

/** Something in the halted masks is pending for this vCPU (§3.3); VMWAITHALTED_F_IGNORE_IRQS drops APIC/PIC. */
export const interrupted = (emt: Emt, ignoreInterrupts = false): boolean =>
  (emt.vm.ff & VM_FF_EXTERNAL_HALTED_MASK) !== 0 ||
  (emt.vm.cpuFF[emt.cpu]! & (ignoreInterrupts ? VMCPU_FF_HALTED_MASK_IGNORE_IRQS : VMCPU_FF_EXTERNAL_HALTED_MASK)) !== 0;

/** VMR3WaitHalted: vCPU STARTED_HALTED until an interrupt, a request or the deadline (the halt method's loop). */
export class HaltFrame implements Frame, TimerTarget {
  readonly kind = 'halt';
  /** The deadline passed (the timer record gave this EMT 'halt'), the halt hook woke it, or the hook failed. */
  expired = false;
  /** A halted-mask flag was already pending: VMR3WaitHalted returns at once and the vCPU state never changes. */
  private readonly pending: boolean;
  /** The halt hook's wait (a halt method's loop); none without a hook. */
  private readonly wait: HaltWait | undefined;
  /** Without a hook: the deadline's timer. */
  readonly timer: TimerHandle | undefined;

  constructor(
    readonly emt: Emt,
    readonly untilNs: number | undefined,
    readonly next: Continuation,
    readonly ignoreInterrupts = false,
  ) {
    this.pending = emt.hasLoopWork() || interrupted(emt, ignoreInterrupts);
    this.wait = undefined;
    this.timer = undefined;
    if (this.pending) return;
    emt.vm.cpuSend(emt.cpu, CPU_EVENT.haltEnter);
    const halt = emt.hooks.halt;
    if (!halt) {
      if (untilNs !== undefined) this.timer = emt.vm.host.sched.setTimer(untilNs, `${emt.id}/halt`, { target: emt, event: 'halt' });
      return;
    }
    // The hook wakes the frame with a record (fireTimer delivers it), the same its deadline timer gives: addressed to
    // the EMT, which hands it to its top frame (this one while halted), so only the EMT's frame list holds a frame.
    const wait = callUser(() => `halt hook on ${emt.id}`, isHaltWait, halt, emt, untilNs, { target: emt, event: 'halt' }, ignoreInterrupts);
    if (isUserCallbackError(wait)) this.expired = emt.guestFailed(wait) < 0; // VMR3WaitHalted failed: out at once
    else this.wait = wait;
  }

  get id(): string {
    return `${this.emt.id}/halt`;
  }

  timerFired(): void {
    this.expired = true;
    if (this.canProgress()) this.emt.vm.host.sched.ready(this.emt);
  }

  get describe() {
    return 'guest:halted';
  }

  canProgress(): boolean {
    if (this.pending) return true;
    if (this.wait?.canProgress) return this.wait.canProgress();
    return this.expired || this.emt.hasLoopWork() || interrupted(this.emt, this.ignoreInterrupts);
  }

  notify(flags: number): void {
    notifyThroughHaltMethod(this.emt, this, flags);
  }

  progress(): void {
    if (!this.pending && this.wait?.step && !this.wait.step()) return; // the halt loop goes on
    this.wait?.cancel();
    this.emt.vm.host.sched.clearTimer(this.timer);
    if (!this.pending) this.emt.vm.cpuSend(this.emt.cpu, CPU_EVENT.haltLeave);
    this.emt.pop(this);
    resumeWith(this.emt, this.next, VINF_SUCCESS);
  }
}

/**
 * Long work in slices (emtSlices): one slice per progress(). Between two slices the frame waits for a timer due
 * now, which fires only once no actor is ready (virtual clock: the load takes no GIP time but never holds up
 * anyone) or after the host's timers phase (real clock), and it asks the scheduler for a host turn, so the
 * event loop is never blocked for more than one slice. A slice that yields a Wakeable (a stream's next bytes)
 * blocks the EMT until that fires the frame's wake record: no polling while the network is slow.
 */
export class WorkSliceFrame implements Frame {
  readonly kind = 'workSlices';
  /** The EMT may run the next slice (the turn's timer record, 'workSlice', has come). */
  turn = true;

  constructor(
    readonly emt: Emt,
    readonly slices: Iterator<SliceStep, number, void>,
    readonly next: Continuation,
  ) {}

  get describe() {
    return 'work:slices';
  }

  canProgress(): boolean {
    return this.turn;
  }

  timerFired(): void {
    this.turn = true;
    this.emt.vm.host.sched.ready(this.emt);
  }

  progress(): void {
    let more = false;
    let waitFor = undefined as SliceStep;
    const rc = this.emt.call(() => {
      const step = this.slices.next();
      more = !step.done;
      if (!step.done) waitFor = step.value;
      return step.done ? step.value : VINF_SUCCESS;
    }) as number;
    if (!more) {
      this.emt.pop(this);
      resumeWith(this.emt, this.next, rc);
      return;
    }
    const sched = this.emt.vm.host.sched;
    this.turn = false;
    if (waitFor) return waitFor.armWake({ target: this.emt, event: 'workSlice' }); // blocked until it arrives
    sched.setTimer(sched.clock.nowNs(), `${this.emt.id}/slice`, { target: this.emt, event: 'workSlice' });
    sched.hostTurn();
  }
}

/** EMT(0) at exit: wait for the other EMTs, then DESTROYING → TERMINATED (vmR3SetTerminated). */
export class ExitFrame implements Frame {
  readonly kind = 'exit';

  constructor(readonly emt: Emt) {}

  get describe() {
    return 'exit:wait-emts';
  }

  canProgress(): boolean {
    return this.emt.vm.emts.every((other) => other === this.emt || other.terminated);
  }

  progress(): void {
    const vm = this.emt.vm;
    this.emt.pop(this);
    if (vm.vmState === 'DESTROYING') vm.setState('TERMINATED', 'DESTROYING');
    this.emt.hooks.onTerminated?.(vm);
  }
}

// Frames are records: their fields are the wait's state (the halt hook's wait is the halt method's record).
// The state key writes a continuation's `emt.then` function in place of its id (keyContinuation).
const keyNext = { next: (frame: { emt: Emt }, next: Continuation) => keyContinuation(frame.emt.vm.functions, next) };
persistable('CallFrame', CallFrame, { keyFields: keyNext });
persistable('GuestSliceFrame', GuestSliceFrame, { keyFields: keyNext });
persistable('HaltFrame', HaltFrame, { keyFields: keyNext });
persistable('WorkSliceFrame', WorkSliceFrame, { keyFields: keyNext });
persistable('ExitFrame', ExitFrame, { keyFields: keyNext });
