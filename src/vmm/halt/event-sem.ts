/**
 * The EMT's ring-3 wait semaphore (UVMCPU::vm.s.EventSemWait, an RTSemEvent) on the scheduler port: BOOTSTRAP,
 * OLD and METHOD_1 block on it with a timeout, their notifiers signal it. It auto-resets: a signal with no
 * waiter stays until the next wait takes it, which then returns at once. The waiter is a record: whom to wake
 * (a timer record for the EMT) and the timeout, itself a timer record addressed to the waiter.
 */
import { persistable } from '../../persist/registry.js';
import { fireTimer, type Scheduler, type TimerAction, type TimerHandle, type TimerTarget } from '../../sched/scheduler.js';

export type SemWaitResult = 'signalled' | 'timeout';

/**
 * A blocked RTSemEventWait: whom it wakes, and its timeout's timer, addressed to the waiter itself (a timeout of
 * an earlier wait finds that wait no longer current and is ignored: no wait numbers, and no key hook for them).
 */
export class SemWaiter implements TimerTarget {
  timer: TimerHandle | undefined = undefined;

  constructor(
    readonly sem: EventSem,
    readonly wake: TimerAction,
  ) {}

  get id(): string {
    return this.sem.label;
  }

  /** Its timeout is due: if it still blocks, it ends. */
  timerFired(): void {
    this.sem.timedOut(this);
  }
}
persistable('SemWaiter', SemWaiter);

/** What a waiter's timeout delivers: one event, the waiter tells which wait. */
const TIMEOUT = 'timeout';

export class EventSem {
  /** Set with no waiter: the next wait takes it. */
  private fSignalled = false;
  /** The blocked wait, if any (public for inspection: it is data). */
  waiter: SemWaiter | null = null;

  constructor(
    readonly sched: Scheduler,
    readonly label: string,
  ) {}

  get signalled(): boolean {
    return this.fSignalled;
  }

  get waiting(): boolean {
    return this.waiter !== null;
  }

  /**
   * RTSemEventWait(timeout): 'signalled' at once when set; otherwise `wake` is delivered on a signal or the
   * timeout. A `daemon` timeout (an idle EMT's re-check) does not keep a held simulation going by itself.
   */
  wait(timeoutNs: number, wake: TimerAction, daemon = false): SemWaitResult | 'waiting' {
    if (this.fSignalled) {
      this.fSignalled = false;
      return 'signalled';
    }
    const waiter = new SemWaiter(this, wake);
    this.waiter = waiter;
    if (Number.isFinite(timeoutNs)) {
      waiter.timer = this.sched.setTimer(this.sched.clock.nowNs() + timeoutNs, this.label, { target: waiter, event: TIMEOUT }, { daemon });
    }
    return 'waiting';
  }

  /** The timeout of `waiter` is due: if that wait still blocks, it ends. */
  timedOut(waiter: SemWaiter): void {
    if (this.waiter !== waiter) return;
    this.waiter = null;
    fireTimer(waiter.wake);
  }

  /** RTSemEventSignal: wake the waiter, or stay signalled for the next wait. */
  signal(): void {
    const waiter = this.waiter;
    if (!waiter) {
      this.fSignalled = true;
      return;
    }
    this.waiter = null;
    this.sched.clearTimer(waiter.timer);
    fireTimer(waiter.wake);
  }

  /** The waiting EMT gives up (its frame is gone). */
  cancel(): void {
    if (this.waiter) this.sched.clearTimer(this.waiter.timer);
    this.waiter = null;
  }
}
persistable('EventSem', EventSem);
