/**
 * The copier's identity table (graph-copy.ts: an object met again gets the copy made the first time) over the
 * sequences the checker runs and the ones that could trip a table kept or reused between copies: chains of copies
 * of copies (registered classes' compiled Shells as sources), an object reachable from two roots, a copy refused
 * half-way and the good copy after it, roots alternating, and a copy made from a copy hook of another copy over
 * the same objects. Each copy must be exact (same sharing and cycles, `expectIsomorphic`) and share no object with
 * its source or with any earlier copy.
 */
import { describe, expect, it } from 'vitest';
import { copyGraph } from '../../src/persist/graph.js';
import { persistable } from '../../src/persist/registry.js';
import { expectIsomorphic } from './fixtures.js';

class Node {
  constructor(
    public tag: string,
    public peer: Node | null = null,
    public list: unknown[] = [],
  ) {}
}
persistable('test:IdentityNode', Node);

/** Copies `inner` with a whole copy of its own while the outer copy runs (the same objects as the outer one). */
class Nested {
  own: unknown = null;
  constructor(public inner: unknown) {}
}
persistable('test:IdentityNested', Nested, {
  copy: (from, into, clone) => {
    into.own = copyGraph(from.inner);
    into.inner = clone(from.inner);
  },
});

/** A world of registered instances met more than once: a cycle, an instance shared by three referrers. */
function world(tag: string): { nodes: Node[]; hub: Node; extra: unknown } {
  const hub = new Node(`${tag}:hub`);
  const nodes = [0, 1, 2, 3].map((i) => new Node(`${tag}:${i}`, hub, [hub, { i }]));
  hub.peer = nodes[0]!; // a cycle through the hub
  hub.list = nodes;
  return { nodes, hub, extra: null };
}

/** Every object reachable from `root` (own enumerable fields, Map/Set members). */
function objectsOf(root: unknown): Set<object> {
  const seen = new Set<object>();
  const queue = [root];
  while (queue.length) {
    const v = queue.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Map) v.forEach((x, k) => queue.push(k, x));
    else if (v instanceof Set) v.forEach((x) => queue.push(x));
    else queue.push(...Object.values(v));
  }
  return seen;
}

/** Each sequence copies and hands each (source, copy) to `check` at once (before it changes the source again). */
type Check = <T>(src: T, copy: T) => T;

const sequences: [string, (check: Check) => void][] = [
  ['a chain: a world, its copy, the copy of that', (check) => {
    let src: unknown = world('chain');
    for (let i = 0; i < 4; i++) src = check(src, copyGraph(src));
  }],
  ['one instance reachable from two roots, each copied, then both in one root', (check) => {
    const a = world('a');
    const b = world('b');
    b.extra = a.hub; // a's hub is b's too
    check(a, copyGraph(a));
    check(b, copyGraph(b));
    const both = { a, b };
    check(both, copyGraph(both));
  }],
  ['a copy of a copy refused half-way, then the good copy of it', (check) => {
    const w = world('refused');
    const first = check(w, copyGraph(w));
    first.nodes[2]!.list.push(() => 0); // a closure met after several instances had table entries
    expect(() => copyGraph(first)).toThrow(/closure/);
    first.nodes[2]!.list.pop();
    check(first, copyGraph(first));
  }],
  ['one world copied, changed, copied again (a step between copies of one root)', (check) => {
    const w = world('stepped');
    const first = check(w, copyGraph(w));
    w.nodes.reverse(); // met in another order
    w.nodes[1] = new Node('new', w.hub); // one replaced
    w.hub.peer = w.nodes[3]!;
    check(w, copyGraph(w));
    w.extra = first.hub; // an object of the first copy: copied, not handed out as itself
    check(w, copyGraph(w));
  }],
  ['roots alternating: A, B, A, a copy of A, A', (check) => {
    const a = world('A');
    const b = world('B');
    const ca = check(a, copyGraph(a));
    check(b, copyGraph(b));
    check(a, copyGraph(a));
    check(ca, copyGraph(ca));
    check(a, copyGraph(a));
  }],
  ['a copy hook copying the same instances while the outer copy runs', (check) => {
    const w = world('nested');
    const root = { w, nested: new Nested(w), after: w.hub };
    const copy = copyGraph(root);
    expect(copy.nested.inner).toBe(copy.w); // the outer copy's sharing survives the inner copy
    expect(copy.after).toBe(copy.w.hub);
    check(w, copy.w);
    check(w, copy.nested.own as typeof w); // the inner copy shares nothing with the outer
  }],
];

describe('the identity table over sequences of copies', () => {
  it.each(sequences)('%s', (_, run) => {
    const earlier = new Set<object>();
    run((src, copy) => {
      expectIsomorphic(src, copy, true);
      const fresh = objectsOf(copy);
      const source = objectsOf(src);
      expect([...fresh].filter((o) => earlier.has(o) || source.has(o))).toEqual([]);
      for (const o of fresh) earlier.add(o);
      return copy;
    });
  });
});
