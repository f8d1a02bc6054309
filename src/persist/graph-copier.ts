/**
 * Per-class field copiers for copyGraph, compiled once per class: a copy of an engine of ~40 classes through
 * one generic `to[key] = from[key]` loop makes every field access megamorphic (a hash probe each); a function
 * per class with the field names written out keeps each access monomorphic. The field list is the first
 * instance's own enumerable fields in order; an instance whose fields differ (a field added or deleted later)
 * is copied by the generic loop instead, so a compiled copier never drops or invents a field. An owned field
 * (ClassSpec.owned) hands its object to the copier's `owned` with the field's notes; plain objects met there are
 * copied by one object literal per field (their usual keys), not by a spread at a megamorphic site.
 */
import type { ClassPlan } from './graph-plan.js';
import { ownedField, type OwnedCopier, type OwnedField } from './registry.js';

/** Copies an instance's fields: `clone` any value; `owned(obj, field)` an object only that field refers to (ClassSpec.owned). */
export type FieldCopier = (src: object, dst: object, clone: (v: unknown) => unknown, owned: OwnedCopier) => void;

export interface Compiled {
  readonly keys: readonly string[];
  readonly copy: FieldCopier;
  /**
   * An empty instance with every field in place (undefined) and the class's prototype: the copy's fields then
   * live in the object itself. An `Object.create(prototype)` shell has room for four fields; the rest grow a
   * separate property store field by field (allocations, and a shape unlike the class's).
   */
  readonly Shell: new () => object;
  /** Instances filled, counted up to PRIME_AFTER (primeCompiled). */
  fills: number;
}

/**
 * The compiled copier of a class, from its first instance `sample` (null when the class cannot be compiled: a
 * field named __proto__, an inherited enumerable property). Use it for an instance only when sameKeys holds.
 */
export function compiledCopierOf(plan: ClassPlan, sample: object): Compiled | null {
  return plan.forIn ? compile(ownKeysInOrder(sample), plan, plan.entry.prototype) : null;
}

function ownKeysInOrder(obj: object): string[] {
  const keys: string[] = [];
  for (const key in obj) keys.push(key);
  return keys;
}

/** Are `obj`'s enumerable fields exactly `keys`, in order? (for…in walks the enum cache: no array is built.) */
export function sameKeys(obj: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const key in obj) if (key !== keys[i++]) return false;
  return i === keys.length;
}

function compile(keys: string[], plan: ClassPlan, prototype: object): Compiled | null {
  if (keys.includes('__proto__')) return null;
  const fields: OwnedField[] = [];
  const lines = keys.map((key) => {
    const at = `[${JSON.stringify(key)}]`;
    if (plan.transient?.has(key)) return `d${at} = undefined;`;
    // An owned field's object is copied at once (o), with the field's notes (F[i]: its name, what it met).
    const items = plan.ownedItems?.has(key) === true;
    if (items || plan.owned?.has(key)) {
      fields.push(ownedField(`${plan.entry.name}.${key}`, items));
      return `v = s${at}; d${at} = typeof v === 'object' ? (v !== null ? o(v, F[${fields.length - 1}]) : v) : ${REF} ? c(v) : v;`;
    }
    return `v = s${at}; d${at} = (typeof v === 'object' ? v !== null : ${REF}) ? c(v) : v;`;
  });
  // The names are JSON string literals (no code can be injected); the body is straight-line field copies. The
  // functions are named after the class (word characters only), for profiles and V8's traces.
  const name = plan.entry.name.replace(/\W/g, '_');
  const copy = new Function('F', `return function copy_${name}(s, d, c, o) {\nlet v;\n${lines.join('\n')}\n};`)(fields) as FieldCopier;
  const fieldsInPlace = keys.map((key) => `this[${JSON.stringify(key)}] = undefined;`).join('\n');
  const Shell = new Function(`return function shell_${name}() {\n${fieldsInPlace}\n};`)() as new () => object;
  Shell.prototype = prototype;
  return { keys, copy, Shell, fills: 0 };
}

/** A value that is not an object: the copy goes through clone when it is a function or a symbol. */
const REF = `typeof v === 'function' || typeof v === 'symbol'`;

/** A plain object's copy in one literal (its usual fields, in order): no spread at a megamorphic site, no field loop. */
export interface PlainCopier {
  readonly keys: readonly string[];
  readonly copy: (src: object, clone: (v: unknown) => unknown) => object;
}

/** The literal copier of plain objects with `sample`'s fields (null with a field named __proto__: a literal sets the prototype). */
export function plainCopierOf(sample: object): PlainCopier | null {
  const keys = ownKeysInOrder(sample);
  if (keys.includes('__proto__')) return null;
  const values = keys.map((key) => `${JSON.stringify(key)}: (v = s[${JSON.stringify(key)}], (typeof v === 'object' ? v !== null : ${REF}) ? c(v) : v)`);
  const copy = new Function('s', 'c', `let v;\nreturn {\n${values.join(',\n')}\n};`) as PlainCopier['copy'];
  return { keys, copy };
}

/**
 * A plain object's shell with its usual fields in place (undefined, in order: one literal, no spread at a
 * megamorphic site) and their fill written out field by field (no keyed loads and stores). For objects the copy
 * meets through the identity table: the shell exists before its fields are cloned (a field may lead back to it).
 */
export interface PlainShell {
  readonly keys: readonly string[];
  readonly make: () => object;
  readonly fill: (src: object, dst: object, clone: (v: unknown) => unknown) => void;
}

/** Wider plain objects (dictionaries more than records) are spread, not given a compiled shell. */
const PLAIN_SHELL_KEYS = 32;

/** The plain shell of objects with `sample`'s fields (null with no field, more than PLAIN_SHELL_KEYS, or __proto__). */
export function plainShellOf(sample: object): PlainShell | null {
  const keys = ownKeysInOrder(sample);
  if (keys.length === 0 || keys.length > PLAIN_SHELL_KEYS || keys.includes('__proto__')) return null;
  const at = keys.map((key) => `[${JSON.stringify(key)}]`);
  const make = new Function(`return {\n${keys.map((key) => `${JSON.stringify(key)}: undefined`).join(',\n')}\n};`) as PlainShell['make'];
  const fill = new Function('s', 'd', 'c', `let v;\n${at.map((a) => `v = s${a}; d${a} = (typeof v === 'object' ? v !== null : ${REF}) ? c(v) : v;`).join('\n')}`) as PlainShell['fill'];
  return { keys, make, fill };
}

/** An object's value as the copy holds it: primitives as they are, objects and functions through clone. */
export const isRef = (v: unknown): boolean => (typeof v === 'object' && v !== null) || typeof v === 'function' || typeof v === 'symbol';

/**
 * Own enumerable fields, in their order; transient ones become undefined (kept in place so the copy has the
 * original's shape). `forIn`: no enumerable field is inherited, so for…in (no key array) visits the own ones.
 */
export function copyFields(src: object, dst: object, clone: (v: unknown) => unknown, transient: ReadonlySet<string> | undefined, forIn: boolean): void {
  const from = src as Record<string, unknown>;
  const to = dst as Record<string, unknown>;
  if (forIn && transient === undefined) {
    for (const key in from) {
      const v = from[key];
      if (key === '__proto__') setProto(to, clone(v));
      else to[key] = isRef(v) ? clone(v) : v;
    }
    return;
  }
  for (const key of forIn ? ownKeysInOrder(from) : Object.keys(from)) {
    const v = from[key];
    if (transient?.has(key)) to[key] = undefined;
    else if (key === '__proto__') setProto(to, clone(v));
    else to[key] = isRef(v) ? clone(v) : v;
  }
}

/** An own field named __proto__ (an assignment would set the prototype instead). */
const setProto = (to: object, value: unknown): void => void Object.defineProperty(to, '__proto__', { value, writable: true, enumerable: true, configurable: true });

/** A compiled copier is primed at its class's this many'th fill (primeCompiled). */
export const PRIME_AFTER = 64;

/**
 * Run `compiled`'s copier once from one empty Shell onto another (every field undefined: `clone` and `owned` are not
 * called), so that its loads have met the Shell's shape as well as the constructor's before V8 optimizes it.
 * Unprimed, the first copy of a world whose objects are themselves copies (what the checker copies) deoptimizes
 * every class's copier ("wrong map"), and V8 takes some 2,000 copies at 2-4× the cost to optimize them again
 * (bench/copy-world.ts chain). Not at the first fill: a Shell's shape settles over its first fills (a prime at
 * the first measured no better).
 */
export function primeCompiled(compiled: Compiled, clone: (v: unknown) => unknown, owned: OwnedCopier): void {
  compiled.copy(new compiled.Shell(), new compiled.Shell(), clone, owned);
}
