/** Get-or-create for the checker's lookup tables (nested maps, memo caches): one helper instead of one per table. */

/** A Map or a WeakMap. */
interface Table<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

/** `map`'s value at `key`, made by `make` (and kept) the first time. */
export function at<K, V>(map: Table<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}
