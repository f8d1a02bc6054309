/**
 * What unpackGraph refuses (the binary snapshot format, src/persist/graph-pack.ts), with readGraph's statuses
 * and messages, and that a refused read leaves nothing behind (no revive ran). Damage is done to the bytes of
 * a packed graph: a name changed in place (same length), a version byte, bytes cut or added.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { packGraph, readGraph, unpackGraph, writeGraph } from '../../src/persist/graph.js';
import { persistable } from '../../src/persist/registry.js';
import { VERR_INVALID_PARAMETER, VERR_NOT_FOUND, VERR_VERSION_MISMATCH } from '../../src/status.js';
import { bound, DONE, Owner, Part, revived, thrown, twice } from './fixtures.js';

const userFn = (): number => 0;
const users = (name: string): Function | undefined => (name === 'user' ? userFn : undefined);
const userName = (fn: Function): string | undefined => (fn === userFn ? 'user' : undefined);

/** An owner with parts (revives would run), code, a constant, bound code and a user function. */
function packed(): Uint8Array {
  const owner = new Owner('o');
  owner.parts = [new Part('a', owner)];
  return packGraph({ owner, twice, DONE, f: bound({ n: 1 }), u: userFn }, { userName });
}

/** The bytes with the first occurrence of `from` replaced by `to` (same length). */
function renamed(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const at = Buffer.from(bytes).indexOf(from);
  expect(at, `'${from}' in the packed bytes`).toBeGreaterThanOrEqual(0);
  const copy = new Uint8Array(bytes);
  copy.set(Buffer.from(to), at);
  return copy;
}

describe('unpackGraph refuses a wrong or broken snapshot and creates nothing', () => {
  beforeEach(() => {
    revived.length = 0;
  });

  const cases: [string, (b: Uint8Array) => Uint8Array, number, RegExp][] = [
    ['another version', (b) => Object.assign(new Uint8Array(b), { 4: 2 }), VERR_VERSION_MISMATCH, /version 2/],
    ['not a packed graph', () => new TextEncoder().encode('{"format":"vmm-actors/graph"}'), VERR_VERSION_MISMATCH, /not a packed graph/],
    ['nothing', () => new Uint8Array(0), VERR_VERSION_MISMATCH, /0 bytes/],
    ['an unknown class', (b) => renamed(b, 'test.graph.Owner', 'test.graph.Ownex'), VERR_NOT_FOUND, /class 'test.graph.Ownex'/],
    ['an unknown bound code name', (b) => renamed(b, 'test.graph.addTo', 'test.graph.addTx'), VERR_NOT_FOUND, /code 'test.graph.addTx'/],
    ['an unknown code name', (b) => renamed(b, 'test.graph.twice', 'test.graph.twicx'), VERR_NOT_FOUND, /code 'test.graph.twicx'/],
    ['an unknown constant', (b) => renamed(b, 'test.graph.DONE', 'test.graph.DONX'), VERR_NOT_FOUND, /constant 'test.graph.DONX'/],
    ['a user function the table lacks', (b) => renamed(b, 'user', 'usex'), VERR_NOT_FOUND, /function 'usex'/],
    ['bytes cut short', (b) => b.subarray(0, b.length - 3), VERR_INVALID_PARAMETER, /ends/],
    ['a byte too many', (b) => Uint8Array.from([...b, 0]), VERR_INVALID_PARAMETER, /1 bytes after the last object/],
  ];
  for (const [name, damage, rc, what] of cases) {
    it(name, () => {
      const e = thrown(() => unpackGraph(damage(packed()), { userFunction: users }));
      expect([e.rc, e.message]).toEqual([rc, expect.stringMatching(what)]);
      expect(revived).toEqual([]);
    });
  }

  it('the undamaged bytes read (so each case above fails for its damage alone), as readGraph reads the JSON', () => {
    const back = unpackGraph<{ owner: Owner }>(packed(), { userFunction: users });
    expect(back.owner.parts[0]!.owner).toBe(back.owner);
    expect(revived).toHaveLength(2);
    const owner = new Owner('o');
    owner.parts = [new Part('a', owner)];
    const root = { owner, twice, DONE, f: bound({ n: 1 }), u: userFn };
    expect(writeGraph(unpackGraph(packGraph(root, { userName }), { userFunction: users }), { userName })).toEqual(
      writeGraph(readGraph(JSON.parse(JSON.stringify(writeGraph(root, { userName }))), { userFunction: users }), { userName }),
    );
  });

  const calls: unknown[] = [];
  class Trapped {
    n = 1;
    set trap(value: unknown) {
      calls.push(value);
    }
  }
  persistable('test.pack.Trapped', Trapped);
  it.each([
    ['packed', (t: object) => unpackGraph(packGraph(t))],
    ['JSON', (t: object) => readGraph(JSON.parse(JSON.stringify(writeGraph(t))))],
  ] as const)("%s: a field named like a prototype's setter is defined as data; the setter does not run", (_, trip) => {
    calls.length = 0;
    const t = new Trapped();
    Object.defineProperty(t, 'trap', { value: 'x', writable: true, enumerable: true, configurable: true });
    const back = trip(t) as Trapped & { trap: unknown };
    expect([calls, back.n, Object.getOwnPropertyDescriptor(back, 'trap')?.value]).toEqual([[], 1, 'x']);
  });
});
