/**
 * The worlds a worker thread holds for the main thread (parallel.ts): the child worlds of its steps that may
 * become frontier states, by ticket, until the main thread has them expanded here, asks for them packed (to
 * move them to another worker) or the search is two levels past them. Holding a world saves packing it and
 * unpacking it again when the same worker expands it; beyond `max` worlds, children are packed at once.
 */
import type { World } from './world.js';

interface Held {
  world: World;
  /** The level whose requests use the world (a child's: the level after the step's). */
  level: number;
}

export class HeldWorlds {
  readonly #worlds = new Map<number, Held>();
  #next = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.#worlds.size;
  }

  /** Hold `world` for the requests of `level`; its ticket, or -1 when full. */
  hold(world: World, level: number): number {
    if (this.#worlds.size >= this.max) return -1;
    const ticket = this.#next++;
    this.#worlds.set(ticket, { world, level });
    return ticket;
  }

  /** The world of `ticket`, no longer held; refused when this worker does not hold it. */
  take(ticket: number): World {
    const held = this.#worlds.get(ticket);
    if (!held) throw new Error(`explore-worker: no world held under ticket ${ticket}`);
    this.#worlds.delete(ticket);
    return held.world;
  }

  drop(ticket: number): void {
    this.#worlds.delete(ticket);
  }

  /** Let go of the worlds held for levels before `level` (their states were expanded, or found first elsewhere). */
  forget(level: number): void {
    for (const [ticket, held] of this.#worlds) if (held.level < level) this.#worlds.delete(ticket);
  }

  clear(): void {
    this.#worlds.clear();
  }
}
