/**
 * The EMT's ring-3 wait semaphore (UVMCPU::vm.s.EventSemWait, an RTSemEvent) on the scheduler port: BOOTSTRAP,
 * OLD and METHOD_1 block on it with a timeout, their notifiers signal it. It auto-resets: a signal with no
 * waiter stays until the next wait takes it, which then returns at once. The waiter is a record: whom to wake
 * (a timer record for the EMT) and the timeout, itself a timer record addressed to this semaphore.
 */
import { persistable } from '../../persist/registry.js';
import { fireTimer, type Scheduler, type TimerAction, type TimerHandle, type TimerTarget } from '../../sched/scheduler.js';

export type SemWaitResult = 'signalled' | 'timeout';

/** A blocked RTSemEventWait: who is woken, its timeout's timer, and which wait it is (a stale timeout is ignored). */
export interface SemWaiter {
  readonly wake: TimerAction;
  readonly seq: number;
  timer: TimerHandle | undefined;
}

export class EventSem implements TimerTarget {
  /** Set with no waiter: the next wait takes it. */
  private fSignalled = false;
  /** Numbers the waits, so a timeout of an earlier one is told apart. */
  private seq = 0;
  /** The blocked wait, if any (public for inspection: it is data). */
  waiter: SemWaiter | null = null;

  constructor(
    readonly sched: Scheduler,
    readonly label: string,
  ) {}

  get id(): string {
    return this.label;
  }

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
    const waiter: SemWaiter = { wake, seq: ++this.seq, timer: undefined };
    this.waiter = waiter;
    if (Number.isFinite(timeoutNs)) {
      waiter.timer = this.sched.setTimer(this.sched.clock.nowNs() + timeoutNs, this.label, { target: this, event: String(waiter.seq) }, { daemon });
    }
    return 'waiting';
  }

  /** The timeout of wait number `event` is due: if that wait still blocks, it ends. */
  timerFired(event: string): void {
    const waiter = this.waiter;
    if (!waiter || String(waiter.seq) !== event) return;
    this.waiter = null;
    fireTimer(waiter.wake);
  }

  /** A timeout's wait number decides only whether it is the current wait's (the number counts waits: history). */
  keyEvent(event: string): string {
    return this.waiter && String(this.waiter.seq) === event ? 'current' : 'stale';
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

/** `seq` numbers the waits; only equality with the current waiter's decides (a stale timeout): the key says which. */
persistable('EventSem', EventSem, {
  history: ['seq'],
  keyFields: { waiter: (_sem, waiter: SemWaiter | null) => (waiter ? { wake: waiter.wake, timer: waiter.timer } : null) },
});
