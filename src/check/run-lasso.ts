/**
 * Liveness in sampled runs (pct.ts): a run that comes back to a state it passed (same key) while a client call
 * stays in flight, where every actor enabled all along the way stepped somewhere on it, is a fair cycle that
 * keeps the call pending — the lasso breadth-first search finds over the whole graph (liveness.ts), here along
 * one run. Priority scheduling is unfair by design, so unfair cycles (an actor starved while enabled) are
 * skipped. Actors go by id, not by the graph's 32 fairness slots: sampled scenarios have up to 64 vCPUs. Keys
 * are taken only after `from` steps: most runs end sooner and pay nothing.
 */
import type { Explorer } from './explorer.js';
import type { World } from './world.js';

/** Sampled runs look for cycles once longer than this (runs of the suite scenarios end within a few hundred steps). */
export const LASSO_AFTER = 500;

/** The id of the actor that choice `index` steps ('timer' for the timer choice). */
export const choiceActor = (world: World, index: number): string => world.ready()[index]?.id ?? 'timer';

export class RunLasso {
  readonly #seen = new Map<string, number>();
  readonly #hot: boolean[] = [];
  /** #enabled[s]: the actors that can step at position s; #stepped[s]: the one that stepped into it. */
  readonly #enabled: string[][] = [];
  readonly #stepped: string[] = [];

  constructor(readonly from = LASSO_AFTER) {}

  /** After `steps` steps of the run, the last by `actor`: where a fair cycle through hot states back to here starts, or -1. */
  note(x: Explorer, world: World, steps: number, actor: string): number {
    if (steps < this.from) return -1;
    x.hash(world);
    const key = `${x.key.hi}:${x.key.lo}`;
    const hot = world.clients.some((c) => c.pending !== null);
    this.#hot[steps] = hot;
    this.#enabled[steps] = [...world.ready().map((a) => a.id), ...(world.timerChoice() ? ['timer'] : [])];
    this.#stepped[steps] = actor;
    const at = this.#seen.get(key);
    this.#seen.set(key, steps);
    if (at === undefined || !hot) return -1;
    const stepped = new Set<string>();
    for (let s = at; s < steps; s++) {
      if (!this.#hot[s]) return -1;
      stepped.add(this.#stepped[s + 1]!);
    }
    // Weak fairness: an actor enabled at every state of the cycle steps on it.
    const always = this.#enabled[at]!.filter((id) => !stepped.has(id));
    for (let s = at + 1; s < steps && always.length > 0; s++) {
      const here = new Set(this.#enabled[s]);
      for (let i = always.length - 1; i >= 0; i--) if (!here.has(always[i]!)) always.splice(i, 1);
    }
    return always.length === 0 ? at : -1;
  }
}
