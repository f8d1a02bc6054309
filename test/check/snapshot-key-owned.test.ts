/**
 * The snapshot key walk (key-walk.ts) against the snapshot writer's own walk (graphKey, src/persist/graph-key.ts)
 * on small graphs: objects in `owned` fields and the items of `ownedItems` arrays (ClassSpec, the copier's
 * declarations) numbered without an identity-table entry, and `unordered` collections of none to three items,
 * numbered or not. Two graphs get one fused key exactly when they get one writer's key; and an owned declaration
 * is trusted as the copier trusts it (a wrong one merges an alias with a copy).
 */
import { describe, expect, it } from 'vitest';
import { KeyWriter } from '../../src/check/key-writer.js';
import { encodeSnapshot } from '../../src/check/snapshot-key.js';
import { graphKey } from '../../src/persist/graph-key.js';
import { persistable } from '../../src/persist/registry.js';

function fastKey(root: object): string {
  const key = new KeyWriter();
  encodeSnapshot(root, key, 0);
  key.hash();
  return `${key.hi}:${key.lo}`;
}

/** Every pair of graphs: one fused key exactly when one writer's key. */
function samePartition(graphs: [string, object][]): void {
  for (const [na, a] of graphs) {
    for (const [nb, b] of graphs) {
      expect(fastKey(a) === fastKey(b), `${na} / ${nb}`).toBe(graphKey(a, { now: 0 }) === graphKey(b, { now: 0 }));
    }
  }
}

class Item {
  constructor(public n = 0) {}
}
class Bag {
  /** Items numbered before the collection is walked (the collection is walked last). */
  all: Item[] = [];
  items: Map<unknown, unknown> | Set<unknown> | unknown[] = [];
}
persistable('SnapshotKeyOwnedTest.Item', Item);
persistable('SnapshotKeyOwnedTest.Bag', Bag, { unordered: ['items'] });

type Kind = 'map' | 'set' | 'array';
/** A bag whose `items` holds `keys` in that order (as map keys with value `v`, a set, or an array). */
function bag(kind: Kind, keys: unknown[], v = 1): Bag {
  const b = new Bag();
  b.items = kind === 'map' ? new Map(keys.map((k) => [k, v])) : kind === 'set' ? new Set(keys) : [...keys];
  return b;
}

describe('unordered collections', () => {
  it.each(['map', 'set', 'array'] as Kind[])('a %s: insertion order left out, content kept, as the writer does', (kind) => {
    const graphs: [string, object][] = [];
    for (const size of [0, 1, 2, 3]) {
      // Items numbered before (in `all`): ranks by number.
      const numbered = (order: number[], ns = [1, 2, 3]) => {
        const b = bag(kind, []);
        b.all = ns.slice(0, size).map((n) => new Item(n));
        const keys = order.filter((i) => i < size).map((i) => b.all[i]);
        b.items = bag(kind, keys).items;
        return b;
      };
      graphs.push([`${size} numbered`, numbered([0, 1, 2])], [`${size} numbered reversed`, numbered([2, 1, 0])]);
      graphs.push([`${size} numbered, other items`, numbered([0, 1, 2], [4, 5, 6])]);
      // Items met first in the collection, strings, a mix: the ranked path.
      const fresh = [new Item(7), new Item(8), new Item(9)].slice(0, size);
      graphs.push([`${size} fresh`, bag(kind, fresh)], [`${size} strings`, bag(kind, ['a', 'b', 'c'].slice(0, size))]);
      graphs.push([`${size} strings reversed`, bag(kind, ['a', 'b', 'c'].slice(0, size).reverse())]);
      if (kind === 'map') graphs.push([`${size} numbered, other values`, Object.assign(numbered([0, 1, 2]), { items: new Map([...(numbered([0, 1, 2]).items as Map<unknown, unknown>)].map(([k]) => [k, 2])) })]);
    }
    samePartition(graphs);
    expect(fastKey(graphs[0]![1])).not.toBe(fastKey(graphs.find(([n]) => n === '1 numbered')![1]));
  });

  it('an array holding one object twice sorts as the writer sorts it', () => {
    const twice = (order: number[]) => {
      const b = bag('array', []);
      b.all = [new Item(1), new Item(2)];
      b.items = order.map((i) => b.all[i]);
      return b;
    };
    samePartition([
      ['0 0 1', twice([0, 0, 1])],
      ['1 0 0', twice([1, 0, 0])],
      ['0 1 1', twice([0, 1, 1])],
    ]);
  });
});

class Box {
  v = 0;
  constructor(public tag = 0) {}
}
class Holder {
  box: Box | object | null = null;
  alias: Box | object | null = null;
}
persistable('SnapshotKeyOwnedTest.Box', Box);
persistable('SnapshotKeyOwnedTest.Holder', Holder, { owned: ['box'] });

const holder = (box: Holder['box'], alias: Holder['alias'] = null): Holder => Object.assign(new Holder(), { box, alias });

class Table {
  rows: unknown[] = [];
  alias: unknown = null;
}
persistable('SnapshotKeyOwnedTest.Table', Table, { ownedItems: ['rows'] });
const table = (rows: unknown[], alias: unknown = null): Table => Object.assign(new Table(), { rows, alias });

describe('owned fields', () => {
  it('number their object without a table entry and key as the writer does where the declaration holds', () => {
    const shared = Object.freeze({ a: 1 });
    const selfRef = () => {
      const h = holder(null);
      h.box = { up: h }; // (the box refers to its holder, which is in the table)
      return h;
    };
    samePartition([
      ['box 1', holder(new Box(1))],
      ['box 1 again', holder(new Box(1))],
      ['box 2', holder(new Box(2))],
      ['plain box', holder({ tag: 1, v: 0 })],
      ['array box', holder([new Box(1)] as unknown as object)],
      ['frozen box', holder(shared)],
      ['frozen box, frozen alias', holder(shared, shared)],
      ['null box', holder(null)],
      ['box referring up', selfRef()],
      ['box and another', holder(new Box(1), new Box(1))],
    ]);
  });

  it('with owned items, key as the writer does where the declaration holds', () => {
    const shared = Object.freeze({ a: 1 });
    const holes: unknown[] = [new Box(1)];
    holes.length = 3;
    samePartition([
      ['rows 1 2', table([new Box(1), new Box(2)])],
      ['rows 1 2 again', table([new Box(1), new Box(2)])],
      ['rows 2 1', table([new Box(2), new Box(1)])],
      ['rows 1 null', table([new Box(1), null])],
      ['rows 1, holes', table(holes)],
      ['rows 1, 7', table([new Box(1), 7])],
      ['rows frozen frozen', table([shared, shared])],
      ['rows frozen, frozen alias', table([shared], shared)],
      ['no rows', table([])],
    ]);
  });

  it('trust the declaration as the copier does: an object also held elsewhere is written twice', () => {
    const box = new Box(1);
    const aliased = holder(box, box);
    const copied = holder(new Box(1), new Box(1));
    expect(graphKey(aliased, { now: 0 })).not.toBe(graphKey(copied, { now: 0 }));
    expect(fastKey(aliased)).toBe(fastKey(copied));
    const row = new Box(1);
    expect(graphKey(table([row], row), { now: 0 })).not.toBe(graphKey(table([new Box(1)], new Box(1)), { now: 0 }));
    expect(fastKey(table([row], row))).toBe(fastKey(table([new Box(1)], new Box(1))));
  });
});
