/**
 * The copier (its work, restore and revive lists, its clone function) is reused from one copy to the next
 * (bench/copy-world.ts keep: a list grown anew per copy was as much garbage as the identity table). A reused list must carry nothing over: a copy refused half-way, or
 * a copy made from inside another's hook, leaves the next copy (and the outer one) exact. The identity table is
 * kept for the next copy of the same root: its entries from the copy before must never hand out that copy's
 * objects, whatever changed in the graph between (objects gone, new ones, another order, another root between).
 */
import { describe, expect, it } from 'vitest';
import { copyGraph } from '../../src/persist/graph.js';
import { persistable } from '../../src/persist/registry.js';
import { expectIsomorphic } from './fixtures.js';

/** A graph with sharing and a cycle: `shared` twice, `self` points back at the root. */
function sample(tag: string): Record<string, unknown> {
  const shared = { tag, list: [1, 2, { deep: tag }] };
  const root: Record<string, unknown> = { a: shared, b: [shared, new Map([[tag, shared]])], set: new Set([tag]) };
  root.self = root;
  return root;
}

/** The copy is exact and shares nothing with `src`: the same shape, sharing and cycle, all new objects. */
function expectExactCopy(src: Record<string, unknown>, copy: Record<string, unknown>): void {
  expect(copy).toEqual(src);
  expect(copy).not.toBe(src);
  expect(copy.self).toBe(copy);
  expect(copy.a).not.toBe(src.a);
  expect((copy.b as unknown[])[0]).toBe(copy.a);
  expect(((copy.b as unknown[])[1] as Map<string, unknown>).get((src.a as { tag: string }).tag)).toBe(copy.a);
}

/** A class whose copy hook copies a graph of its own from inside the running copy. */
class Nested {
  constructor(
    public inner: Record<string, unknown>,
    public own: Record<string, unknown> | null = null,
  ) {}
}
persistable('test:CopyReuseNested', Nested, {
  copy: (from, into, clone) => {
    into.own = copyGraph(from.inner); // a whole copy while the outer one runs
    into.inner = clone(from.inner) as Record<string, unknown>;
  },
});

describe('the copier reuses its work list without carrying anything over', () => {
  it('after a copy refused half-way, the next copy is exact', () => {
    const bad = sample('bad');
    (bad.a as Record<string, unknown>).fn = () => 0; // met after shells were listed
    expect(() => copyGraph(bad)).toThrow(/closure/);
    for (const tag of ['one', 'two']) {
      const src = sample(tag);
      expectExactCopy(src, copyGraph(src));
    }
  });

  it('a copy made from inside a copy hook, and the copy around it, are both exact', () => {
    const inner = sample('inner');
    const outer = { nested: new Nested(inner), more: sample('outer') };
    const copy = copyGraph(outer);
    expectExactCopy(outer.more, copy.more);
    expectExactCopy(inner, copy.nested.inner);
    expectExactCopy(inner, copy.nested.own!);
    expect(copy.nested.own).not.toBe(copy.nested.inner); // two copies, not one
    expectExactCopy(sample('after'), copyGraph(sample('after')));
  });
});

/** Objects reachable from `root` (fields, Map and Set members). */
function objectsOf(root: unknown, into = new Set<object>()): Set<object> {
  if (typeof root !== 'object' || root === null || into.has(root)) return into;
  into.add(root);
  const next = root instanceof Map ? [...root.keys(), ...root.values()] : root instanceof Set ? [...root] : Object.values(root);
  for (const v of next) objectsOf(v, into);
  return into;
}

type Graph = Record<string, unknown>;

describe('the identity table kept for the next copy of the same root hands out nothing of the copy before', () => {
  const changes: [string, (root: Graph) => void][] = [
    ['nothing changed', () => undefined],
    ['the first object met replaced (every later one met a slot earlier or later)', (root) => {
      root.a = { tag: 'new', list: [] };
      (root.b as unknown[])[0] = root.a;
    }],
    ['the same objects met in the reverse order', (root) => {
      const fields = Object.entries(root).reverse();
      for (const [key] of fields) delete root[key];
      for (const [key, v] of fields) root[key] = v;
    }],
    ['an object met once now met twice, a shared one now once', (root) => {
      root.b = [{ deep: 'x' }, root.set, root.set];
    }],
    ['another root copied between', () => void copyGraph(sample('between'))],
    ['a copy refused half-way between', (root) => {
      const bad = root.a as Graph;
      bad.fn = () => 0;
      expect(() => copyGraph(root)).toThrow(/closure/);
      delete bad.fn;
    }],
  ];

  it.each(changes)('%s: the second copy is exact and shares no object with the first', (_, change) => {
    const src = sample('kept');
    const first = copyGraph(src);
    change(src);
    const second = copyGraph(src);
    expectIsomorphic(second, src, true);
    const before = objectsOf(first);
    expect([...objectsOf(second)].filter((o) => before.has(o))).toEqual([]);
    expectIsomorphic(first, sample('kept'), true); // the first copy untouched
  });
});
