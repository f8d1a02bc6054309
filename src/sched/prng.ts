/** A small seeded PRNG (mulberry32): the only randomness the engine knows, so a seed replays a run. */
import { persistable } from '../persist/registry.js';

export class Prng {
  /** The generator's whole state: a snapshot carries it, so a restored run draws the same numbers. */
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}
persistable('Prng', Prng);
