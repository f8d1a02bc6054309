/**
 * The worlds a worker thread holds for the main thread (parallel.ts): the child worlds of its steps that may
 * become frontier states, by ticket, until the main thread has them expanded here, asks for them packed (to
 * move them to another worker) or the search is two levels past them. Holding a world saves packing it and
 * unpacking it again when the same worker expands it; beyond `max` worlds, children are packed at once.
 *
 * Spares, as the single-threaded search keeps them (kept-worlds.ts): a world of a later step into a key whose
 * world is held here, kept with it when its choice signature is the held world's (parked.ts); expanding the
 * state, a spare serves one of its choices in place of a copy. A spare took another path than the table's,
 * which it carries (OwnPath) for reporting a violation exactly; so does any world descended from one.
 */
import type { OwnPath } from './kept-worlds.js';
import { sameChoices } from './parked.js';
import type { World } from './world.js';

/** A world and its path, when that is not the table's path to its state. */
export interface Lineage {
  world: World;
  own: OwnPath | undefined;
}

interface Held extends Lineage {
  /** The level whose requests use the world (a child's: the level after the step's). */
  level: number;
  /** Its spares (most held worlds get none: made when the first arrives), and its choice count then. */
  spares: Lineage[] | null;
  choices: number | undefined;
}

export class HeldWorlds {
  readonly #worlds = new Map<number, Held>();
  #next = 0;
  /** Worlds held, spares included. */
  #count = 0;

  /** `max`: worlds held at most, spares included; `spares`: whether to keep any (not under symmetry). */
  constructor(
    readonly max: number,
    readonly spares: boolean,
  ) {}

  get size(): number {
    return this.#count;
  }

  /** Hold `world` for the requests of `level`; its ticket, or -1 when full. */
  hold(world: Lineage, level: number): number {
    if (this.#count >= this.max) return -1;
    const ticket = this.#next++;
    this.#worlds.set(ticket, { world: world.world, own: world.own, level, spares: null, choices: undefined });
    this.#count++;
    return ticket;
  }

  /**
   * Keep `world` as a spare of the world held under `ticket`, when there is room and their choice signatures
   * match; `own` makes its path only then.
   */
  spare(ticket: number, world: World, own: () => OwnPath): void {
    const held = this.#worlds.get(ticket);
    if (!this.spares || !held || this.#count >= this.max) return;
    // No more than can serve: every choice of the state but the one its own world takes (surplus worlds would
    // only survive collections for nothing).
    if ((held.spares?.length ?? 0) >= (held.choices ??= held.world.choiceCount()) - 1) return;
    if (!sameChoices(held.world, world)) return; // held, it does not step: its signature is as when it came
    (held.spares ??= []).push({ world, own: own() });
    this.#count++;
  }

  /** The world of `ticket` and its spares, no longer held; refused when this worker does not hold it. */
  take(ticket: number): { held: Lineage; spares: Lineage[] } {
    const held = this.#worlds.get(ticket);
    if (!held) throw new Error(`explore-worker: no world held under ticket ${ticket}`);
    this.#remove(ticket, held);
    return { held: { world: held.world, own: held.own }, spares: held.spares ?? [] };
  }

  drop(ticket: number): void {
    const held = this.#worlds.get(ticket);
    if (held) this.#remove(ticket, held);
  }

  /** Let go of the worlds held for levels before `level` (their states were expanded, or found first elsewhere). */
  forget(level: number): void {
    for (const [ticket, held] of this.#worlds) if (held.level < level) this.#remove(ticket, held);
  }

  #remove(ticket: number, held: Held): void {
    this.#worlds.delete(ticket);
    this.#count -= 1 + (held.spares?.length ?? 0);
  }
}
