/**
 * What a world copy (copyGraph) may share instead of copying: deeply frozen objects and named constants, and
 * code-table functions bound to such data only; and how it copies bytes and bound code.
 */
import { codeByNameOf, codeStamp, constantName, unfrozenConstantPrototypes } from './registry.js';

/** Deeply frozen objects met so far (frozen is forever: a verdict never changes, so it is cached). */
const immutable = new WeakMap<object, boolean>();

function isImmutable(obj: object): boolean {
  // Not frozen: immutable only as a named constant (looked up only where one can be).
  if (!Object.isFrozen(obj)) return unfrozenConstantPrototypes.has(Object.getPrototypeOf(obj) as object | null) && constantName(obj) !== undefined;
  return isFrozenImmutable(obj);
}

/** isImmutable for a frozen object: a named constant, or deeply frozen plain data (one WeakMap probe once known). */
export function isFrozenImmutable(obj: object): boolean {
  const known = immutable.get(obj);
  if (known !== undefined) return known;
  if (constantName(obj) !== undefined) {
    immutable.set(obj, true); // a constant's name is for good (defineConstant refuses another)
    return true;
  }
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto !== Object.prototype && proto !== null && proto !== Array.prototype) return false;
  immutable.set(obj, true); // provisional: a frozen cycle is immutable
  let verdict = true;
  for (const key of Object.keys(obj)) {
    const v = (obj as Record<string, unknown>)[key];
    if (typeof v === 'object' ? v !== null && !isImmutable(v) : typeof v === 'function' ? !isSharedFunction(v) : typeof v === 'symbol') {
      verdict = false;
      break;
    }
  }
  immutable.set(obj, verdict);
  return verdict;
}

/** A code-table function the copy may share: unbound, or bound to immutable arguments only. */
export function isSharedFunction(fn: Function): boolean {
  const stamp = codeStamp(fn);
  if (!stamp) return false;
  return !stamp.args || stamp.args.every((a) => (typeof a === 'object' ? a === null || isImmutable(a) : typeof a === 'function' ? isSharedFunction(a) : typeof a !== 'symbol'));
}

export function codeStampFn(fn: Function): (...args: any[]) => any {
  return codeByNameOf(codeStamp(fn)!.name)!;
}

export function copyBytes(src: object, type: string): object {
  if (type === 'Buffer') return Buffer.from(src as Buffer);
  if (type === 'ArrayBuffer') return (src as ArrayBuffer).slice(0);
  return (src as Uint8Array).slice();
}
