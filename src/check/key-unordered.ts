/**
 * The snapshot key walk's `unordered` collections (key-walk.ts; ClassSpec.unordered): a Map's, Set's or array's
 * items sorted as graph-walk.ts sorts them — numbered objects by number, then primitives and named objects by
 * text, then the rest as they come — so the order the engine happened to insert them in is not in the key.
 */
import { codeStamp, constantName } from '../persist/registry.js';
import type { KeyWalk } from './key-walk.js';
import { KIND, Tag } from './key-words.js';

interface Rank {
  kind: number;
  key: number | string;
  at: number;
  k: unknown;
  v: unknown;
}
const compareRank = (a: Rank, b: Rank): number => a.kind - b.kind || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.at - b.at;

/** Write collection `obj`'s items sorted; false when `obj` is not a Map, Set or array (written as any object). */
export function writeUnordered(walk: KeyWalk, obj: object): boolean {
  const proto = Object.getPrototypeOf(obj) as object | null;
  const isMap = proto === Map.prototype;
  if (!isMap && proto !== Set.prototype && proto !== Array.prototype) return false;
  const items: Rank[] = [];
  let at = 0;
  if (isMap) for (const [k, v] of obj as Map<unknown, unknown>) items.push(rank(walk, k, v, at++));
  else for (const k of obj as Iterable<unknown>) items.push(rank(walk, k, undefined, at++));
  items.sort(compareRank);
  walk.begin(isMap ? KIND.map : proto === Set.prototype ? KIND.set : KIND.array, items.length);
  for (const item of items) {
    walk.value(item.k);
    if (isMap) walk.value(item.v);
  }
  walk.w(Tag.End);
  return true;
}

/** Where an item sorts: 0 a numbered object (by number), 1 a primitive or a named object (by text), 2 the rest as they come. */
function rank(walk: KeyWalk, k: unknown, v: unknown, at: number): Rank {
  if (k === null || (typeof k !== 'object' && typeof k !== 'function')) return { kind: 1, key: `${typeof k}:${String(k)}`, at, k, v };
  const id = walk.ids.get(k);
  if (id !== undefined) return { kind: 0, key: id, at, k, v };
  const stamp = typeof k === 'function' ? codeStamp(k) : undefined;
  if (stamp && !stamp.args) return { kind: 1, key: `code:${stamp.name}`, at, k, v };
  const name = typeof k === 'object' ? constantName(k) : undefined;
  if (name !== undefined) return { kind: 1, key: `constant:${name}`, at, k, v };
  const digest = typeof k === 'object' && Object.isFrozen(k) ? walk.frozen(k) : null;
  if (digest !== null) return { kind: 1, key: `frozen:${digest[0]}:${digest[1]}`, at, k, v };
  return { kind: 2, key: 0, at, k, v };
}
