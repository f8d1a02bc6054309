/**
 * Frozen records in the snapshot key (key-walk.ts): the engine's configuration records (VM config, halt options,
 * the scenario's call specs …) are frozen and shared between a world and its copies, so a frozen record whose
 * whole graph is frozen plain data is written as a digest of its own walk, computed once per record (by
 * identity; a recomputable cache, not state). It is data that cannot change, so it is keyed by what it holds,
 * not by where else the world refers to it.
 */
import { constantName } from '../persist/registry.js';
import { CPU_NAMED } from './key-cpus.js';
import { KeyWriter } from './key-writer.js';
import type { KeyWalk } from './key-walk.js';

/** Per frozen record: its walk's two hash words, or null (not all frozen plain data: walked as any object). */
const digests = new WeakMap<object, readonly [number, number] | null>();

/** The digest of `v` (frozen, not a named constant), or null when it must be walked. */
export function frozenDigest(v: object, walkOf: () => KeyWalk): readonly [number, number] | null {
  let digest = digests.get(v);
  if (digest === undefined) {
    digest = null;
    digests.set(v, null); // (the record's own walk walks it: not its digest)
    if (frozenData(v, 0)) {
      const key = new KeyWriter();
      walkOf().encode(v, key, 0, null);
      key.hash();
      digest = [key.hi, key.lo];
    }
    digests.set(v, digest);
  }
  return digest;
}

/**
 * Frozen plain objects and arrays all the way down (primitives, named constants at the leaves), no field whose
 * name says CPU (the vCPU renaming must see those): what a digest may stand for.
 */
function frozenData(v: object, depth: number): boolean {
  if (depth > 16 || !Object.isFrozen(v)) return false;
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto !== Object.prototype && proto !== null && proto !== Array.prototype) return false;
  for (const key of Object.keys(v)) {
    if (proto !== Array.prototype && CPU_NAMED.test(key)) return false;
    const item = (v as Record<string, unknown>)[key];
    if (typeof item === 'function' || typeof item === 'symbol') return false;
    if (typeof item === 'object' && item !== null && constantName(item) === undefined && !frozenData(item, depth + 1)) return false;
  }
  return true;
}
