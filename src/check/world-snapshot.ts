/**
 * A world as compact bytes and back: what a search keeps at a state once live worlds would exceed its memory
 * budget (kept-worlds.ts). The one place the format is chosen: today the snapshot graph (writeGraph) as JSON,
 * deflated (a 4-vCPU race world: ~24 KB of JSON, ~5.6 KB deflated, against ~26 KB of heap live); a faster binary
 * format can replace WorldSnapshots without touching the searches.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { readGraph, writeGraph } from '../persist/graph.js';
import type { World } from './world.js';

/** Fast deflate: the snapshot is written once and read once, so speed matters more than the last bytes. */
const LEVEL = 1;

/**
 * Names for the user's functions a world holds, given as they are met: a copy shares them (copyGraph), a snapshot
 * names them and its reading finds them again (one table per explorer; snapshots never leave the process).
 */
export class UserFunctions {
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

export class WorldSnapshots {
  constructor(readonly functions: UserFunctions) {}

  freeze(world: World): Uint8Array {
    return deflateRawSync(this.#json(world), { level: LEVEL });
  }

  /** The world again (its coverage sink, a host attachment, is the caller's to attach). */
  thaw(bytes: Uint8Array): World {
    return readGraph<World>(JSON.parse(inflateRawSync(bytes).toString('utf8')), this.functions.read);
  }

  /** About the heap a live world holds: its JSON snapshot's length comes within ~10 % of it (bench/check-copies.ts). */
  liveBytes(world: World): number {
    return this.#json(world).length;
  }

  #json(world: World): string {
    return JSON.stringify(writeGraph(world, this.functions.write));
  }
}
