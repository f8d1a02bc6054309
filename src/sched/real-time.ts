/**
 * The real-time scheduler for embedders: ready actors step in the order they became ready, timers are host
 * timers on the real clock. Same port as the deterministic one, so the engine cannot tell them apart.
 */
import { persistable } from '../persist/registry.js';
import { NS_PER_MS } from '../time/clock.js';
import { RealClock } from '../time/real-clock.js';
import { fireTimer, holdFor, newHold, type HoldOwner, type SchedChoice, type Scheduler, type Steppable, type TimerAction, type TimerHandle } from './scheduler.js';

/** A pending timer as data: its GIP deadline, label and action (the host timer that fires it is transient). */
interface RealTimer {
  readonly id: number;
  readonly dueNs: number;
  readonly label: string;
  readonly action: TimerAction;
}

type HostTimer = NodeJS.Timeout | NodeJS.Immediate;

export class RealTimeScheduler implements Scheduler, HoldOwner {
  readonly mode = 'real-time' as const;
  readonly clock = new RealClock();
  readonly choices: SchedChoice[] = [];
  onChoice?: ((choice: SchedChoice) => void) | undefined;
  onStall?: (() => void) | undefined;

  /** Ready actors in the order they became ready (a Set keeps insertion order). */
  private readonly readySet = new Set<Steppable>();
  private readonly timers = new Map<number, RealTimer>();
  /** The host timers armed for `timers`, by id: host side, armed again on revive. */
  private hostTimers = new Map<number, HostTimer>();
  private timerSeq = 0;
  private holds = 0;
  /** Keeps the process alive while someone holds (host side). */
  private keepAlive: NodeJS.Timeout | undefined = undefined;
  private kicked = false;
  private hostTurnDue = false;
  private disposed = false;

  ready(actor: Steppable): void {
    if (this.disposed) return;
    this.readySet.add(actor);
    this.kick();
  }

  retire(actor: Steppable): void {
    this.readySet.delete(actor);
  }

  /**
   * Every host timer is unref'd, so a daemon timer needs nothing special here. A timer already due fires on the
   * next macrotask turn (setImmediate), not after Node's 1 ms minimum delay (a load's turns between slices).
   */
  setTimer(dueNs: number, label: string, action: TimerAction, _options?: { daemon?: boolean }): TimerHandle {
    const timer: RealTimer = { id: ++this.timerSeq, dueNs, label, action };
    this.timers.set(timer.id, timer);
    this.arm(timer);
    return timer; // the record is the handle (a reference, as on the virtual clock)
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    clearHostTimer(this.hostTimers.get(handle.id));
    this.hostTimers.delete(handle.id);
    this.timers.delete(handle.id);
  }

  hold(): () => void {
    return newHold(this);
  }

  unhold(): void {
    if (--this.holds === 0) clearInterval(this.keepAlive);
  }

  noteSettled(): void {}

  /** The drain stops after this step and goes on from a new macrotask. */
  hostTurn(): void {
    this.hostTurnDue = true;
  }

  async runUntilIdle(): Promise<void> {
    while (this.readySet.size > 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async advance(ns: number): Promise<void> {
    await holdFor(this, ns);
  }

  /**
   * After a restore (the clock goes on from the snapshot's instant): every pending timer is armed again with
   * the time it had left at the snapshot, a hold keeps the process alive again, ready actors are stepped.
   */
  revive(): void {
    this.hostTimers = new Map();
    this.kicked = false;
    this.keepAlive = this.holds > 0 ? setInterval(() => {}, 1 << 30) : undefined;
    if (this.disposed) return;
    for (const timer of this.timers.values()) this.arm(timer);
    if (this.readySet.size > 0) this.kick();
  }

  dispose(): void {
    this.disposed = true;
    this.readySet.clear();
    for (const timer of this.hostTimers.values()) clearHostTimer(timer);
    this.hostTimers.clear();
    this.timers.clear();
    clearInterval(this.keepAlive);
  }

  addHold(): void {
    if (this.holds++ === 0) this.keepAlive = setInterval(() => {}, 1 << 30);
  }

  private arm(timer: RealTimer): void {
    const delayMs = Math.max(0, (timer.dueNs - this.clock.nowNs()) / NS_PER_MS);
    const onTime = () => this.fire(timer.id);
    // An unref'd Immediate would wait for the next wake-up of the poll phase, so only the Timeout is unref'd.
    this.hostTimers.set(timer.id, delayMs > 0 ? setTimeout(onTime, delayMs).unref() : setImmediate(onTime));
  }

  private fire(id: number): void {
    const timer = this.timers.get(id);
    this.hostTimers.delete(id);
    if (!timer) return;
    this.timers.delete(id);
    this.onChoice?.({ kind: 'timer', label: timer.label, tNs: this.clock.nowNs() });
    fireTimer(timer.action);
    this.kick();
  }

  private kick(): void {
    if (this.kicked || this.disposed) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.drain();
    });
  }

  /** Step everything ready, oldest first; yield to the host every few hundred steps. */
  private drain(): void {
    for (let n = 0; n < 512; n++) {
      const actor = this.readySet.values().next().value as Steppable | undefined;
      if (!actor || this.disposed) return;
      this.readySet.delete(actor);
      this.onChoice?.({ kind: 'step', index: 0, of: this.readySet.size + 1, actor: actor.id, tNs: this.clock.nowNs() });
      actor.step();
      if (this.hostTurnDue) break;
    }
    this.hostTurnDue = false;
    if (this.readySet.size > 0) this.kick();
  }
}

/**
 * Saved: ready actors, pending timers as (deadline, label, action) records, holds. The clock restores to the
 * snapshot's instant, so each deadline keeps the time it had left; revive arms the host timers again.
 */
persistable('RealTimeScheduler', RealTimeScheduler, {
  transient: ['onChoice', 'onStall', 'hostTimers', 'keepAlive', 'kicked'],
  history: ['choices', 'timerSeq'],
  revive: (sched) => sched.revive(),
});

function clearHostTimer(timer: HostTimer | undefined): void {
  if (timer === undefined) return;
  if ('refresh' in timer) clearTimeout(timer); // a Timeout; an Immediate has no refresh()
  else clearImmediate(timer);
}
