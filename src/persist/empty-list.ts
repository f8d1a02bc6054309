/**
 * One shared empty list for engine and checker lists that are empty in most worlds (at-state callbacks, a
 * thread's work, a CPU's processing stack …): a world copy shares it instead of copying an empty array. A list
 * gets an array of its own at its first item (`pushed`) and gives it back when it empties (`removedAt`). A named
 * constant, so a restored list that was empty is this very array again. A small list of numbers that changes
 * seldom is frozen and replaced at each write instead (`replacedAt`): copies share it.
 */
import { defineConstant } from './registry.js';

export const EMPTY_LIST: readonly never[] = defineConstant('persist.emptyList', Object.freeze([]));

/** `list` with `item` last: a new array when `list` is empty (it may be EMPTY_LIST), else `list` grown in place. */
export function pushed<T>(list: readonly T[], item: T): readonly T[] {
  if (list.length === 0) return [item];
  (list as T[]).push(item);
  return list;
}

/** `list` without its item at `index`: EMPTY_LIST when that was the last, else `list` shrunk in place. */
export function removedAt<T>(list: readonly T[], index: number): readonly T[] {
  if (list.length === 1 && index === 0) return EMPTY_LIST;
  (list as T[]).splice(index, 1);
  return list;
}

/** A frozen copy of `list` with `value` at `index` (for lists replaced, never changed: world copies share them). */
export function replacedAt<T>(list: readonly T[], index: number, value: T): readonly T[] {
  const next = list.slice();
  next[index] = value;
  return Object.freeze(next);
}

/**
 * `list` (frozen) with its item at `index` writable: `list` itself when the item is, else a new frozen list holding
 * the item's writable copy (`thawed`): a record frozen while it holds only data, replaced at its first write.
 */
export function thawedAt<T extends { thawed(): T }>(list: readonly T[], index: number): readonly T[] {
  const item = list[index]!;
  return Object.isFrozen(item) ? replacedAt(list, index, item.thawed()) : list;
}
