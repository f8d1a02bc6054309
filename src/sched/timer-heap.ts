import { persistable } from '../persist/registry.js';
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
  /** A binary min-heap; cancelled entries stay in it until they reach the top (lazy removal). */
  private heap: PendingTimer[] = [];
  /** The timers not cancelled, by id (undefined between a restore and its revive). */
  private live = new Map<number, PendingTimer>();
  private liveDaemons = 0;

  get size(): number {
    return this.live.size;
  }

  /** Some live timer is not a daemon: virtual time may move on. */
  get keepsAlive(): boolean {
    return this.live.size > this.liveDaemons;
  }

  push(timer: PendingTimer): void {
    this.live.set(timer.id, timer);
    if (timer.daemon) this.liveDaemons++;
    const heap = this.heap;
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
    if (this.live.get(id)?.daemon) this.liveDaemons--;
    this.live.delete(id);
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
    return [...this.live.values()].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }

  /** Rebuild the id index from the heap after a restore (whose heap holds live timers only). */
  reindex(): void {
    if (this.live) return; // a copy: built already
    this.live = new Map(this.heap.map((t) => [t.id, t]));
    this.liveDaemons = this.heap.filter((t) => t.daemon).length;
  }

  /** Fill an empty heap with copies of `live` (in firing order); `clone` gives a timer's copy. */
  copyFrom(live: readonly PendingTimer[], clone: (value: unknown) => unknown): void {
    this.heap = [];
    this.live = new Map();
    this.liveDaemons = 0;
    for (const timer of live) {
      const copy = clone(timer) as PendingTimer;
      this.heap.push(copy);
      this.live.set(timer.id, copy);
      if (timer.daemon) this.liveDaemons++;
    }
  }

  clear(): void {
    this.heap.length = 0;
    this.live.clear();
    this.liveDaemons = 0;
  }

  private dropDead(): void {
    while (this.heap.length > 0 && !this.live.has(this.heap[0]!.id)) this.popTop();
  }

  private popTop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
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
