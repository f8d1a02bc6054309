/** Real GIP time for embedders: the host's monotonic clock, counted from the clock's creation. */
import { persistable } from '../persist/registry.js';
import type { Clock } from './clock.js';

export class RealClock implements Clock {
  readonly kind = 'real' as const;
  /** GIP time at `origin` (0 for a new clock; the snapshot's instant for a restored one). */
  private baseNs = 0;
  /** The host's monotonic instant GIP time counts from: a host attachment (meaningless in another process). */
  private origin = process.hrtime.bigint();

  nowNs(): number {
    return this.baseNs + Number(process.hrtime.bigint() - this.origin);
  }
}

/**
 * A real clock is saved as the GIP time it read at the snapshot; restored, it goes on from that instant at
 * the host's pace. GIP time therefore stands still while a snapshot lies on disk, and every deadline in the
 * engine (timers, halt deadlines) keeps the remaining time it had when the snapshot was taken.
 */
persistable('RealClock', RealClock, {
  save: (clock) => ({ nowNs: clock.nowNs() }),
  restore: (clock, data: { nowNs: number }) => {
    Object.assign(clock, { kind: 'real', baseNs: data.nowNs, origin: process.hrtime.bigint() });
  },
});
