/**
 * Breadth-first search's parked worlds: worlds left at frontier states, so expanding such a state needs no
 * rebuild. The world that discovered a state by the table's path is parked there. So is a world that reaches
 * the same state later, at the same depth, with the same ready actors in the same order (the ready signature):
 * the table records choices as indices into the ready actors, and the order is not part of the state key, so
 * only then does every choice index mean what it means on the table's path. Such a world is used for one step
 * and never parked again (its successors' order may differ from the table's). Reuse is off under symmetry (a
 * world reaching a state through a renaming numbers its vCPUs differently).
 */
import type { World } from './world.js';

export class ParkedWorlds {
  readonly #worlds = new Map<number, World[]>();
  readonly #signature = new Map<number, string>();
  /** Worlds parked by parkAnother, with the path they really took. */
  readonly #other = new Map<World, number[]>();
  #count = 0;
  /** Worlds parked at a state they reached by another path (each saves a rebuild). */
  reused = 0;

  constructor(
    readonly max: number,
    readonly reuse: boolean,
  ) {}

  /** The world that discovered state `index` by the table's path. */
  park(index: number, world: World): void {
    if (this.#count >= this.max) return;
    this.#worlds.set(index, [world]);
    this.#count++;
    if (this.reuse) this.#signature.set(index, readySignature(world));
  }

  /** A world at a known, not yet expanded state at its table depth: parked when its ready signature matches. */
  parkAnother(index: number, world: World, path: () => number[]): void {
    if (!this.reuse || this.#count >= this.max) return;
    const list = this.#worlds.get(index);
    if (!list || this.#signature.get(index) !== readySignature(world)) return;
    list.unshift(world); // the table-path world is taken first: it may be parked again after its step
    this.#count++;
    this.reused++;
    this.#other.set(world, path());
  }

  /** A parked world at `index` (the table-path one first), and the path it took when that is another. */
  take(index: number): { world: World; other: number[] | undefined } | undefined {
    const world = this.#worlds.get(index)?.pop();
    if (!world) return undefined;
    this.#count--;
    const other = this.#other.get(world);
    this.#other.delete(world);
    return { world, other };
  }

  /** State `index` is expanded: release what is left parked there. */
  drop(index: number): void {
    for (const world of this.#worlds.get(index) ?? []) {
      this.#other.delete(world);
      this.#count--;
    }
    this.#worlds.delete(index);
    this.#signature.delete(index);
  }
}

/** The fairness slots of the ready actors in choice order (and the timer): what each choice index refers to. */
function readySignature(world: World): string {
  let signature = world.timerChoice() ? 'T' : '';
  for (let i = 0; i < world.ready().length; i++) signature += String.fromCharCode(48 + world.actorSlot(i));
  return signature;
}
