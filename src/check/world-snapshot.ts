/**
 * A world as compact bytes and back: what a search keeps at a state once live worlds would exceed its memory
 * budget (kept-worlds.ts). The one place the format is chosen: the binary snapshot graph (packGraph, as
 * worker threads get frontier states: a 4-vCPU race world ~7.8 KB against ~9.4 KB of heap live, written and read
 * several times faster than JSON); deflating it would save bytes at a cost per state.
 */
import { packGraph, unpackGraph } from '../persist/graph.js';
import type { World } from './world.js';

/**
 * Names for the user's functions a world holds, given as they are met: a copy shares them (copyGraph), a snapshot
 * names them and its reading finds them again (one table per explorer; snapshots never leave the process).
 * Unlike the embedder's fixed table (src/api/functions.ts UserFunctions), names are made up as functions are met.
 */
export class SeenFunctions {
  readonly #names = new Map<Function, string>();
  readonly #functions = new Map<string, Function>();
  readonly write = { userName: (fn: Function): string => this.#nameOf(fn) };
  readonly read = { userFunction: (name: string): Function | undefined => this.#functions.get(name) };

  #nameOf(fn: Function): string {
    let name = this.#names.get(fn);
    if (name === undefined) {
      name = `user.${this.#names.size}`;
      this.#names.set(fn, name);
      this.#functions.set(name, fn);
    }
    return name;
  }
}

/**
 * The heap a kept world holds of its own, per byte of its packed form, rounded up. `node
 * dist/bench/kept-bytes.js`: 1.13–1.26 over four suite scenarios (copies kept alive, beside the worlds they were
 * copied from: what they share, XState snapshots and frozen records, is not theirs). It was 3 while worlds had
 * ~200 objects and shared little (stop 16); kept at that, a budget held about 2.5× fewer live worlds than it had room for.
 */
export const LIVE_PER_PACKED = 1.5;

export class WorldSnapshots {
  constructor(readonly functions: SeenFunctions) {}

  freeze(world: World): Uint8Array {
    return packGraph(world, this.functions.write);
  }

  /** The world again (its coverage sink, a host attachment, is the caller's to attach). */
  thaw(bytes: Uint8Array): World {
    return unpackGraph<World>(bytes, this.functions.read);
  }

  /** About the heap a live world holds of its own: its packed length × LIVE_PER_PACKED. */
  liveBytes(world: World): number {
    return Math.ceil(packGraph(world, this.functions.write).length * LIVE_PER_PACKED);
  }
}
