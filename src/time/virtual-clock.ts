/** Virtual GIP time for tests and the checker: it never moves on its own and never goes back. */
import { persistable } from '../persist/registry.js';
import type { Clock } from './clock.js';

export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  /** The time itself: state (a restored engine goes on from the snapshot's instant). */
  private now: number;

  constructor(startNs = 0) {
    this.now = startNs;
  }

  nowNs(): number {
    return this.now;
  }

  /** Moves time forward to `ns`; travelling back is a bug in the caller. */
  advanceTo(ns: number): void {
    if (ns < this.now) throw new Error(`virtual clock cannot go back from ${this.now} ns to ${ns} ns`);
    this.now = ns;
  }
}
// The state key writes times relative to now: the instant itself decides nothing.
persistable('VirtualClock', VirtualClock, { times: ['now'] });
