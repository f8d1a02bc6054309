/**
 * writeGraph → JSON.stringify → JSON.parse → readGraph, copyGraph, and packGraph → unpackGraph, over every kind of value the snapshot
 * format lists (src/persist/graph-format.ts): each comes back with the same values and shape, shared references
 * and cycles intact, transient fields rebuilt by revive (parts before owners), history fields out of the key.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { copyGraph, encodeGraph, graphKey, packGraph, readGraph, unpackGraph, writeGraph, type GraphSink } from '../../src/persist/graph.js';
import { codeStamp } from '../../src/persist/registry.js';
import { VBoxError, VERR_VM_INVALID_VM_STATE } from '../../src/status.js';
import { bound, DONE, expectIsomorphic, Owner, Part, revived, Sealed, twice } from './fixtures.js';

const userFn = (x: number): number => x + 1;
const users = { userFn } as Record<string, Function>;
const userName = (fn: Function): string | undefined => Object.keys(users).find((k) => users[k] === fn);
const userFunction = (name: string): Function | undefined => users[name];

const viaJson = <T>(root: T): T => readGraph<T>(JSON.parse(JSON.stringify(writeGraph(root, { userName }))), { userFunction });
const viaCopy = <T>(root: T): T => copyGraph(root, { userName });
const viaPack = <T>(root: T): T => unpackGraph<T>(packGraph(root, { userName }), { userFunction });

function holey(): unknown[] {
  const a = [1, , 3]; // eslint-disable-line no-sparse-arrays
  a.length = 5;
  return a;
}

function ownerWithParts(): Owner {
  const owner = new Owner('o');
  owner.seq = 7;
  owner.parts = [new Part('a', owner), new Part('b', owner)];
  owner.parts[0].cache = 'x';
  return owner;
}

/** Every kind of value (graph-format.ts), each as a root and inside a record. */
const KINDS: [string, () => unknown][] = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['booleans', () => [true, false]],
  ['string', () => 'snapshot ✓'],
  ['numbers', () => [0, 42, -1.5, Number.MAX_SAFE_INTEGER, 5e-324]],
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['-Infinity', () => -Infinity],
  ['-0', () => -0],
  ['bigint', () => [10n, -(2n ** 70n), 0n]],
  ['Buffer', () => Buffer.from('hello bytes')],
  ['Buffer slice of a pool', () => Buffer.from('abcdefgh').subarray(2, 5)],
  ['Uint8Array', () => new Uint8Array([0, 1, 255])],
  ['Int32Array', () => new Int32Array([-1, 2 ** 31 - 1])],
  ['Float64Array', () => new Float64Array([NaN, -0, 1.25])],
  ['ArrayBuffer', () => new Uint8Array([9, 8, 7]).buffer],
  ['array with holes', holey],
  ['empty array', () => []],
  ['Map with primitive and object keys', () => new Map<unknown, unknown>([['a', 1], [2, 'two'], [{ k: 1 }, [3]], [undefined, NaN]])],
  ['Set', () => new Set<unknown>([1, 'x', { y: 2 }, -0])],
  ['plain object', () => ({ a: 1, b: { c: [1, 2] }, d: undefined })],
  ['object with a __proto__ field', () => JSON.parse('{"__proto__": {"x": 1}, "y": 2}')],
  ['null-prototype object', () => Object.assign(Object.create(null), { a: 1, n: Object.assign(Object.create(null), { b: 2 }) })],
  ['frozen plain object', () => Object.freeze({ a: 1, inner: { mutable: true } })],
  ['frozen array', () => Object.freeze([1, 2])],
  ['registered class with transient and history fields', ownerWithParts],
  ['save/restore class', () => new Sealed({ deep: [1, new Sealed('inner')] })],
  ['code-table function', () => twice],
  ['bound code with a data argument', () => bound({ n: 1 })],
  ['named constant', () => DONE],
  ['user function', () => userFn],
  ['VBoxError', () => new VBoxError(VERR_VM_INVALID_VM_STATE, 'not now')],
];

describe('every value kind round-trips', () => {
  for (const [name, make] of KINDS) {
    for (const [how, trip] of [['JSON', viaJson], ['copyGraph', viaCopy], ['packGraph', viaPack]] as const) {
      it(`${name} through ${how}`, () => {
        const value = make();
        expectIsomorphic(value, trip(value), true);
        const inside = { value, again: value, list: [value] };
        const back = trip(inside);
        expectIsomorphic(inside, back, true);
      });
    }
  }

  it('bound code calls its restored arguments', () => {
    for (const trip of [viaJson, viaCopy, viaPack]) {
      const target = { n: 1 };
      const root = { target, add: bound(target) };
      const back = trip(root);
      back.add(5);
      expect([back.target.n, target.n]).toEqual([6, 1]);
    }
  });

  it('a VBoxError keeps its status, name, message and stack', () => {
    const e = new VBoxError(VERR_VM_INVALID_VM_STATE, 'not now');
    for (const trip of [viaJson, viaCopy, viaPack]) {
      const back = trip(e);
      expect(back).toBeInstanceOf(VBoxError);
      expect([back.rc, back.name, back.message, back.stack]).toEqual([e.rc, 'VERR_VM_INVALID_VM_STATE', 'not now', e.stack]);
    }
  });

  it('a save/restore class gets its hidden state back', () => {
    for (const trip of [viaJson, viaCopy, viaPack]) expect((trip(new Sealed([1, 2])).value as number[])[1]).toBe(2);
  });
});

describe('shared references and cycles', () => {
  const shapes: [string, () => object][] = [
    ['self cycle', () => { const o: Record<string, unknown> = { n: 1 }; o.self = o; return o; }],
    ['shared child', () => { const a = { x: [1] }; return { p: a, q: a, r: [a, a] }; }],
    ['cycle through a Map and a Set', () => { const o: Record<string, unknown> = {}; o.m = new Map([[o, new Set([o])]]); return o; }],
    ['cycle through classes', ownerWithParts],
    ['cycle through bound code', () => { const t: Record<string, unknown> = { n: 1 }; t.f = bound(t as { n: number }); return t; }],
  ];
  for (const [name, make] of shapes) {
    it(name, () => {
      const root = make();
      expectIsomorphic(root, viaJson(root), true);
      expectIsomorphic(root, viaCopy(root), true);
      expectIsomorphic(root, viaPack(root), true);
    });
  }
});

describe('revive', () => {
  beforeEach(() => {
    revived.length = 0;
  });

  for (const [how, trip] of [['readGraph', viaJson], ['copyGraph', viaCopy], ['unpackGraph', viaPack]] as const) {
    it(`${how}: parts revive before their owner, once each, after every object is filled`, () => {
      const back = trip(ownerWithParts());
      expect(revived).toEqual(['part b owner-filled=true', 'part a owner-filled=true', 'owner o parts-revived=true']);
      expect(back.parts.map((p) => p.cache)).toEqual(['cache:a', 'cache:b']);
      expect(typeof back.listener).toBe('function');
      expect(back.seq).toBe(7); // history is state: saved and restored
    });
  }
});

describe('determinism and the canonical walk', () => {
  it('writing the same graph twice, or a restored one, gives identical JSON', () => {
    const root = { owner: ownerWithParts(), kinds: KINDS.map(([, make]) => make()) };
    const once = JSON.stringify(writeGraph(root, { userName }));
    expect(JSON.stringify(writeGraph(root, { userName }))).toBe(once);
    expect(JSON.stringify(writeGraph(viaJson(root), { userName }))).toBe(once);
    expect(JSON.stringify(writeGraph(viaCopy(root), { userName }))).toBe(once);
  });

  it('objects are numbered in breadth-first discovery order', () => {
    const c = { c: 1 };
    const graph = writeGraph({ a: { deep: c }, b: c });
    expect(graph.root).toEqual(['ref', 0]);
    expect(graph.objects.map((e) => Object.keys(e.fields ?? {}))).toEqual([['a', 'b'], ['deep'], ['c']]);
  });

  /** A sink that spells the stream out (what a hasher would consume). */
  const keyOf = (root: unknown, skipHistory: boolean): string => {
    const parts: string[] = [];
    const sink: GraphSink = {
      begin: (id, kind, name, frozen) => parts.push(`#${id}:${kind}:${name ?? ''}:${frozen}`),
      key: (k) => parts.push(`.${k}`),
      value: (v) => parts.push(typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? '-0' : String(v)),
      ref: (id) => parts.push(`@${id}`),
      named: (tag, name) => parts.push(`${tag}:${name}`),
      hole: () => parts.push('hole'),
      bytes: (b) => parts.push(Buffer.from(b).toString('hex')),
      end: () => parts.push(';'),
    };
    encodeGraph(root, sink, { skipHistory });
    return parts.join(' ');
  };

  it('encodeGraph with skipHistory leaves history and transient fields out of the stream', () => {
    const a = ownerWithParts();
    const b = ownerWithParts();
    b.seq = 99;
    b.listener = () => 'another closure';
    expect(keyOf(a, true)).toBe(keyOf(b, true));
    expect(keyOf(a, false)).not.toBe(keyOf(b, false));
    expect(keyOf(a, true)).not.toContain('.seq');
    expect(keyOf(a, true)).not.toContain('.listener');
    b.parts[1].name = 'c';
    expect(keyOf(a, true)).not.toBe(keyOf(b, true));
  });
});

describe('graphKey', () => {
  it('is equal for graphs that differ only in history and transient fields, or in object identity', () => {
    const a = ownerWithParts();
    const b = ownerWithParts();
    b.seq = 1;
    b.listener = undefined;
    expect(graphKey(a)).toBe(graphKey(b));
    expect(graphKey(a)).toBe(graphKey(viaCopy(a)));
    expect(graphKey(a, { skipHistory: false })).not.toBe(graphKey(b, { skipHistory: false }));
  });

  const differ: [string, unknown, unknown][] = [
    ['string vs number', { a: '1' }, { a: 1 }],
    ['0 vs -0', { a: 0 }, { a: -0 }],
    ['NaN vs the string', [NaN], ['NaN']],
    ['bigint vs number', [1n], [1]],
    ['null vs undefined', [null], [undefined]],
    ['hole vs undefined', holey(), [1, undefined, 3, undefined, undefined]],
    ['strings that would run together', ['ab', 'c'], ['a', 'bc']],
    ['a shared child vs two equal children', (() => { const c = { n: 1 }; return [c, c]; })(), [{ n: 1 }, { n: 1 }]],
    ['field names', { ab: 1 }, { a: 1 }],
    ['frozen vs not', Object.freeze({ a: 1 }), { a: 1 }],
    ['Map vs object', new Map([['a', 1]]), { a: 1 }],
    ['bytes', Buffer.from([1]), Buffer.from([2])],
    ['a part name (state, not history)', ownerWithParts(), (() => { const o = ownerWithParts(); o.parts[0].name = 'z'; return o; })()],
  ];
  for (const [name, x, y] of differ) it(`tells apart: ${name}`, () => expect(graphKey(x)).not.toBe(graphKey(y)));
});

describe('copyGraph of instances whose fields are not their class\'s usual ones', () => {
  it('keeps an added field, leaves a deleted one out, in either order of meeting', () => {
    const usual = new Part('usual');
    const added = Object.assign(new Part('added'), { extra: { n: 1 } });
    const deleted = new Part('deleted');
    delete (deleted as Partial<Part>).owner;
    const reordered = new Part('reordered');
    delete (reordered as Partial<Part>).cache;
    reordered.cache = 'late';
    for (const root of [[usual, added, deleted, reordered], [added, deleted, reordered, usual]]) {
      const copy = viaCopy(root);
      expectIsomorphic(root, copy, true);
      expect(copy.map((p) => Object.keys(p))).toEqual(root.map((p) => Object.keys(p)));
    }
  });
});

describe('copyGraph shares what is immutable', () => {
  it('deeply frozen objects, constants, unbound code and user functions are shared; mutable ones copied', () => {
    const frozen = Object.freeze({ a: Object.freeze([1, 2]) });
    const shallow = Object.freeze({ inner: { n: 1 } });
    const root = { frozen, shallow, DONE, twice, userFn, immutableBound: bound(frozen as never) };
    const copy = viaCopy(root);
    // Shared means the same object (toBe), not an equal copy.
    for (const key of ['frozen', 'DONE', 'twice', 'userFn', 'immutableBound'] as const) expect(copy[key], key).toBe(root[key]);
    expect(copy.shallow).not.toBe(shallow);
    expect(copy.shallow.inner).not.toBe(shallow.inner);
    expect(Object.isFrozen(copy.shallow)).toBe(true);
    expect(codeStamp(copy.immutableBound)?.name).toBe('test.graph.addTo');
  });
});
