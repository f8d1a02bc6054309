/**
 * Every object and function reachable from `root` by own enumerable fields, array items and Map and Set members,
 * each with the path it was first met by (breadth-first; a step is named by its holder's class: `Emt.frames`,
 * `Map.get`). What a world copy made is what its copy reaches and the original does not: the copy benches
 * (bench/copy-world.ts, bench/copy-census.ts) and test/persist/copy-lean.test.ts count it.
 */
export function reachable(root: unknown): Map<unknown, string> {
  const seen = new Map<unknown, string>();
  const queue: [unknown, string][] = [[root, 'world']];
  for (let i = 0; i < queue.length; i++) {
    const [v, path] = queue[i]!;
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) continue;
    seen.set(v, path);
    if (typeof v === 'function') continue;
    const name = classNameOf(v);
    if (v instanceof Map) v.forEach((x, k) => queue.push([k, `${name}.key`], [x, `${name}.get`]));
    else if (v instanceof Set) v.forEach((x) => queue.push([x, `${name}.has`]));
    else if (Array.isArray(v)) v.forEach((x) => queue.push([x, `${path}[]`]));
    else for (const key of Object.keys(v)) queue.push([(v as Record<string, unknown>)[key], `${name}.${key}`]);
  }
  return seen;
}

/** The class an object reached was made by ('fn' for a function, 'null' for a null-prototype record). */
export const classNameOf = (v: object): string => (typeof v === 'function' ? 'fn' : (Object.getPrototypeOf(v)?.constructor?.name ?? 'null'));
