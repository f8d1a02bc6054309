/**
 * A request queue (§5.3, §5.10): a priority lane and a normal lane, FIFO within a lane, priority first.
 * VirtualBox pushes onto lock-free LIFO lists and takes the oldest entry; the observable order is the same
 * FIFO, which is what we keep. Every push and take is also an event on `events$`, so queues can be watched
 * (inspection, statistics) as RxJS streams.
 */
import { Subject } from 'rxjs';
import { defineConstant, persistable } from '../persist/registry.js';
import { VBoxError, VERR_INVALID_STATE } from '../status.js';

export interface QueueEvent<T> {
  readonly kind: 'push' | 'take';
  readonly lane: 'priority' | 'normal';
  readonly item: T;
  readonly depth: number;
}

/**
 * An empty lane: one shared frozen array (a world copy shares it instead of copying an empty array; most lanes of
 * most worlds are empty). A lane gets an array of its own at its first push and gives it back when it empties.
 * A named constant, so a restored queue's empty lanes are this very array again.
 */
const EMPTY_LANE: readonly never[] = defineConstant('streams.emptyLane', Object.freeze([]));

export class RequestQueue<T> {
  priority: readonly T[] = EMPTY_LANE;
  normal: readonly T[] = EMPTY_LANE;
  /**
   * Only allocated when someone subscribes, so an idle queue costs nothing more. A host attachment: not saved;
   * after a restore `events$` is a new stream (watchers subscribe again).
   */
  private events: Subject<QueueEvent<T>> | undefined = undefined;

  constructor(readonly name: string) {}

  /**
   * Every push and take. A VM's idle queues are frozen (world copies share them): watch one through `ownQueue`
   * (VmCore), which makes it the VM's own for good; a frozen queue refuses, naming that.
   */
  get events$() {
    if (this.events === undefined && Object.isFrozen(this)) throw new VBoxError(VERR_INVALID_STATE, `request queue ${this.name} is shared while idle: watch it through its VM's ownQueue()`);
    return (this.events ??= new Subject<QueueEvent<T>>()).asObservable();
  }

  get size(): number {
    return this.priority.length + this.normal.length;
  }

  get isEmpty(): boolean {
    return this.priority.length === 0 && this.normal.length === 0;
  }

  /** Empty and unwatched: it holds only data, so it may be frozen and shared (VmCore.shareIdleQueue). */
  get idle(): boolean {
    return this.isEmpty && this.events === undefined;
  }

  /** A writable copy of a frozen queue (VmCore.ownQueue): the same fields, in the constructor's order. */
  thawed(): RequestQueue<T> {
    return Object.assign(new RequestQueue<T>(this.name), this);
  }

  push(item: T, priority: boolean): void {
    const lane = priority ? this.priority : this.normal;
    if (lane.length > 0) (lane as T[]).push(item);
    else if (priority) this.priority = [item];
    else this.normal = [item];
    this.events?.next({ kind: 'push', lane: priority ? 'priority' : 'normal', item, depth: this.size });
  }

  /** The oldest request, priority lane first; `moreThanOne` tells whether the lane held more (MoreThan1). */
  take(priorityOnly = false): { item: T; moreThanOne: boolean } | undefined {
    const lane = this.priority.length > 0 ? this.priority : priorityOnly ? undefined : this.normal;
    if (!lane || lane.length === 0) return undefined;
    const moreThanOne = lane.length > 1;
    const isPriority = lane === this.priority;
    const item = moreThanOne ? (lane as T[]).shift()! : lane[0]!;
    if (!moreThanOne) this.empty(isPriority);
    this.events?.next({ kind: 'take', lane: isPriority ? 'priority' : 'normal', item, depth: this.size });
    return { item, moreThanOne };
  }

  /** Take one item out wherever it is (a packet that can never be served). */
  remove(item: T): boolean {
    for (const isPriority of [true, false]) {
      const lane = isPriority ? this.priority : this.normal;
      const i = lane.indexOf(item);
      if (i < 0) continue;
      if (lane.length === 1) this.empty(isPriority);
      else (lane as T[]).splice(i, 1);
      return true;
    }
    return false;
  }

  /** The lane is empty again: back to the shared empty array. */
  private empty(priority: boolean): void {
    if (priority) this.priority = EMPTY_LANE;
    else this.normal = EMPTY_LANE;
  }

  /** Empty both lanes (VM destruction), priority lane first. */
  drain(): T[] {
    const all = [...this.priority, ...this.normal];
    this.priority = this.normal = EMPTY_LANE;
    return all;
  }

  complete(): void {
    this.events?.complete();
  }
}

persistable('RequestQueue', RequestQueue, { transient: ['events'], owned: ['normal', 'priority'] });
