/**
 * Plain objects the copy meets through the identity table (more than one referrer, or a field not declared owned)
 * are made as a shell with their usual fields, cached by their first field, then filled field by field: the copy
 * must still be the original graph whatever the fields are — same keys in the same order, sharing and cycles kept,
 * objects that share a first field but not the rest copied each as itself. Method: each case's graph copied and
 * compared with expectIsomorphic (fixtures.ts), twice (the second copy takes the cached shells), and copies of copies.
 */
import { describe, expect, it } from 'vitest';
import { copyGraph } from '../../src/persist/graph.js';
import { expectIsomorphic } from './fixtures.js';

/** Every object of `copy` has its original's own keys in the original's order (expectIsomorphic sorts them). */
function expectKeyOrder(copy: unknown, original: unknown, seen = new Set<unknown>()): void {
  if (typeof original !== 'object' || original === null || seen.has(original)) return;
  seen.add(original);
  expect(Object.keys(copy as object)).toEqual(Object.keys(original));
  for (const key of Object.keys(original)) expectKeyOrder((copy as Record<string, unknown>)[key], (original as Record<string, unknown>)[key], seen);
}

/** A graph whose plain objects are each referred to twice (so none is copied at once as owned). */
const twice = (...objects: object[]): object => ({ first: objects, again: [...objects] });

function withProto(): object {
  const o: Record<string, unknown> = { a: 1 };
  Object.defineProperty(o, '__proto__', { value: { inner: 2 }, writable: true, enumerable: true, configurable: true });
  return o;
}

const CASES: [name: string, graph: () => object][] = [
  ['primitives and references', () => twice({ label: 'x', labelId: 3, call: { n: 1 } }, { label: 'y', labelId: 4, call: null })],
  ['the same first field, other fields', () => twice({ label: 'x', labelId: 3 }, { label: 'y', other: [1, 2] }, { label: 'z' })],
  ['a field added later', () => {
    const o: Record<string, unknown> = { k: 1, req: null };
    const grown: Record<string, unknown> = { k: 2, req: null };
    grown.extra = 'late';
    return twice(o, grown);
  }],
  ['a deleted field', () => {
    const o: Record<string, unknown> = { k: 1, req: 5, more: 6 };
    delete o.req;
    return twice({ k: 0, req: 1, more: 2 }, o);
  }],
  ['a self reference', () => {
    const o: Record<string, unknown> = { self: null, n: 1 };
    o.self = o;
    return twice(o);
  }],
  ['a cycle through two plain objects', () => {
    const a: Record<string, unknown> = { peer: null, tag: 'a' };
    const b: Record<string, unknown> = { peer: a, tag: 'b' };
    a.peer = b;
    return twice(a, b);
  }],
  ['a frozen object holding a mutable one', () => twice(Object.freeze({ box: { n: 1 }, n: 2 }))],
  ['an own field named __proto__', () => twice(withProto())],
  ['undefined and string values', () => twice({ n: 1, s: 'sym', u: undefined })],
  // More shapes under one first field than it keeps shells for: the later ones are spread.
  ['six shapes of one first field', () => twice(...Array.from({ length: 6 }, (_, i) => ({ kind: i, [`f${i}`]: { i } })))],
  ['a wide object, then narrow ones of its first field', () => twice(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`w${i}`, i])), { w0: 1, n: { m: 2 } })],
  ['a dictionary wider than a shell', () => twice(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`req.${i}`, i % 2 ? { i } : i])))],
];

describe('plain objects met through the identity table copy exactly', () => {
  it.each(CASES)('%s', (_name, graph) => {
    const original = graph();
    for (let i = 0; i < 3; i++) {
      const copy = copyGraph(original);
      expectIsomorphic(copy, original, true);
      expectKeyOrder(copy, original);
      const again = copyGraph(copy);
      expectIsomorphic(again, original, true);
      expectKeyOrder(again, original);
    }
  });

  it('a shared object stays one object in the copy, in its key order', () => {
    const shared = { label: 'x', labelId: 3, call: { n: 1 } };
    const copy = copyGraph({ a: shared, b: shared, c: [shared] });
    expect(copy.a).toBe(copy.b);
    expect(copy.c[0]).toBe(copy.a);
    expect(copy.a).not.toBe(shared);
    expect(Object.keys(copy.a)).toEqual(['label', 'labelId', 'call']);
    expect(copy.a.call).not.toBe(shared.call);
  });
});
