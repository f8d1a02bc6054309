/** Virtual GIP time for tests and the checker: it never moves on its own and never goes back. */
import type { Clock } from './clock.js';

export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  #nowNs: number;

  constructor(startNs = 0) {
    this.#nowNs = startNs;
  }

  nowNs(): number {
    return this.#nowNs;
  }

  /** Moves time forward to `ns`; travelling back is a bug in the caller. */
  advanceTo(ns: number): void {
    if (ns < this.#nowNs) throw new Error(`virtual clock cannot go back from ${this.#nowNs} ns to ${ns} ns`);
    this.#nowNs = ns;
  }
}
