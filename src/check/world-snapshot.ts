/**
 * A world as compact bytes and back: what a search keeps at a state once live worlds would exceed its memory
 * budget (kept-worlds.ts). The one place the format is chosen: today the snapshot graph (writeGraph) as JSON,
 * deflated (a 4-vCPU race world: ~24 KB of JSON, ~5.6 KB deflated, against ~26 KB of heap live); a faster binary
 * format can replace these two functions without touching the searches.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { readGraph, writeGraph } from '../persist/graph.js';
import type { World } from './world.js';

/** Fast deflate: the snapshot is written once and read once, so speed matters more than the last bytes. */
const LEVEL = 1;

export function freezeWorld(world: World): Uint8Array {
  return deflateRawSync(JSON.stringify(writeGraph(world)), { level: LEVEL });
}

/** The world again (its coverage sink, a host attachment, is the caller's to attach). */
export function thawWorld(bytes: Uint8Array): World {
  return readGraph<World>(JSON.parse(inflateRawSync(bytes).toString('utf8')));
}

/** About the heap a live world holds: its JSON snapshot's length comes within ~10 % of it (bench/check-copies.ts). */
export function liveBytesOf(world: World): number {
  return JSON.stringify(writeGraph(world)).length;
}
