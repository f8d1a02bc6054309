/**
 * The deterministic scheduler: one step at a time, every choice between ready actors explicit and recorded,
 * virtual time that moves only when nothing can step and someone is waiting (discrete-event simulation).
 * The same seed and inputs give the same choices; a recorded choice list replays a run exactly.
 */
import { persistable } from '../persist/registry.js';
import { EMPTY_LIST, pushed } from '../persist/empty-list.js';
import { VBoxError, VERR_INVALID_PARAMETER } from '../status.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { Prng } from './prng.js';
import { fireTimer, holdFor, newHold, type HoldOwner, type SchedChoice, type Scheduler, type Steppable, type TimerAction, type TimerHandle } from './scheduler.js';
import { PendingTimer, TimerHeap } from './timer-heap.js';

/** How the next actor is picked among the ready ones (sorted by registration order). */
export type ChoicePolicy =
  | { kind: 'first' }
  | { kind: 'seeded'; seed: number }
  | { kind: 'replay'; choices: readonly number[]; then?: ChoicePolicy };

export interface DeterministicOptions {
  policy?: ChoicePolicy;
  /** Run by itself after `ready()` (the runtime); off for the checker, which steps explicitly. */
  autoRun?: boolean;
  /** Keep the choice list (off for long soak runs). */
  record?: boolean;
}

/** A policy never changes once given: a frozen copy, which a world's copy shares instead of copying. */
function frozenPolicy(policy: ChoicePolicy): ChoicePolicy {
  if (policy.kind !== 'replay') return Object.freeze({ ...policy });
  const then = policy.then ? frozenPolicy(policy.then) : undefined;
  return Object.freeze({ kind: 'replay', choices: Object.freeze([...policy.choices]), ...(then ? { then } : {}) });
}

/** Yield to the macrotask queue so promise continuations of the embedder run first. */
const yieldToHost = () => new Promise<void>((resolve) => setImmediate(resolve));

export class DeterministicScheduler implements Scheduler, HoldOwner {
  readonly mode = 'deterministic' as const;
  readonly clock: VirtualClock;
  /** Recorded choices (`record`); EMPTY_LIST until the first (a world copy shares it). */
  choices: readonly SchedChoice[] = EMPTY_LIST;
  /** Observers: host attachments, not saved; their owners attach them again after a restore. */
  onChoice?: ((choice: SchedChoice) => void) | undefined;
  onStall?: (() => void) | undefined;

  /** The next registration number (Steppable.schedOrdinal: on the actor, so no side table keeps actors alive). */
  private nextOrdinal = 0;
  /**
   * The ready actors sorted by ordinal (registration order): the ready set, saved by actor identity. Their
   * ordinals alongside, for the binary search (a cache of the actors' own schedOrdinal, rebuilt on revive).
   */
  private readonly readyList: Steppable[] = [];
  private readyOrdinals: number[] = [];
  /** readyActors()'s last answer, until the ready set changes (the checker asks several times per step). Cache. */
  private readyView: Steppable[] | null = null;
  private readonly timers = new TimerHeap();
  private timerSeq = 0;
  private holds = 0;
  private settled = false;
  /** The drain loop's own flags (host side: a restored scheduler has no drain running). */
  private running = false;
  private kicked = false;
  private draining: Promise<void> | undefined = undefined;
  private disposed = false;
  private readonly autoRun: boolean;
  private readonly record: boolean;
  private policy: ChoicePolicy;
  private prng: Prng | undefined;
  private replayAt = 0;
  steps = 0;

  constructor(options: DeterministicOptions = {}) {
    // Its own, never one given: the clock is state only this scheduler holds (ClassSpec.owned, so a world copy
    // copies it at once, with no identity entry). A `clock` from an untyped caller is refused, not ignored.
    if ('clock' in options) throw new VBoxError(VERR_INVALID_PARAMETER, 'DeterministicScheduler: no clock option (the scheduler makes its own; read sched.clock)');
    this.clock = new VirtualClock();
    this.policy = frozenPolicy(options.policy ?? { kind: 'first' });
    this.prng = this.policy.kind === 'seeded' ? new Prng(this.policy.seed) : undefined;
    this.autoRun = options.autoRun ?? true;
    this.record = options.record ?? true;
  }

  ready(actor: Steppable): void {
    if (this.disposed) return;
    let ordinal = actor.schedOrdinal;
    if (ordinal === undefined) actor.schedOrdinal = ordinal = this.nextOrdinal++;
    this.insert(actor, ordinal);
    this.kick();
  }

  retire(actor: Steppable): void {
    const ordinal = actor.schedOrdinal;
    if (ordinal === undefined) return;
    const at = this.indexOf(ordinal);
    if (this.readyOrdinals[at] === ordinal) this.removeAt(at);
  }

  /** Sorted insert (nothing when already ready): most actors re-arm near the end, so shift from there. */
  private insert(actor: Steppable, ordinal: number): void {
    const list = this.readyList;
    const ordinals = this.readyOrdinals;
    let i = list.length;
    if (i > 0 && ordinals[i - 1]! >= ordinal && ordinals[this.indexOf(ordinal)] === ordinal) return;
    list.push(actor);
    ordinals.push(ordinal);
    while (i > 0 && ordinals[i - 1]! > ordinal) {
      list[i] = list[i - 1]!;
      ordinals[i] = ordinals[i - 1]!;
      i--;
    }
    list[i] = actor;
    ordinals[i] = ordinal;
    this.readyView = null;
  }

  private removeAt(index: number): void {
    const list = this.readyList;
    const ordinals = this.readyOrdinals;
    // A plain loop: the lists are short, and copyWithin's call costs more than it moves.
    const last = list.length - 1;
    for (let i = index; i < last; i++) {
      list[i] = list[i + 1]!;
      ordinals[i] = ordinals[i + 1]!;
    }
    list.pop();
    ordinals.pop();
    this.readyView = null;
  }

  /** Where `ordinal` is, or would go, in the sorted ready list (binary search). */
  private indexOf(ordinal: number): number {
    const ordinals = this.readyOrdinals;
    let lo = 0;
    let hi = ordinals.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ordinals[mid]! < ordinal) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  setTimer(dueNs: number, label: string, action: TimerAction, options?: { daemon?: boolean }): TimerHandle {
    const id = ++this.timerSeq;
    const timer = new PendingTimer(id, Math.max(dueNs, this.clock.nowNs()), label, action, options?.daemon === true);
    this.timers.push(timer);
    this.kick();
    return timer;
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle) this.timers.remove(handle.id);
  }

  hold(): () => void {
    return newHold(this);
  }

  addHold(): void {
    this.holds++;
    this.kick();
  }

  /** A hold ended (its release, once). */
  unhold(): void {
    this.holds--;
  }

  noteSettled(): void {
    this.settled = true;
  }

  /** At a point of the run the run itself decides, so a replay yields at the same places. */
  hostTurn(): void {
    this.settled = true;
  }

  /** The ready actors in choice order (registration order), for the checker; shared until the set changes. */
  readyActors(): Steppable[] {
    return (this.readyView ??= this.readyList.slice());
  }

  isReady(actor: Steppable): boolean {
    const ordinal = actor.schedOrdinal;
    return ordinal !== undefined && this.readyOrdinals[this.indexOf(ordinal)] === ordinal;
  }

  /** The pending timers in firing order, for the checker's state key. */
  timerList(): readonly { label: string; dueNs: number }[] {
    return this.timers.list();
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  get nextTimerNs(): number | undefined {
    return this.timers.peek()?.dueNs;
  }

  /** Step the actor at `index` of readyActors(). */
  stepAt(index: number): void {
    const ready = this.readyList;
    const actor = ready[index];
    if (!actor) throw new Error(`no ready actor at index ${index} (${ready.length} ready)`);
    this.stepActor(actor, index, ready.length);
  }

  /** stepAt for a caller that already holds readyActors() (the checker): `actor` is ready[index] of `of`. */
  stepReady(actor: Steppable, index: number, of: number): void {
    if (this.readyList[index] !== actor && !this.isReady(actor)) throw new Error(`${actor.id} is not ready`);
    this.stepActor(actor, index, of);
  }

  /** Fire the earliest timer, moving virtual time to it. Returns false when there is none. */
  fireNextTimer(): boolean {
    const timer = this.timers.pop();
    if (!timer) return false;
    this.clock.advanceTo(timer.dueNs);
    this.recordChoice({ kind: 'timer', label: timer.label, tNs: timer.dueNs });
    fireTimer(timer.action);
    return true;
  }

  /** Run synchronously until nothing is ready; with `passTime`, fire timers too while callers hold. */
  runSync(passTime: boolean, stepLimit = Number.POSITIVE_INFINITY): number {
    let n = 0;
    while (n < stepLimit) {
      if (this.readyList.length > 0) {
        this.stepOne();
        n++;
        continue;
      }
      if (passTime && this.holds > 0 && this.timers.keepsAlive && this.fireNextTimer()) continue;
      break;
    }
    return n;
  }

  async runUntilIdle(): Promise<void> {
    // A drain may be paused at a settle point; wait for it and go again until nothing is ready.
    do {
      await (this.draining ?? this.drain());
    } while (this.readyList.length > 0 && !this.disposed);
  }

  async advance(ns: number): Promise<void> {
    await holdFor(this, ns);
    await this.drain();
  }

  /** After a restore: no drain runs yet; start one if this scheduler runs by itself and has work. */
  revive(): void {
    this.running = false;
    this.kicked = false;
    this.draining = undefined;
    this.readyView = null;
    this.readyOrdinals = this.readyList.map((actor) => actor.schedOrdinal!);
    if (this.readyList.length > 0 || (this.holds > 0 && this.timers.keepsAlive)) this.kick();
  }

  dispose(): void {
    this.disposed = true;
    this.readyList.length = 0;
    this.readyOrdinals.length = 0;
    this.readyView = null;
    this.timers.clear();
  }

  private kick(): void {
    if (!this.autoRun || this.running || this.kicked || this.disposed) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      void this.drain();
    });
  }

  private drain(): Promise<void> {
    if (this.running || this.disposed) return this.draining ?? Promise.resolve();
    this.draining = this.drainLoop().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async drainLoop(): Promise<void> {
    this.running = true;
    try {
      let sinceYield = 0;
      for (;;) {
        if (this.disposed) return;
        if (this.readyList.length > 0) {
          this.stepOne();
        } else if (this.holds > 0 && this.timers.keepsAlive) {
          this.fireNextTimer();
        } else {
          if (this.holds > 0) this.onStall?.();
          if (this.settled) {
            this.settled = false;
            await yieldToHost();
            if (this.readyList.length > 0 || (this.holds > 0 && this.timers.keepsAlive)) continue;
          }
          return;
        }
        // Let the embedder's continuation of a settled call run before the world moves on.
        if (this.settled || ++sinceYield >= 50_000) {
          this.settled = false;
          sinceYield = 0;
          await yieldToHost();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private stepOne(): void {
    const ready = this.readyList;
    const index = this.choose(ready);
    this.stepActor(ready[index]!, index, ready.length);
  }

  /** `index` is the actor's place in the ready list when the caller read it (the list has not changed since). */
  private stepActor(actor: Steppable, index: number, of: number): void {
    this.removeAt(this.readyList[index] === actor ? index : this.indexOf(actor.schedOrdinal!));
    this.steps++;
    // The choice object only when someone keeps or watches it (the checker's replays do neither).
    if (this.record || this.onChoice) this.recordChoice({ kind: 'step', index, of, actor: actor.id, tNs: this.clock.nowNs() });
    actor.step();
  }

  private recordChoice(choice: SchedChoice): void {
    if (this.record) this.choices = pushed(this.choices, choice);
    this.onChoice?.(choice);
  }

  private choose(ready: readonly Steppable[]): number {
    const policy = this.policy;
    // A replay list has one entry per step, forced or not, so it lines up with the recorded choices.
    if (ready.length === 1 && policy.kind !== 'replay') return 0;
    switch (policy.kind) {
      case 'first':
        return 0;
      case 'seeded':
        return this.prng!.int(ready.length);
      case 'replay': {
        const index = policy.choices[this.replayAt++];
        if (index !== undefined && index >= 0 && index < ready.length) return index;
        this.policy = policy.then ?? frozenPolicy({ kind: 'first' });
        this.prng = this.policy.kind === 'seeded' ? new Prng(this.policy.seed) : undefined;
        return this.choose(ready);
      }
    }
  }
}

/**
 * The scheduler's state is its fields: the ready actors (by identity: they are engine objects), ordinals,
 * timers, holds, policy with its PRNG and replay position, the virtual clock. The drain loop's flags and
 * promise, the ready view and the observers are host side: a restored scheduler starts with no drain running
 * and, if it runs by itself, kicks one when there is work (the observers' owners attach them again).
 */
persistable('DeterministicScheduler', DeterministicScheduler, {
  transient: ['onChoice', 'onStall', 'readyView', 'readyOrdinals', 'running', 'kicked', 'draining'],
  // Counters whose values never decide anything (new ordinals and timer sequence numbers only need to be
  // larger than every earlier one) and the record of past choices.
  history: ['choices', 'steps', 'nextOrdinal', 'timerSeq'],
  // The ready set: its order (registration order) only numbers the choices, it never removes or adds one.
  unordered: ['readyList'],
  // The scheduler's alone: a world copy copies them at once, the state key numbers them without an identity entry.
  owned: ['choices', 'readyList', 'timers', 'clock'],
  // A world copy (the checker's) takes the fields by the class's compiled copier (host side left undefined);
  // revive resets the drain flags and rebuilds the ready ordinals.
  revive: (sched) => sched.revive(),
});
