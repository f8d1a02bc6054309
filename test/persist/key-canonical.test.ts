/**
 * The state key's canonical walk (ClassSpec `unordered`, `times`, `keyFields`, `keySave`): two graphs that differ
 * only in the order of an unordered collection, in absolute time or in the ids a table hands out have one key;
 * anything else still parts them, and a snapshot (writeGraph) keeps what the key leaves out.
 */
import { describe, expect, it } from 'vitest';
import { encodeGraph, graphKey, writeGraph, type GraphSink } from '../../src/persist/graph.js';
import { defineCode, persistable } from '../../src/persist/registry.js';

class KeyActor {
  constructor(readonly name: string) {}
}
persistable('KeyTestActor', KeyActor);

/** A ready list in registration order, a name table filled in call order, a deadline and a table of functions by id. */
class KeySched {
  readonly ready: KeyActor[] = [];
  readonly names = new Map<KeyActor, string>();
  readonly tags = new Set<number>();
  readonly fns = new Map<number, () => number>();
  next = 0;
  callbackId = 0;
  dueNs = 0;
  now = 0;
  constructor(readonly actors: KeyActor[]) {}
}
persistable('KeyTestSched', KeySched, {
  unordered: ['ready', 'names', 'tags'],
  times: ['dueNs', 'now'],
  history: ['next', 'fns'],
  keyFields: { callbackId: (s, id: number) => s.fns.get(id) },
});

const one = defineCode('test.key.one', () => 1);
const two = defineCode('test.key.two', () => 2);

/** A world: actors a, b, c (numbered by the `actors` field first), with `build` filling the rest. */
function world(build: (s: KeySched, [a, b, c]: KeyActor[]) => void): KeySched {
  const actors = ['a', 'b', 'c'].map((n) => new KeyActor(n));
  const s = new KeySched(actors);
  build(s, actors);
  return s;
}

const key = (root: KeySched): string => {
  const parts: string[] = [];
  const sink: GraphSink = {
    begin: (id, kind, name) => parts.push(`{${kind}:${name ?? ''}`),
    key: (k) => parts.push(`.${k}`),
    value: (v) => parts.push(String(v)),
    ref: (id) => parts.push(`@${id}`),
    named: (tag, name) => parts.push(`${tag}:${name}`),
    hole: () => parts.push('_'),
    bytes: () => parts.push('bytes'),
    end: () => parts.push('}'),
  };
  encodeGraph(root, sink, { skipHistory: true, now: root.now });
  return parts.join(' ');
};

const addFn = (s: KeySched, fn: () => number): number => {
  const id = ++s.next;
  s.fns.set(id, fn);
  return id;
};

describe('state key: order, time and ids that decide nothing', () => {
  const same: [string, (s: KeySched, x: KeyActor[]) => void, (s: KeySched, x: KeyActor[]) => void][] = [
    ['ready list order', (s, [a, b]) => s.ready.push(a!, b!), (s, [a, b]) => s.ready.push(b!, a!)],
    ['Map insertion order', (s, [a, c]) => (s.names.set(a!, 'x'), s.names.set(c!, 'y')), (s, [a, c]) => (s.names.set(c!, 'y'), s.names.set(a!, 'x'))],
    ['Set of numbers insertion order', (s) => (s.tags.add(2), s.tags.add(10)), (s) => (s.tags.add(10), s.tags.add(2))],
    ['absolute time, same distance', (s) => ((s.now = 100), (s.dueNs = 150)), (s) => ((s.now = 900), (s.dueNs = 950))],
    ['function ids that grew differently', (s) => (s.callbackId = addFn(s, one)), (s) => (addFn(s, two), s.fns.clear(), (s.callbackId = addFn(s, one)))],
  ];
  it.each(same)('%s: one key', (_, fa, fb) => {
    const a = world(fa);
    const b = world(fb);
    expect(key(a)).toBe(key(b));
    // A snapshot keeps what the key leaves out: order, absolute time, ids.
    expect(JSON.stringify(writeGraph(a))).not.toBe(JSON.stringify(writeGraph(b)));
  });

  const differ: [string, (s: KeySched, x: KeyActor[]) => void, (s: KeySched, x: KeyActor[]) => void][] = [
    ['another actor ready', (s, [a, b]) => s.ready.push(a!, b!), (s, [a, , c]) => s.ready.push(a!, c!)],
    ['a name on another actor', (s, [a]) => s.names.set(a!, 'x'), (s, [, b]) => s.names.set(b!, 'x')],
    ['another tag', (s) => s.tags.add(2), (s) => s.tags.add(3)],
    ['another distance to the deadline', (s) => ((s.now = 100), (s.dueNs = 150)), (s) => ((s.now = 100), (s.dueNs = 160))],
    ['another function', (s) => (s.callbackId = addFn(s, one)), (s) => (s.callbackId = addFn(s, two))],
  ];
  it.each(differ)('%s: two keys', (_, fa, fb) => {
    expect(key(world(fa))).not.toBe(key(world(fb)));
  });

  it('an unordered collection of objects reached only through it still gets one key per content', () => {
    // Items numbered by nothing else: sorted as met (a lost merge, never a wrong one).
    const a = world((s) => s.ready.push(new KeyActor('p')));
    const b = world((s) => s.ready.push(new KeyActor('q')));
    expect(key(a)).not.toBe(key(b));
    expect(graphKey(a)).toBe(graphKey(world((s) => s.ready.push(new KeyActor('p')))));
  });
});
