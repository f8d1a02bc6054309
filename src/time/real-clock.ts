/** Real GIP time for embedders: the host's monotonic clock, counted from the clock's creation. */
import type { Clock } from './clock.js';

export class RealClock implements Clock {
  readonly kind = 'real' as const;
  readonly #originNs = process.hrtime.bigint();

  nowNs(): number {
    return Number(process.hrtime.bigint() - this.#originNs);
  }
}
