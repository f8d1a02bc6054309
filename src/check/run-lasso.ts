/**
 * Liveness in sampled runs (pct.ts): a run that comes back to a state it passed (same key) while a client call
 * stays in flight, where every actor enabled all along the way stepped somewhere on it, is a fair cycle that
 * keeps the call pending — the lasso breadth-first search finds over the whole graph (liveness.ts), here along
 * one run. Priority scheduling is unfair by design, so unfair cycles (an actor starved while enabled) are
 * skipped. Keys are taken only after `from` steps: most runs end sooner and pay nothing.
 */
import type { Explorer } from './explorer.js';
import { enabledSlots } from './explorer.js';
import { TIMER_SLOT } from './liveness.js';
import type { World } from './world.js';

/** Sampled runs look for cycles once longer than this (runs of the suite scenarios end within a few hundred steps). */
export const LASSO_AFTER = 500;

export class RunLasso {
  readonly #seen = new Map<string, number>();
  readonly #hot: boolean[] = [];
  readonly #enabled: number[] = [];
  /** #slot[s]: the fairness slot of the step into position s. */
  readonly #slot: number[] = [];

  constructor(readonly from = LASSO_AFTER) {}

  /** Whether a world's actors fit the fairness masks (one bit per vCPU, client and call thread, and the timer). */
  static fits(world: World): boolean {
    return world.core.cCpus + 2 * world.clients.length < TIMER_SLOT - 1;
  }

  /** After `steps` steps of the run: the position where a fair cycle through hot states back to here starts, or -1. */
  note(x: Explorer, world: World, steps: number): number {
    if (steps < this.from) return -1;
    x.hash(world);
    const key = `${x.key.hi}:${x.key.lo}`;
    const hot = world.clients.some((c) => c.pending !== null);
    this.#hot[steps] = hot;
    this.#enabled[steps] = enabledSlots(world);
    this.#slot[steps] = world.lastSlot;
    const at = this.#seen.get(key);
    this.#seen.set(key, steps);
    if (at === undefined || !hot) return -1;
    let always = -1;
    let stepped = 0;
    for (let s = at; s < steps; s++) {
      if (!this.#hot[s]) return -1;
      always &= this.#enabled[s]!;
      stepped |= 1 << this.#slot[s + 1]!;
    }
    return (always & ~stepped) === 0 ? at : -1;
  }
}
