/**
 * What a step writes, against what a copy makes: along random runs of a scenario (the race by default), each state's
 * world is copied as the checker copies it, one choice is stepped on the copy, and every object the copy made is
 * compared field by field (array items, Map entries, Set members) with what it held before the step. Reports, per
 * step: the objects a copy makes, those the step wrote, and those a copy-on-write world would still have to copy:
 * the written ones and every object that reaches one (path copying), first over the world's references as they
 * are, then without the references to objects met earlier in the copy's breadth-first order (owner pointers such
 * as `Emt.vm`, `RendezvousFrame.emt`). Those references are listed, by field. The gap between the three counts is what
 * sharing unchanged state between worlds could save (issue 17's copy cost: docs/model-checking-internals.md).
 *
 * Run: node dist/bench/step-writes.js [cpus] [runs] [scenario json]   (from dist/, after npm run build)
 */
import { pathToFileURL } from 'node:url';
import { parseScenario } from '../src/check/scenario.js';
import { World } from '../src/check/world.js';
import { copyGraph } from '../src/persist/graph.js';
import { classNameOf, reachable } from '../src/persist/reachable.js';

/** An object's references and values in order: its fields (name, value), an array's items, a Map's entries, a Set's members. */
function contents(o: object): unknown[] {
  if (o instanceof Map) {
    const out: unknown[] = [];
    o.forEach((v, k) => out.push(k, v));
    return out;
  }
  if (o instanceof Set) return [...o];
  if (Array.isArray(o)) return [...o];
  return Object.keys(o).flatMap((k) => [k, (o as Record<string, unknown>)[k]]);
}

const same = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

/** A class, and for arrays, Maps, Sets and plain records the path that met them (`Array VmCore.emts`). */
function kindOf(o: object, path: string): string {
  const name = classNameOf(o);
  return name === 'Object' || name === 'Array' || name === 'Map' || name === 'Set' ? `${name} ${path}` : name;
}

/** The field of `holder` that refers to `target`, for the report (`Emt.vm`, `Array VmCore.emts`). */
function fieldOf(holder: object, target: unknown, path: string): string {
  if (Array.isArray(holder) || holder instanceof Map || holder instanceof Set) return kindOf(holder, path);
  return `${classNameOf(holder)}.${Object.keys(holder).find((k) => (holder as Record<string, unknown>)[k] === target)}`;
}

/** Of `objects`, those that reach one of `written` along `edges` (holder → referred), written ones included. */
function reaching(objects: readonly object[], written: ReadonlySet<object>, edges: (o: object) => readonly object[]): Set<object> {
  const referrers = new Map<object, object[]>();
  for (const o of objects) for (const x of edges(o)) (referrers.get(x) ?? referrers.set(x, []).get(x)!).push(o);
  const out = new Set(written);
  const todo = [...written];
  while (todo.length > 0) for (const o of referrers.get(todo.pop()!) ?? []) if (!out.has(o)) out.add(o), todo.push(o);
  return out;
}

interface Row {
  copied: number;
  written: number;
  reaching: number;
  reachingNoBack: number;
}

export function main(cpus = Number(process.argv[2] ?? 6), runs = Number(process.argv[3] ?? 40), json = process.argv[4]): void {
  const spec = parseScenario(JSON.parse(json ?? `{"cpus":${cpus},"clients":[["powerOn","suspend"],["powerOff"]]}`));
  let seed = 12345; // the runs are the same on every machine
  const random = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const total: Row & { made: number } = { copied: 0, written: 0, reaching: 0, reachingNoBack: 0, made: 0 };
  const byKind = new Map<string, Row>();
  const backEdges = new Map<string, number>();
  let steps = 0;
  for (let run = 0; run < runs; run++) {
    for (const world = World.build(spec, { properties: [] }); !world.terminal; world.step(random(world.choiceCount()))) {
      const copy = copyGraph(world);
      const original = reachable(world);
      const met = reachable(copy); // breadth-first: a Map keeps the order objects were met in
      const order = new Map<unknown, number>();
      const copied: object[] = [];
      for (const v of met.keys()) {
        order.set(v, order.size);
        if (typeof v === 'object' && v !== null && !original.has(v)) copied.push(v);
      }
      const isCopied = new Set<unknown>(copied);
      const before = copied.map(contents);
      copy.step(random(copy.choiceCount()));
      steps++;
      const written = new Set(copied.filter((o, i) => !same(before[i]!, contents(o))));
      for (const v of reachable(copy).keys()) if (typeof v === 'object' && v !== null && !met.has(v)) total.made++;
      const refs = (o: object): object[] => contents(o).filter((x): x is object => isCopied.has(x));
      const earlier = (o: object): object[] => refs(o).filter((x) => order.get(x)! < order.get(o)!);
      const all = reaching(copied, written, refs);
      const noBack = reaching(copied, written, (o) => refs(o).filter((x) => order.get(x)! > order.get(o)!));
      for (const o of copied) {
        const kind = kindOf(o, met.get(o)!);
        const row = byKind.get(kind) ?? byKind.set(kind, { copied: 0, written: 0, reaching: 0, reachingNoBack: 0 }).get(kind)!;
        row.copied++;
        if (written.has(o)) row.written++;
        if (all.has(o)) row.reaching++;
        if (noBack.has(o)) row.reachingNoBack++;
        for (const x of earlier(o)) {
          const edge = `${fieldOf(o, x, met.get(o)!)} → ${classNameOf(x)}`;
          backEdges.set(edge, (backEdges.get(edge) ?? 0) + 1);
        }
      }
      total.copied += copied.length;
      total.written += written.size;
      total.reaching += all.size;
      total.reachingNoBack += noBack.size;
    }
  }
  const per = (n: number): string => (n / steps).toFixed(2).padStart(7);
  console.log(`${spec.cpus} vCPUs, ${runs} random runs, ${steps} steps; per step:`);
  console.log(`  objects a copy makes ${per(total.copied)}; the step writes ${per(total.written)} of them and makes ${per(total.made)}`);
  console.log(`  path copying would copy ${per(total.reaching)} (written, or reaching one); without references to objects met earlier ${per(total.reachingNoBack)}`);
  console.log('\nper step, by class: copied, written, reaching a written one, the same without earlier references');
  for (const [kind, r] of [...byKind].sort((a, b) => b[1].copied - a[1].copied)) console.log(`${per(r.copied)}${per(r.written)}${per(r.reaching)}${per(r.reachingNoBack)}  ${kind}`);
  console.log('\nreferences to objects met earlier (owner pointers and the like), per step:');
  for (const [edge, n] of [...backEdges].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${per(n)}  ${edge}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
