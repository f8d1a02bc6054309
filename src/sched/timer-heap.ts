import { persistable } from '../persist/registry.js';
import { EMPTY_LIST } from '../persist/empty-list.js';
import type { TimerAction } from './scheduler.js';

/**
 * A pending timer: a record (its action is a record too, or a code-table function). setTimer hands the record
 * itself out as the handle, so whoever holds a handle holds a reference, not a number: `id` only orders
 * (ties by the order they were set) and finds timers (new ones are always larger) and stay out of a state key (history).
 */
export class PendingTimer {
  constructor(
    readonly id: number,
    readonly dueNs: number,
    readonly label: string,
    readonly action: TimerAction,
    /** Does not keep a held simulation going by itself (Scheduler.setTimer). */
    readonly daemon: boolean,
  ) {}
}
// The label names the timer in recorded choices (`ext.4/pass.0`: thread ids) and decides nothing: the action does.
persistable('PendingTimer', PendingTimer, {
  history: ['id', 'label'],
  times: ['dueNs'],
});

/** Pending timers ordered by (due, sequence): equal deadlines fire in the order they were set. */
export class TimerHeap {
  /**
   * A binary min-heap; cancelled entries stay in it until they reach the top (lazy removal). Empty, it is
   * EMPTY_LIST, and `live` null: most worlds have no timer, and their copies share the one and make neither.
   */
  private heap: readonly PendingTimer[] = EMPTY_LIST;
  /** The timers not cancelled, by id (null when none was set since the heap emptied; undefined between a restore and its revive). */
  private live: Map<number, PendingTimer> | null = null;
  private liveDaemons = 0;

  get size(): number {
    return this.live?.size ?? 0;
  }

  /** Some live timer is not a daemon: virtual time may move on. */
  get keepsAlive(): boolean {
    return (this.live?.size ?? 0) > this.liveDaemons;
  }

  push(timer: PendingTimer): void {
    (this.live ??= new Map()).set(timer.id, timer);
    if (timer.daemon) this.liveDaemons++;
    const heap = (this.heap.length === 0 ? (this.heap = []) : this.heap) as PendingTimer[];
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Cancel lazily: the entry stays in the heap but is skipped. */
  remove(id: number): void {
    const live = this.live;
    if (!live) return;
    if (live.get(id)?.daemon) this.liveDaemons--;
    live.delete(id);
  }

  /** The earliest live timer, or undefined. */
  peek(): PendingTimer | undefined {
    this.dropDead();
    return this.heap[0];
  }

  pop(): PendingTimer | undefined {
    this.dropDead();
    const top = this.heap[0];
    if (!top) return undefined;
    this.popTop();
    this.remove(top.id);
    return top;
  }

  /** The live timers in firing order (the checker encodes them relative to now). */
  list(): PendingTimer[] {
    return this.live ? [...this.live.values()].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)) : [];
  }

  /** Rebuild the id index from the heap after a restore (whose heap holds live timers only). */
  reindex(): void {
    if (this.live !== undefined) return; // a copy: built already
    if (this.heap.length === 0) {
      this.heap = EMPTY_LIST;
      this.live = null;
      return;
    }
    this.live = new Map(this.heap.map((t) => [t.id, t]));
    this.liveDaemons = this.heap.filter((t) => t.daemon).length;
  }

  /** Fill an empty heap with copies of `live` (in firing order); `clone` gives a timer's copy. */
  copyFrom(live: readonly PendingTimer[], clone: (value: unknown) => unknown): void {
    this.liveDaemons = 0;
    if (live.length === 0) {
      this.heap = EMPTY_LIST;
      this.live = null;
      return;
    }
    // The copies may not be filled yet (ClassSpec.copy): ids and order are the originals'.
    const heap: PendingTimer[] = [];
    const index = new Map<number, PendingTimer>();
    for (const timer of live) {
      const copy = clone(timer) as PendingTimer;
      heap.push(copy);
      index.set(timer.id, copy);
      if (timer.daemon) this.liveDaemons++;
    }
    this.heap = heap;
    this.live = index;
  }

  clear(): void {
    this.heap = EMPTY_LIST;
    this.live = null;
    this.liveDaemons = 0;
  }

  private dropDead(): void {
    while (this.heap.length > 0 && !this.live?.has(this.heap[0]!.id)) this.popTop();
  }

  private popTop(): void {
    if (this.heap.length === 1) {
      this.heap = EMPTY_LIST;
      return;
    }
    const heap = this.heap as PendingTimer[];
    const last = heap.pop()!;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}

const before = (a: PendingTimer, b: PendingTimer) => a.dueNs < b.dueNs || (a.dueNs === b.dueNs && a.id < b.id);

/**
 * Saved as the live timers in firing order (a sorted array is a valid heap): cancelled entries are not state,
 * and two worlds with the same pending timers save the same. The id index is rebuilt once every record is
 * filled (revive). An in-memory copy takes the same live list and builds its index at once.
 */
persistable('TimerHeap', TimerHeap, {
  save: (timers) => timers.list(),
  restore: (timers, list: PendingTimer[]) => Object.assign(timers, { heap: list, live: undefined, liveDaemons: 0 }),
  copy: (timers, into, clone) => into.copyFrom(timers.list(), clone),
  revive: (timers) => timers.reindex(),
});
