/**
 * Packing and reading keep tables from one graph to the next for speed: the packer its string numbers
 * (graph-pack.ts StringTable), the readers their generated fillers per prototype and field list (graph-assign.ts
 * assignerFor). Neither may show: a graph packs to the same bytes whatever was packed before, and reads back the
 * same, setters included, whatever was read before.
 */
import { describe, expect, it } from 'vitest';
import { packGraph, readGraph, unpackGraph, writeGraph } from '../../src/persist/graph.js';
import { persistable } from '../../src/persist/registry.js';

/** A graph of records whose field names and string values are `names`, each used twice (the second use a number). */
const records = (names: string[]): object => names.map((name) => ({ [name]: name, again: name, nested: { [name]: 1 } }));

const LONG = 'L'.repeat(300);

describe('packGraph numbers strings per message, whatever it packed before', () => {
  // Each case: what is packed first (to fill the kept table), then the graph whose bytes must not change.
  const cases: [string, () => object, () => object][] = [
    ['shared names', () => records(['a', 'b', 'c']), () => records(['c', 'b', 'x'])],
    ['names the second graph uses in another order', () => records(['p', 'q', 'r', 's']), () => records(['s', 'r', 'q', 'p'])],
    ['a long string, used twice in the graph (kept in no table)', () => records([LONG, 'y']), () => ({ one: LONG, two: 'k', three: [LONG, 'k'], four: 'k' })],
    ['more distinct strings than the table keeps', () => records(Array.from({ length: 9_000 }, (_, i) => `name${i}`)), () => records(['name1', 'name8999', 'z'])],
  ];

  it.each(cases)('%s: same bytes as packed first, and reads back equal', (_name, before, graph) => {
    const fresh = packGraph(graph());
    packGraph(before());
    const after = packGraph(graph());
    expect(Buffer.from(after).equals(Buffer.from(fresh))).toBe(true);
    expect(unpackGraph(after)).toEqual(graph());
    expect(unpackGraph(after)).toEqual(readGraph(JSON.parse(JSON.stringify(writeGraph(graph())))));
  });
});

describe('a class is filled by a filler made for its own field lists', () => {
  // Two classes with the field list ['x', 'y']: Plain may be filled by assignment, Guarded has a setter x (data
  // must not run it), so a filler found by the list alone would run it.
  class Plain {}
  let ran = 0;
  class Guarded {
    set x(_v: unknown) {
      ran++;
    }
  }
  persistable('test.packHistory.Plain', Plain);
  persistable('test.packHistory.Guarded', Guarded);
  const make = <T extends object>(obj: T, fields: Record<string, number>): T => {
    for (const [key, value] of Object.entries(fields)) Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    return obj;
  };
  const ways: [string, <T>(root: T) => T][] = [
    ['unpackGraph', <T>(root: T) => unpackGraph<T>(packGraph(root))],
    ['readGraph', <T>(root: T) => readGraph(JSON.parse(JSON.stringify(writeGraph(root)))) as T],
  ];

  it.each(ways)('%s: a list filled for one class runs no setter of another; lists in another order keep their order', (_name, back) => {
    ran = 0;
    const plain = back([make(new Plain(), { x: 1, y: 2 }), make(new Plain(), { y: 3, x: 4 })]);
    expect(plain.map((o) => Object.entries(o))).toEqual([
      [['x', 1], ['y', 2]],
      [['y', 3], ['x', 4]],
    ]);
    const guarded = back(make(new Guarded(), { x: 5, y: 6 }));
    expect(ran).toBe(0);
    expect(Object.getOwnPropertyDescriptor(guarded, 'x')?.value).toBe(5);
    expect((guarded as unknown as { y: number }).y).toBe(6);
  });

  it.each(ways)('%s: more field lists of one class than it keeps fillers for read whole', (_name, back) => {
    const many = Array.from({ length: 20 }, (_, i) => make(new Plain(), { [`f${i}`]: i, [`g${i}`]: -i }));
    const again = back(back(many));
    again.forEach((o, i) => expect(Object.entries(o)).toEqual([[`f${i}`, i], [`g${i}`, -i]]));
  });
});
