/**
 * The real-time scheduler for embedders: ready actors step in the order they became ready, timers are host
 * timers on the real clock. Same port as the deterministic one, so the engine cannot tell them apart.
 */
import { NS_PER_MS } from '../time/clock.js';
import { RealClock } from '../time/real-clock.js';
import { fireTimer, type SchedChoice, type Scheduler, type Steppable, type TimerAction, type TimerHandle } from './scheduler.js';

export class RealTimeScheduler implements Scheduler {
  readonly mode = 'real-time' as const;
  readonly clock = new RealClock();
  readonly choices: SchedChoice[] = [];
  onChoice?: ((choice: SchedChoice) => void) | undefined;
  onStall?: (() => void) | undefined;

  readonly #ready = new Set<Steppable>();
  readonly #timers = new Map<number, NodeJS.Timeout | NodeJS.Immediate>();
  #timerSeq = 0;
  #holds = 0;
  #keepAlive: NodeJS.Timeout | undefined;
  #kicked = false;
  #hostTurn = false;
  #disposed = false;

  ready(actor: Steppable): void {
    if (this.#disposed) return;
    this.#ready.add(actor);
    this.#kick();
  }

  retire(actor: Steppable): void {
    this.#ready.delete(actor);
  }

  /**
   * Every host timer is unref'd, so a daemon timer needs nothing special here. A timer already due fires on the
   * next macrotask turn (setImmediate), not after Node's 1 ms minimum delay (a load's turns between slices).
   */
  setTimer(dueNs: number, label: string, action: TimerAction, _options?: { daemon?: boolean }): TimerHandle {
    const id = ++this.#timerSeq;
    const delayMs = Math.max(0, (dueNs - this.clock.nowNs()) / NS_PER_MS);
    const onTime = () => {
      this.#timers.delete(id);
      this.onChoice?.({ kind: 'timer', label, tNs: this.clock.nowNs() });
      fireTimer(action);
      this.#kick();
    };
    // An unref'd Immediate would wait for the next wake-up of the poll phase, so only the Timeout is unref'd.
    const timer = delayMs > 0 ? setTimeout(onTime, delayMs).unref() : setImmediate(onTime);
    this.#timers.set(id, timer);
    return { id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    clearHostTimer(this.#timers.get(handle.id));
    this.#timers.delete(handle.id);
  }

  hold(): () => void {
    if (this.#holds++ === 0) this.#keepAlive = setInterval(() => {}, 1 << 30);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holds === 0) clearInterval(this.#keepAlive);
    };
  }

  noteSettled(): void {}

  /** The drain stops after this step and goes on from a new macrotask. */
  hostTurn(): void {
    this.#hostTurn = true;
  }

  async runUntilIdle(): Promise<void> {
    while (this.#ready.size > 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async advance(ns: number): Promise<void> {
    const release = this.hold();
    await new Promise<void>((resolve) => setTimeout(resolve, ns / NS_PER_MS));
    release();
  }

  dispose(): void {
    this.#disposed = true;
    this.#ready.clear();
    for (const timer of this.#timers.values()) clearHostTimer(timer);
    this.#timers.clear();
    clearInterval(this.#keepAlive);
  }

  #kick(): void {
    if (this.#kicked || this.#disposed) return;
    this.#kicked = true;
    setImmediate(() => {
      this.#kicked = false;
      this.#drain();
    });
  }

  /** Step everything ready, oldest first; yield to the host every few hundred steps. */
  #drain(): void {
    for (let n = 0; n < 512; n++) {
      const actor = this.#ready.values().next().value as Steppable | undefined;
      if (!actor || this.#disposed) return;
      this.#ready.delete(actor);
      this.onChoice?.({ kind: 'step', index: 0, of: this.#ready.size + 1, actor: actor.id, tNs: this.clock.nowNs() });
      actor.step();
      if (this.#hostTurn) break;
    }
    this.#hostTurn = false;
    if (this.#ready.size > 0) this.#kick();
  }
}

function clearHostTimer(timer: NodeJS.Timeout | NodeJS.Immediate | undefined): void {
  if (timer === undefined) return;
  if ('refresh' in timer) clearTimeout(timer); // a Timeout; an Immediate has no refresh()
  else clearImmediate(timer);
}
