/**
 * The scheduler port: every source of nondeterminism in the engine goes through here. Actors say they have a
 * step to take (`ready`); the scheduler picks which one steps next and fires timers on the clock. Message
 * delivery order, timer order and the GIP clock are therefore one replayable list of choices.
 */
import { bindCode, defineCode, persistable } from '../persist/registry.js';
import type { Clock } from '../time/clock.js';

/** An actor as the scheduler sees it: something that can take one atomic step. */
export interface Steppable {
  /** systemId, e.g. `vm.1/emt.0`; stable across runs (never an XState session id). */
  readonly id: string;
  /** Take one atomic step. The actor re-arms itself with `ready()` if it has more to do. */
  step(): void;
  /**
   * Set by the deterministic scheduler on the actor's first `ready()`: its registration order, which orders the
   * ready list and so every choice index. State of the actor (a snapshot carries it), never set by the actor.
   */
  schedOrdinal?: number;
}

export interface TimerHandle {
  readonly id: number;
}

/** An actor that takes timer events (an EMT: its guest slice ran out, its halt deadline passed). */
export interface TimerTarget {
  readonly id: string;
  timerFired(event: string): void;
}

/**
 * What a due timer does: a record naming the actor and the event it gets (data: a world holding only such
 * timers can be copied and snapshotted). The function form is for code-table functions only (`defineCode`, or
 * `bindCode(fn, ...data)`): a snapshot writes those by name. An anonymous closure still runs, but it is state a
 * snapshot cannot carry: the closure census and the graph writer report it by its path.
 */
export type TimerAction = { readonly target: TimerTarget; readonly event: string } | (() => void);

/** Deliver a due timer's action. */
export function fireTimer(action: TimerAction): void {
  if (typeof action === 'function') action();
  else action.target.timerFired(action.event);
}

/**
 * What a waiting frame sleeps on (a stream's next bytes, a connection's end): it arms a wake record, which the
 * owner fires once when the awaited thing happens (or at once if it already has).
 */
export interface Wakeable {
  armWake(wake: TimerAction): void;
}

/** One armed wake record, fired once by its owner. */
export class WakeSlot implements Wakeable {
  private wake: TimerAction | null = null;

  armWake(wake: TimerAction): void {
    this.wake = wake;
  }

  fire(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake) fireTimer(wake);
  }
}
persistable('WakeSlot', WakeSlot);

/** What a hold keeps open: its scheduler, told once when the hold ends. */
export interface HoldOwner {
  /** Count one more hold (and keep the world going while any is held). */
  addHold(): void;
  unhold(): void;
}

/**
 * One `hold()` (or `advance()`): a record, so a snapshot carries who still holds the simulation open. Its
 * release is `releaseHold` bound to it; as advance()'s timer target it releases when the time has passed.
 */
export class SchedHold implements TimerTarget {
  readonly id = 'sched/hold';
  released = false;
  /** advance()'s promise resolver: a host attachment. After a restore it is gone; the hold still releases. */
  resolve: (() => void) | undefined = undefined;

  constructor(readonly owner: HoldOwner) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.unhold();
  }

  timerFired(): void {
    this.release();
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }
}
persistable('SchedHold', SchedHold, { transient: ['resolve'] });

export const releaseHold = defineCode('sched.releaseHold', (hold: SchedHold): void => hold.release());

/** hold()'s answer: a new hold of `owner`, and its release as code bound to it (idempotent). */
export function newHold(owner: HoldOwner): () => void {
  owner.addHold();
  return bindCode(releaseHold, new SchedHold(owner));
}

/**
 * advance()'s wait: a hold whose own timer releases it after `ns` (a record: a snapshot carries it; the promise's
 * resolver is transient), on either clock.
 */
export function holdFor(owner: HoldOwner & Pick<Scheduler, 'clock' | 'setTimer'>, ns: number): Promise<void> {
  const hold = new SchedHold(owner);
  owner.addHold();
  return new Promise<void>((resolve) => {
    hold.resolve = resolve;
    owner.setTimer(owner.clock.nowNs() + ns, 'advance', { target: hold, event: 'advance' });
  });
}

/** One recorded decision: which of the ready actors stepped, or which timer fired. */
export type SchedChoice =
  | { kind: 'step'; index: number; of: number; actor: string; tNs: number }
  | { kind: 'timer'; label: string; tNs: number };

export interface Scheduler {
  readonly clock: Clock;
  readonly mode: 'deterministic' | 'real-time';
  /** The actor has work; it will be stepped once per call until it stops re-arming. */
  ready(actor: Steppable): void;
  /** Forget an actor (terminated EMT): it is never stepped again. */
  retire(actor: Steppable): void;
  /**
   * Deliver `action` at GIP time `dueNs` (ties fire in the order they were set). A `daemon` timer (an idle EMT's
   * periodic re-check) does not keep a held simulation going by itself: virtual time passes it only on the
   * way to some other timer, as Node's unref'd timers do not keep a process alive.
   */
  setTimer(dueNs: number, label: string, action: TimerAction, options?: { daemon?: boolean }): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
  /** Someone awaits the simulation: keep running (and let virtual time pass) until the returned release. */
  hold(): () => void;
  /** A step settled an external promise: let the awaiting code run before the next step. */
  noteSettled(): void;
  /** A step did one slice of long work (a load): give the host's event loop a turn before the next step. */
  hostTurn(): void;
  /** Run now until idle (deterministic mode); resolves when nothing is ready. */
  runUntilIdle(): Promise<void>;
  /** Let `ns` of GIP time pass while running the world (virtual: instantly; real: by waiting). */
  advance(ns: number): Promise<void>;
  /** The decisions so far, for traces and replay. */
  readonly choices: readonly SchedChoice[];
  /** Observers of every decision (inspection, traces). */
  onChoice?: ((choice: SchedChoice) => void) | undefined;
  /** Called when callers wait but nothing can ever happen again (deadlock in the simulated world). */
  onStall?: (() => void) | undefined;
  dispose(): void;
}
