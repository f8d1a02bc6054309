/**
 * What a world copy (copyGraph) may share instead of copying: deeply frozen objects and named constants, and
 * code-table functions bound to such data only; and how it copies bytes and bound code.
 */
import { planOf, type ClassPlan } from './graph-plan.js';
import { codeByNameOf, codeStamp, constantName, unfrozenConstantPrototypes } from './registry.js';

/**
 * Frozen objects met lately and whether they are deeply immutable (frozen is forever: a verdict never changes, so
 * it is cached). Started afresh every CACHED_MAX entries: the engine and the checker freeze small records they
 * replace at every write (events, a VM's last state changes, the checker's name tables), so the cache gains
 * thousands of keys a second that die at once, and a large young generation (the search thread's) collects them
 * seldom; a WeakMap grown that large made the lookups dear (race on 6 vCPUs without reductions, on the search
 * thread: 1.1 s of 13 s in isFrozenImmutable, against 33 ms before those records were frozen). Long-lived records
 * are judged again once per cache.
 */
let immutable = new WeakMap<object, boolean>();
let cached = 0;
const CACHED_MAX = 4096;

function remember(obj: object, verdict: boolean): void {
  if (++cached > CACHED_MAX) {
    immutable = new WeakMap();
    cached = 0;
  }
  immutable.set(obj, verdict);
}

function isImmutable(obj: object): boolean {
  // Not frozen: immutable only as a named constant (looked up only where one can be).
  if (!Object.isFrozen(obj)) return unfrozenConstantPrototypes.has(Object.getPrototypeOf(obj) as object | null) && constantName(obj) !== undefined;
  return isFrozenImmutable(obj);
}

/**
 * isImmutable for a frozen object: a named constant, deeply frozen plain data, or a frozen instance of a class copied
 * field by field holding only such, its transient fields empty (one WeakMap probe once known).
 */
export function isFrozenImmutable(obj: object): boolean {
  const known = immutable.get(obj);
  if (known !== undefined) return known;
  if (constantName(obj) !== undefined) {
    remember(obj, true); // a constant's name is for good (defineConstant refuses another)
    return true;
  }
  const proto = Object.getPrototypeOf(obj) as object | null;
  let transient: ReadonlySet<string> | undefined;
  let vouched = false; // ClassSpec.sharedWhenFrozen: only the transient fields are checked
  if (proto !== Object.prototype && proto !== null && proto !== Array.prototype) {
    const plan = planOf(proto);
    vouched = plan?.entry.spec.sharedWhenFrozen === true;
    if (!vouched && !copiedByFields(plan)) return false;
    transient = plan!.transient;
  }
  remember(obj, true); // provisional: a frozen cycle is immutable
  let verdict = true;
  for (const key of Object.keys(obj)) {
    const v = (obj as Record<string, unknown>)[key];
    // A transient field (a host attachment, never shared between worlds) must be empty; a vouching class's others pass.
    if (transient?.has(key) === true ? v !== undefined : !vouched && !isImmutableValue(v)) {
      verdict = false;
      break;
    }
  }
  remember(obj, verdict);
  return verdict;
}

/**
 * Is `plan` a registered class whose copy is its fields and nothing else (no hook that copies, saves, restores or
 * revives it; transient fields, checked per instance, must be empty)? A frozen instance of such a class cannot change,
 * so a world and its copies may share it: a record frozen while idle and replaced at its first write (VmHalt.ownCpu,
 * VmCore.ownQueue) costs a copy nothing.
 */
function copiedByFields(plan: ClassPlan | undefined): boolean {
  const spec = plan?.entry.spec;
  return spec !== undefined && !spec.copy && !spec.copied && !spec.save && !spec.restore && !spec.revive;
}

/**
 * ClassSpec.freezeWhenCopied (a held machine cell): an instance met unfrozen with its transient fields empty is
 * frozen now and shared from then on (its holder replaces it at its next write); false, and left as it is, otherwise.
 */
export function freezeToShare(obj: object, plan: ClassPlan): boolean {
  const transient = plan.transient;
  if (transient) for (const key of transient) if ((obj as Record<string, unknown>)[key] !== undefined) return false;
  Object.freeze(obj);
  return true;
}

/** A code-table function the copy may share: unbound, or bound to immutable arguments only. */
export function isSharedFunction(fn: Function): boolean {
  const stamp = codeStamp(fn);
  if (!stamp) return false;
  return !stamp.args || stamp.args.every(isImmutableValue);
}

/** A value a copy may share: a primitive (not a symbol), null, an immutable object or a shareable function. */
function isImmutableValue(v: unknown): boolean {
  return typeof v === 'object' ? v === null || isImmutable(v) : typeof v === 'function' ? isSharedFunction(v) : typeof v !== 'symbol';
}

export function codeStampFn(fn: Function): (...args: any[]) => any {
  return codeByNameOf(codeStamp(fn)!.name)!;
}

export function copyBytes(src: object, type: string): object {
  if (type === 'Buffer') return Buffer.from(src as Buffer);
  if (type === 'ArrayBuffer') return (src as ArrayBuffer).slice(0);
  return (src as Uint8Array).slice();
}
