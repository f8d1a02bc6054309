/**
 * The EMT's ring-3 wait semaphore (UVMCPU::vm.s.EventSemWait, an RTSemEvent) on the scheduler port: BOOTSTRAP,
 * OLD and METHOD_1 block on it with a timeout, their notifiers signal it. It auto-resets: a signal with no
 * waiter stays until the next wait takes it, which then returns at once.
 */
import type { Scheduler, TimerHandle } from '../../sched/scheduler.js';

export type SemWaitResult = 'signalled' | 'timeout';

export class EventSem {
  #signalled = false;
  #waiter: { wake: (result: SemWaitResult) => void; timer: TimerHandle | undefined } | null = null;

  constructor(
    readonly sched: Scheduler,
    readonly label: string,
  ) {}

  get signalled(): boolean {
    return this.#signalled;
  }

  get waiting(): boolean {
    return this.#waiter !== null;
  }

  /**
   * RTSemEventWait(timeout): 'signalled' at once when set; otherwise `wake` runs on a signal or the timeout.
   * A `daemon` timeout (an idle EMT's re-check) does not keep a held simulation going by itself.
   */
  wait(timeoutNs: number, wake: (result: SemWaitResult) => void, daemon = false): SemWaitResult | 'waiting' {
    if (this.#signalled) {
      this.#signalled = false;
      return 'signalled';
    }
    const waiter: { wake: (result: SemWaitResult) => void; timer: TimerHandle | undefined } = { wake, timer: undefined };
    this.#waiter = waiter;
    if (Number.isFinite(timeoutNs)) {
      waiter.timer = this.sched.setTimer(this.sched.clock.nowNs() + timeoutNs, this.label, () => {
        if (this.#waiter !== waiter) return;
        this.#waiter = null;
        wake('timeout');
      }, { daemon });
    }
    return 'waiting';
  }

  /** RTSemEventSignal: wake the waiter, or stay signalled for the next wait. */
  signal(): void {
    const waiter = this.#waiter;
    if (!waiter) {
      this.#signalled = true;
      return;
    }
    this.#waiter = null;
    this.sched.clearTimer(waiter.timer);
    waiter.wake('signalled');
  }

  /** The waiting EMT gives up (its frame is gone). */
  cancel(): void {
    if (this.#waiter) this.sched.clearTimer(this.#waiter.timer);
    this.#waiter = null;
  }
}
