/**
 * Synthetic persistable classes for the graph tests, and `expectIsomorphic`: two graphs have the same shape and
 * values (Object.is on primitives, same prototypes, frozenness, Map/Set order, byte types and contents, code
 * names and arguments), and every mutable object of one is a different object in the other.
 */
import { expect } from 'vitest';
import { bindCode, codeStamp, constantName, defineCode, defineConstant, persistable } from '../../src/persist/registry.js';
import { VBoxError } from '../../src/status.js';

/** Every revive in call order (tests clear it). */
export const revived: string[] = [];

export class Part {
  cache: string | undefined = undefined;
  constructor(
    public name: string,
    public owner: Owner | undefined = undefined,
  ) {}
}
persistable('test.graph.Part', Part, {
  transient: ['cache'],
  revive: (p) => {
    revived.push(`part ${p.name} owner-filled=${p.owner?.parts !== undefined}`);
    p.cache = `cache:${p.name}`;
  },
});

export class Owner {
  listener: (() => void) | undefined = () => undefined;
  seq = 0;
  parts: Part[] = [];
  constructor(public label: string) {}
}
persistable('test.graph.Owner', Owner, {
  transient: ['listener'],
  history: ['seq'],
  revive: (o) => {
    revived.push(`owner ${o.label} parts-revived=${o.parts.every((p) => p.cache !== undefined)}`);
    o.listener = () => undefined;
  },
});

/** A class whose state is not its own enumerable fields: save/restore. */
export class Sealed {
  declare readonly value: unknown;
  constructor(value: unknown) {
    Sealed.set(this, value);
  }
  static set(s: Sealed, value: unknown): void {
    Object.defineProperty(s, 'value', { value, enumerable: false, configurable: true });
  }
}
persistable('test.graph.Sealed', Sealed, { save: (s) => ({ value: s.value }), restore: (s, data: { value: unknown }) => Sealed.set(s, data.value) });

export class Unregistered {
  x = 1;
}

export const addTo = defineCode('test.graph.addTo', (target: { n: number }, k: number) => (target.n += k));
export const twice = defineCode('test.graph.twice', (x: number) => 2 * x);
export const DONE = defineConstant('test.graph.DONE', Object.freeze({ type: 'DONE' }));
export const bound = (target: { n: number }) => bindCode(addTo, target);

/** Same values and shape; `fresh`: every mutable object (not shared/immutable) of `b` is new. */
export function expectIsomorphic(a: unknown, b: unknown, fresh: boolean, path = 'root', pairs = new Map<unknown, unknown>()): void {
  if (typeof a !== 'object' && typeof a !== 'function') return void expect(Object.is(a, b), `${path}: ${String(a)} vs ${String(b)}`).toBe(true);
  if (a === null) return void expect(b, path).toBe(null);
  if (pairs.has(a)) return void expect(pairs.get(a) === b, `${path}: a shared reference or cycle is broken`).toBe(true);
  pairs.set(a, b);
  expect(typeof b, path).toBe(typeof a);
  if (typeof a === 'function') {
    const sa = codeStamp(a);
    const sb = codeStamp(b);
    if (!sa) return void expect(b, `${path}: user function`).toBe(a);
    expect(sb?.name, path).toBe(sa.name);
    expect(sb?.args?.length, path).toBe(sa.args?.length);
    sa.args?.forEach((x, i) => expectIsomorphic(x, sb!.args![i], fresh, `${path}<${i}>`, pairs));
    return;
  }
  const ao = a as object;
  const bo = b as object;
  expect(Object.getPrototypeOf(bo), `${path}: prototype`).toBe(Object.getPrototypeOf(ao));
  expect(Object.isFrozen(bo), `${path}: frozen`).toBe(Object.isFrozen(ao));
  if (constantName(ao) !== undefined) return void expect(bo, `${path}: constant`).toBe(ao);
  if (fresh && !Object.isFrozen(ao)) expect(bo === ao, `${path}: copied, not shared`).toBe(false);
  if (ao instanceof Sealed) return expectIsomorphic(ao.value, (bo as Sealed).value, fresh, `${path}<save>`, pairs);
  if (ArrayBuffer.isView(ao) || ao instanceof ArrayBuffer) {
    const bytes = (x: object) => Buffer.from(x instanceof ArrayBuffer ? x : (x as Uint8Array).buffer, x instanceof ArrayBuffer ? 0 : (x as Uint8Array).byteOffset, (x as Uint8Array).byteLength);
    return void expect(bytes(bo).equals(bytes(ao)), `${path}: bytes`).toBe(true);
  }
  if (ao instanceof Map || ao instanceof Set) {
    const ea = [...ao.entries()];
    const eb = [...(bo as Map<unknown, unknown>).entries()];
    expect(eb.length, `${path}: size`).toBe(ea.length);
    ea.forEach(([k, v], i) => {
      expectIsomorphic(k, eb[i][0], fresh, `${path}.key${i}`, pairs);
      expectIsomorphic(v, eb[i][1], fresh, `${path}[${i}]`, pairs);
    });
    return;
  }
  const transient = new Set(ao instanceof Part ? ['cache'] : ao instanceof Owner ? ['listener'] : []);
  expect(Object.keys(bo).sort(), `${path}: keys`).toEqual(Object.keys(ao).sort());
  if (Array.isArray(ao)) for (let i = 0; i < ao.length; i++) expect(i in bo, `${path}[${i}] hole`).toBe(i in ao);
  for (const key of Object.keys(ao)) {
    if (transient.has(key)) continue;
    expectIsomorphic((ao as Record<string, unknown>)[key], (bo as Record<string, unknown>)[key], fresh, `${path}.${key}`, pairs);
  }
}

/** The VBoxError `fn` throws (the test fails if it throws something else or nothing). */
export function thrown(fn: () => unknown): VBoxError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VBoxError);
    return e as VBoxError;
  }
  throw new Error('expected a VBoxError, nothing was thrown');
}
