/**
 * A world as bytes and back (issue 17): what a frontier state is when it waits beyond the memory budget or
 * travels to a worker thread. `packWorld` writes the world's graph in the binary snapshot format
 * (src/persist/graph-pack.ts); `unpackWorld` reads it into a new world that continues exactly like the
 * original (coverage is a host attachment: pass the sink to collect it).
 */
import { packGraph, unpackGraph } from '../persist/graph.js';
import type { CoverageSink } from './coverage.js';
import type { World } from './world.js';

/** The world's state as a compact byte string (its own ArrayBuffer, exactly as long: transferable). */
export function packWorld(world: World): Uint8Array {
  return packGraph(world);
}

/** A new world at the state `bytes` hold (packWorld's), collecting coverage into `coverage` when given. */
export function unpackWorld(bytes: Uint8Array, coverage?: CoverageSink): World {
  const world = unpackGraph<World>(bytes);
  if (coverage) world.attachCoverage(coverage);
  return world;
}
