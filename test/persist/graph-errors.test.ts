/**
 * What writeGraph, copyGraph and readGraph refuse, with which VirtualBox status, and that a refused read leaves
 * nothing behind: no revive ran, no object escaped.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { copyGraph, packGraph, readGraph, writeGraph, GRAPH_FORMAT, type PersistedGraph } from '../../src/persist/graph.js';
import { VERR_INVALID_PARAMETER, VERR_NOT_FOUND, VERR_NOT_SUPPORTED, VERR_VERSION_MISMATCH } from '../../src/status.js';
import { bound, DONE, Owner, Part, revived, twice, thrown, Unregistered } from './fixtures.js';

describe('writing and copying refuse what is not data, naming its path', () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ['a closure in a field', () => ({ a: { b: () => 1 } }), '.a.b', /closure/],
    ['a closure in an array', () => ({ list: [1, function named() {}] }), '.list[1]', /closure \(named\)/],
    ['a closure as a Map value', () => ({ m: new Map([['k', () => 0]]) }), '.m[k]', /closure/],
    ['a closure bound as a code argument', () => ({ f: bound((() => 0) as never) }), '.f<0>', /closure/],
    ['an unregistered class', () => ({ x: [new Unregistered()] }), '.x[0]', /unregistered class Unregistered/],
    ['an unregistered class inside a registered one', () => { const o = new Owner('o'); (o.parts as unknown[]).push(new Unregistered()); return o; }, '.parts[0]', /Unregistered/],
    ['a symbol', () => ({ s: Symbol('s') }), '.s', /symbol/],
    ['a Promise', () => ({ p: Promise.resolve() }), '.p', /unregistered class Promise/],
    ['a WeakMap', () => ({ w: new WeakMap() }), '.w', /unregistered class WeakMap/],
  ];
  for (const [name, make, path, what] of cases) {
    for (const [how, act] of [['writeGraph', (v: unknown) => writeGraph(v)], ['copyGraph', (v: unknown) => copyGraph(v)], ['packGraph', (v: unknown) => packGraph(v)]] as const) {
      it(`${how}: ${name}`, () => {
        const e = thrown(() => act(make()));
        expect(e.rc).toBe(VERR_NOT_SUPPORTED);
        expect(e.message).toMatch(what);
        expect(e.message.endsWith(`at ${path}`), e.message).toBe(true);
      });
    }
  }

  it('a transient closure is not refused; a user function is named by userName only', () => {
    expect(() => writeGraph(new Owner('o'))).not.toThrow();
    const mine = (): number => 1;
    expect(thrown(() => writeGraph({ mine })).rc).toBe(VERR_NOT_SUPPORTED);
    expect(writeGraph({ mine }, { userName: (fn) => (fn === mine ? 'mine' : undefined) }).objects[0].fields).toEqual({ mine: ['user', 'mine'] });
  });
});

describe('reading refuses a wrong or broken snapshot and creates nothing', () => {
  beforeEach(() => {
    revived.length = 0;
  });

  /** A graph of an owner with parts (revives would run) and the case's damage at the end of the table. */
  const graphWith = (damage: (g: { objects: unknown[] } & Record<string, unknown>) => void): unknown => {
    const owner = new Owner('o');
    owner.parts = [new Part('a', owner)];
    const g = JSON.parse(JSON.stringify(writeGraph({ owner, twice, DONE, f: bound({ n: 1 }), u: 'user' }))) as { objects: unknown[] } & Record<string, unknown>;
    damage(g);
    return g;
  };
  const rootFields = (g: { objects: unknown[] }): Record<string, unknown> => (g.objects[0] as { fields: Record<string, unknown> }).fields;

  const cases: [string, (g: { objects: unknown[] } & Record<string, unknown>) => void, number, RegExp][] = [
    ['another version', (g) => (g.version = 2), VERR_VERSION_MISMATCH, /version 2/],
    ['another format', (g) => (g.format = 'something/else'), VERR_VERSION_MISMATCH, /something\/else/],
    ['an unknown class', (g) => g.objects.push({ kind: 'class', name: 'test.graph.Nope', fields: {} }), VERR_NOT_FOUND, /class 'test.graph.Nope'/],
    ['an unknown bound code name', (g) => g.objects.push({ kind: 'code', name: 'test.graph.nope', items: [] }), VERR_NOT_FOUND, /code 'test.graph.nope'/],
    ['an unknown code name', (g) => (rootFields(g).twice = ['code', 'test.graph.gone']), VERR_NOT_FOUND, /code 'test.graph.gone'/],
    ['an unknown constant', (g) => (rootFields(g).DONE = ['constant', 'test.graph.NOPE']), VERR_NOT_FOUND, /constant 'test.graph.NOPE'/],
    ['a user function the table lacks', (g) => (rootFields(g).u = ['user', 'missing']), VERR_NOT_FOUND, /function 'missing'/],
    ['an unknown byte type', (g) => g.objects.push({ kind: 'bytes', name: 'DataView', data: '' }), VERR_NOT_FOUND, /byte type/],
    ['a dangling ref', (g) => (rootFields(g).u = ['ref', 999]), VERR_INVALID_PARAMETER, /refers to object 999/],
    ['an unknown value tag', (g) => (rootFields(g).u = ['eval', 'x']), VERR_INVALID_PARAMETER, /tag 'eval'/],
    ['a non-entry', (g) => g.objects.push(42), VERR_INVALID_PARAMETER, /not an entry/],
    ['an unknown kind', (g) => g.objects.push({ kind: 'proxy' }), VERR_INVALID_PARAMETER, /unknown kind 'proxy'/],
    ['a map with an odd item count', (g) => g.objects.push({ kind: 'map', items: [1] }), VERR_INVALID_PARAMETER, /odd/],
    ['a class without fields', (g) => g.objects.push({ kind: 'class', name: 'test.graph.Part' }), VERR_INVALID_PARAMETER, /no fields/],
    ['misaligned typed array bytes', (g) => g.objects.push({ kind: 'bytes', name: 'Int32Array', data: 'AAA=' }), VERR_INVALID_PARAMETER, /2 bytes/],
    ['a save/restore class written as fields', (g) => g.objects.push({ kind: 'class', name: 'test.graph.Sealed', fields: {} }), VERR_INVALID_PARAMETER, /saves its state as data/],
    ['a restore that throws on bad data', (g) => g.objects.push({ kind: 'saved', name: 'test.graph.Sealed', data: null }), VERR_INVALID_PARAMETER, /restoring test.graph.Sealed .* failed/],
    ['objects not an array', (g) => (g.objects = {} as never), VERR_INVALID_PARAMETER, /objects/],
  ];
  const users = (name: string): Function | undefined => (name === 'user' ? () => 0 : undefined);
  for (const [name, damage, rc, what] of cases) {
    it(name, () => {
      const e = thrown(() => readGraph(graphWith(damage), { userFunction: users }));
      expect([e.rc, e.message]).toEqual([rc, expect.stringMatching(what)]);
      expect(revived).toEqual([]);
    });
  }

  it('the undamaged graph reads (so each case above fails for its damage alone)', () => {
    const u = graphWith((g) => (rootFields(g).u = ['user', 'user']));
    expect((readGraph(u, { userFunction: users }) as { owner: Owner }).owner.parts[0].owner?.label).toBe('o');
    expect(revived).toHaveLength(2);
  });


  it('not a graph at all', () => {
    for (const bad of [null, 'x', 42, [], {}, { format: GRAPH_FORMAT }] as unknown[]) expect(thrown(() => readGraph(bad as PersistedGraph)).rc).toBe(VERR_VERSION_MISMATCH);
  });
});
