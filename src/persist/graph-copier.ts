/**
 * Per-class field copiers for copyGraph, compiled once per class: a copy of an engine of ~40 classes through
 * one generic `to[key] = from[key]` loop makes every field access megamorphic (a hash probe each); a function
 * per class with the field names written out keeps each access monomorphic. The field list is the first
 * instance's own enumerable fields in order; an instance whose fields differ (a field added or deleted later)
 * is copied by the generic loop instead, so a compiled copier never drops or invents a field.
 */
import type { ClassPlan } from './graph-plan.js';

/** Copies an instance's fields: `clone` any value; `owned(obj, field)` an object only that field refers to (ClassSpec.owned). */
export type FieldCopier = (src: object, dst: object, clone: (v: unknown) => unknown, owned: OwnedCopier) => void;
/** The copy of an object only `field` (Class.field) refers to; `items`: an array whose items only it refers to. */
export type OwnedCopier = (obj: object, field: string, items: boolean) => object;

export interface Compiled {
  readonly keys: readonly string[];
  readonly copy: FieldCopier;
  /**
   * An empty instance with every field in place (undefined) and the class's prototype: the copy's fields then
   * live in the object itself. An `Object.create(prototype)` shell has room for four fields; the rest grow a
   * separate property store field by field (allocations, and a shape unlike the class's).
   */
  readonly Shell: new () => object;
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
  const lines = keys.map((key) => {
    const at = `[${JSON.stringify(key)}]`;
    if (plan.transient?.has(key)) return `d${at} = undefined;`;
    // An owned field's object is copied at once (o), named `Class.field` for the ownership check's message.
    const items = plan.ownedItems?.has(key) === true;
    if (items || plan.owned?.has(key)) return `v = s${at}; d${at} = typeof v === 'object' ? (v !== null ? o(v, ${JSON.stringify(`${plan.entry.name}.${key}`)}, ${items}) : v) : typeof v === 'function' || typeof v === 'symbol' ? c(v) : v;`;
    return `v = s${at}; d${at} = (typeof v === 'object' ? v !== null : typeof v === 'function' || typeof v === 'symbol') ? c(v) : v;`;
  });
  // The names are JSON string literals (no code can be injected); the body is straight-line field copies.
  const copy = new Function('s', 'd', 'c', 'o', `let v;\n${lines.join('\n')}`) as FieldCopier;
  const Shell = new Function(keys.map((key) => `this[${JSON.stringify(key)}] = undefined;`).join('\n')) as new () => object;
  Shell.prototype = prototype;
  return { keys, copy, Shell };
}
