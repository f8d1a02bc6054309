/**
 * Breadth-first search's parked worlds: worlds left at states not yet expanded, so expanding such a state needs
 * no rebuild. The world that discovers a state is parked there, and so is every world that steps into a state
 * still waiting to be expanded, when its choice signature is the state's.
 *
 * The table records choices as indices into a world's ready actors, and their order is not part of the state
 * key: the scheduler lists actors in registration order, and call threads register when their calls start, so
 * two worlds in one state can number the same actor differently. The choice signature says what the numbers mean
 * now and later: the ready actors' fairness slots in choice order, then every call thread of the run so far in
 * registration order (a thread can be readied again after its call returned, by a late request completion).
 * Worlds with the same key and signature take every choice to the same successor (as far as the key is complete,
 * which the key audit checks), with the same signature, so a world parked by signature serves the state as well
 * as the table's own path would, for every step after it.
 * Such a world carries the path it really took (a base state's table prefix and the choices after it), for
 * reporting a violation exactly. Reuse is off under symmetry (a world reaching a state through a renaming numbers
 * its vCPUs differently).
 */
import type { World } from './world.js';

/** A world's path when it is not the table's: the table prefix of `base`, then `tail`. */
export interface OwnPath {
  base: number;
  tail: number[];
}

export class ParkedWorlds {
  readonly #worlds = new Map<number, World[]>();
  readonly #signature = new Map<number, string>();
  /** Worlds that came by another path than the table's, with that path. */
  readonly #own = new Map<World, OwnPath>();
  #count = 0;

  constructor(
    readonly max: number,
    readonly reuse: boolean,
  ) {}

  /** The world that discovered state `index`; `own` when it came by another path than the one recorded. */
  park(index: number, world: World, own?: OwnPath): void {
    if (this.#count >= this.max) return;
    this.#worlds.set(index, [world]);
    this.#count++;
    if (own) this.#own.set(world, own);
  }

  /** A world at a known state not yet expanded, by another path: parked when its choice signature matches. */
  parkAnother(index: number, world: World, own: OwnPath): void {
    if (!this.reuse || this.#count >= this.max) return;
    const list = this.#worlds.get(index);
    if (!list || this.#signatureOf(index, list) !== choiceSignature(world)) return;
    list.push(world);
    this.#count++;
    this.#own.set(world, own);
  }

  /** A parked world at `index`, and the path it took when that is not the table's. */
  take(index: number): { world: World; own: OwnPath | undefined } | undefined {
    const world = this.#worlds.get(index)?.pop();
    if (!world) return undefined;
    this.#count--;
    const own = this.#own.get(world);
    this.#own.delete(world);
    return { world, own };
  }

  /** The state's signature, from the world parked first (still there: a state is not taken from before it is expanded). */
  #signatureOf(index: number, list: readonly World[]): string {
    let signature = this.#signature.get(index);
    if (signature === undefined) this.#signature.set(index, (signature = choiceSignature(list[0]!)));
    return signature;
  }

  /** State `index` is expanded: release what is left parked there. */
  drop(index: number): void {
    for (const world of this.#worlds.get(index) ?? []) {
      this.#own.delete(world);
      this.#count--;
    }
    this.#worlds.delete(index);
    this.#signature.delete(index);
  }
}

/** What each choice index refers to, now and after any steps: see the header. */
export function choiceSignature(world: World): string {
  let signature = world.timerChoice() ? 'T' : '';
  for (let i = 0; i < world.ready().length; i++) signature += String.fromCharCode(48 + world.actorSlot(i));
  signature += '|';
  for (const call of world.labels.threadCall.values()) signature += `${call.label},`;
  return signature;
}
