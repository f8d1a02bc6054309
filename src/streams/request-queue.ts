/**
 * A request queue (§5.3, §5.10): a priority lane and a normal lane, FIFO within a lane, priority first.
 * VirtualBox pushes onto lock-free LIFO lists and takes the oldest entry; the observable order is the same
 * FIFO, which is what we keep. Every push and take is also an event on `events$`, so queues can be watched
 * (inspection, statistics) as RxJS streams.
 */
import { Subject } from 'rxjs';
import { persistable } from '../persist/registry.js';

export interface QueueEvent<T> {
  readonly kind: 'push' | 'take';
  readonly lane: 'priority' | 'normal';
  readonly item: T;
  readonly depth: number;
}

export class RequestQueue<T> {
  readonly priority: T[] = [];
  readonly normal: T[] = [];
  /**
   * Only allocated when someone subscribes, so an idle queue costs two arrays. A host attachment: not saved;
   * after a restore `events$` is a new stream (watchers subscribe again).
   */
  private events: Subject<QueueEvent<T>> | undefined = undefined;

  constructor(readonly name: string) {}

  get events$() {
    return (this.events ??= new Subject<QueueEvent<T>>()).asObservable();
  }

  get size(): number {
    return this.priority.length + this.normal.length;
  }

  get isEmpty(): boolean {
    return this.priority.length === 0 && this.normal.length === 0;
  }

  push(item: T, priority: boolean): void {
    const lane = priority ? this.priority : this.normal;
    lane.push(item);
    this.events?.next({ kind: 'push', lane: priority ? 'priority' : 'normal', item, depth: this.size });
  }

  /** The oldest request, priority lane first; `moreThanOne` tells whether the lane held more (MoreThan1). */
  take(priorityOnly = false): { item: T; moreThanOne: boolean } | undefined {
    const lane = this.priority.length > 0 ? this.priority : priorityOnly ? undefined : this.normal;
    if (!lane || lane.length === 0) return undefined;
    const moreThanOne = lane.length > 1;
    const item = lane.shift()!;
    this.events?.next({ kind: 'take', lane: lane === this.priority ? 'priority' : 'normal', item, depth: this.size });
    return { item, moreThanOne };
  }

  /** Take one item out wherever it is (a packet that can never be served). */
  remove(item: T): boolean {
    for (const lane of [this.priority, this.normal]) {
      const i = lane.indexOf(item);
      if (i >= 0) {
        lane.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Empty both lanes (VM destruction), priority lane first. */
  drain(): T[] {
    const all = [...this.priority, ...this.normal];
    this.priority.length = 0;
    this.normal.length = 0;
    return all;
  }

  complete(): void {
    this.events?.complete();
  }
}

persistable('RequestQueue', RequestQueue, { transient: ['events'] });
