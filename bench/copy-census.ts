/**
 * What a world copy makes, by class: the objects and functions a copy of the race's mid-run world makes (reachable
 * from the copy, not from the original), and which of them the copier's identity table holds (objects not in an
 * owned field, ClassSpec.owned). Picks the targets for a leaner world (issue 12's copy cost): the classes with most
 * objects, and the fields whose objects enter the table. The table is found by watching Map.prototype.set during one
 * copy (an original object mapped to a number: its todo slot). The world censused is a copy's copy, as the checker's.
 *
 * Run: node dist/bench/copy-census.js [cpus] [scenario json]   (from dist/, after npm run build)
 */
import { parseScenario } from '../src/check/scenario.js';
import { World } from '../src/check/world.js';
import { copyGraph } from '../src/persist/graph.js';
import { classNameOf as nameOf, reachable } from '../src/persist/reachable.js';

const cpus = Number(process.argv[2] ?? 4);
const spec = parseScenario(JSON.parse(process.argv[3] ?? `{"cpus":${cpus},"clients":[["powerOn","suspend"],["powerOff"]]}`));
let total = 0;
for (const w = World.build(spec, { properties: [] }); !w.terminal; total++) w.step(0);
const built = World.build(spec, { properties: [] });
for (let i = 0; i < total >> 1; i++) built.step(0);
// A copy's copy, as the checker makes them (a constructor-built world's host options, e.g., are not yet shared).
const world = copyGraph(copyGraph(built));

const before = reachable(world);
const entered = new Set<unknown>();
const set = Map.prototype.set;
Map.prototype.set = function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
  if (typeof v === 'number' && before.has(k)) entered.add(k);
  return set.call(this, k, v);
};
const copy = copyGraph(world); // a new root: a fresh table, every entry set
Map.prototype.set = set;

const made = [...reachable(copy)].filter(([v]) => !before.has(v));
const byClass = new Map<string, number>();
for (const [v] of made) byClass.set(nameOf(v as object), (byClass.get(nameOf(v as object)) ?? 0) + 1);
const tableBy = new Map<string, number>();
for (const v of entered) {
  const key = `${nameOf(v as object)} ← ${before.get(v)}`;
  tableBy.set(key, (tableBy.get(key) ?? 0) + 1);
}
const sorted = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
const madePaths = new Map<string, number>();
for (const [v, path] of made) {
  const key = `${nameOf(v as object)} ← ${path}`;
  madePaths.set(key, (madePaths.get(key) ?? 0) + 1);
}
/** Every field that refers to a table entry of the original (more than one: it cannot be owned). */
const referrers = new Map<unknown, string[]>();
for (const [v] of before) {
  if (typeof v !== 'object' || v === null) continue;
  const name = nameOf(v);
  const note = (x: unknown, field: string): void => {
    if (entered.has(x)) referrers.set(x, [...(referrers.get(x) ?? []), field]);
  };
  if (v instanceof Map) v.forEach((x, k) => (note(k, `${name}.key`), note(x, `${name}.get`)));
  else if (v instanceof Set) v.forEach((x) => note(x, `${name}.has`));
  else if (Array.isArray(v)) v.forEach((x) => note(x, `${before.get(v)}[]`));
  else for (const key of Object.keys(v)) note((v as Record<string, unknown>)[key], `${name}.${key}`);
}
const shared = new Map<string, number>();
for (const [v, fields] of referrers) {
  const key = `${nameOf(v as object)} ← ${fields.sort().join(' + ')}`;
  shared.set(key, (shared.get(key) ?? 0) + 1);
}
console.log(JSON.stringify({ objectsPerCopy: made.length, tableEntries: entered.size, byClass: sorted(byClass), table: sorted(shared), made: sorted(madePaths) }, null, 1));
