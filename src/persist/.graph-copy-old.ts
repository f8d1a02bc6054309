/**
 * copyGraph: an in-memory deep copy with the snapshot's semantics and no JSON (what the model checker needs to
 * branch a world): registered classes are copied by their state fields (transient ones become undefined, then
 * `revive` runs), by their `copy` hook, or by save → restore; shared references and cycles survive. What is
 * immutable is shared, not copied: named constants, code-table functions without arguments (or with immutable
 * ones), the embedder's functions, deeply frozen objects (and a machine cell's XState snapshot, by its hook).
 *
 * Order: shells are made as objects are met (breadth-first from the root, like writeGraph), filled in that
 * order; then the save/restore classes' `restore`, then every `revive` in reverse discovery order (an object's
 * parts revive before it, as readGraph does). Refusals are writeGraph's: a closure, a symbol, an unregistered
 * class → VBoxError(VERR_NOT_SUPPORTED) naming the path.
 */
import { bytesType } from './graph-format.js';
import { planOf, type ClassPlan } from './graph-plan.js';
import { classRefusal, closureRefusal, refusalError, symbolRefusal } from './graph-walk.js';
import { bindCodeTo, codeByNameOf, codeStamp, constantName, type RegisteredClass } from './registry.js';

export interface CopyOptions {
  /** Names the embedder's functions (shared by the copy); any other function outside the code table is refused. */
  readonly userName?: (fn: Function) => string | undefined;
}

/** How a shell is filled (one per object met). */
const enum Fill {
  Plain,
  Array,
  Map,
  Set,
  Fields,
  Hook,
  Saved,
}

/** A deep copy of the graph reachable from `root` (see the module comment). */
export function copyGraph<T>(root: T, options: CopyOptions = {}): T {
  const copier = new Copier(options.userName);
  try {
    const copy = copier.clone(root) as T;
    copier.finish();
    return copy;
  } catch (e) {
    throw refusalError(e, root, 'copy');
  }
}

/** Deeply frozen objects met so far (frozen is forever: a verdict never changes, so it is cached). */
const immutable = new WeakMap<object, boolean>();

function isImmutable(obj: object): boolean {
  const known = immutable.get(obj);
  if (known !== undefined) return known;
  if (!Object.isFrozen(obj) || constantName(obj) !== undefined) return constantName(obj) !== undefined;
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
function isSharedFunction(fn: Function): boolean {
  const stamp = codeStamp(fn);
  if (!stamp) return false;
  return !stamp.args || stamp.args.every((a) => (typeof a === 'object' ? a === null || isImmutable(a) : typeof a === 'function' ? isSharedFunction(a) : typeof a !== 'symbol'));
}

class Copier {
  private readonly copies = new Map<object, object>();
  private readonly srcs: object[] = [];
  private readonly dsts: object[] = [];
  private readonly fills: Fill[] = [];
  private readonly plans: (ClassPlan | undefined)[] = [];
  private readonly restores: [obj: object, cls: RegisteredClass, data: unknown][] = [];
  private readonly revives: [revive: (obj: any) => void, obj: object][] = [];

  constructor(private readonly userName: ((fn: Function) => string | undefined) | undefined) {}

  readonly clone = (v: unknown): unknown => {
    switch (typeof v) {
      case 'object':
        return v === null ? v : (this.copies.get(v) ?? this.meet(v));
      case 'function':
        return this.copies.get(v) ?? this.fn(v);
      case 'symbol':
        throw symbolRefusal(v);
      default:
        return v;
    }
  };

  /** Fill every shell (breadth-first), then restore, then revive (reverse discovery order). */
  finish(): void {
    const { srcs, dsts, fills, plans } = this;
    for (let i = 0; i < srcs.length; i++) this.fill(srcs[i], dsts[i], fills[i], plans[i]);
    for (const [obj, cls, data] of this.restores) cls.spec.restore!(obj, data);
    for (let i = this.revives.length - 1; i >= 0; i--) this.revives[i][0](this.revives[i][1]);
  }

  private fn(fn: Function): Function {
    const stamp = codeStamp(fn);
    if (!stamp) {
      if (this.userName?.(fn) !== undefined) return fn;
      throw closureRefusal(fn);
    }
    if (!stamp.args || isSharedFunction(fn)) return fn;
    const args: unknown[] = [];
    const copy = bindCodeTo(codeStampFn(fn), args);
    this.copies.set(fn, copy);
    for (const a of stamp.args) args.push(this.clone(a));
    return copy;
  }

  /** An object met for the first time: its shell (filled later), or itself when immutable. */
  private meet(src: object): object {
    const proto = Object.getPrototypeOf(src) as object | null;
    let dst: object;
    let fill: Fill;
    let plan: ClassPlan | undefined;
    if (proto === Object.prototype || proto === null) {
      if (Object.isFrozen(src) && isImmutable(src)) return this.share(src);
      if (constantName(src) !== undefined) return this.share(src);
      dst = proto === null ? Object.create(null) : {};
      fill = Fill.Plain;
    } else if (proto === Array.prototype) {
      if (Object.isFrozen(src) && isImmutable(src)) return this.share(src);
      if (constantName(src) !== undefined) return this.share(src);
      dst = new Array((src as unknown[]).length);
      fill = Fill.Array;
    } else if (proto === Map.prototype) {
      dst = new Map();
      fill = Fill.Map;
    } else if (proto === Set.prototype) {
      dst = new Set();
      fill = Fill.Set;
    } else if ((plan = planOf(proto)) !== undefined) {
      if (constantName(src) !== undefined) return this.share(src);
      const spec = plan.entry.spec;
      dst = Object.create(proto) as object;
      fill = spec.copy ? Fill.Hook : spec.save ? Fill.Saved : Fill.Fields;
      if (spec.revive) this.revives.push([spec.revive, dst]);
    } else {
      if (constantName(src) !== undefined) return this.share(src);
      const type = bytesType(src);
      if (type === undefined) throw classRefusal(src, proto);
      const copy = copyBytes(src, type);
      this.copies.set(src, copy);
      return copy;
    }
    this.copies.set(src, dst);
    this.srcs.push(src);
    this.dsts.push(dst);
    this.fills.push(fill);
    this.plans.push(plan);
    return dst;
  }

  private share(src: object): object {
    this.copies.set(src, src);
    return src;
  }

  private fill(src: object, dst: object, fill: Fill, plan: ClassPlan | undefined): void {
    const clone = this.clone;
    switch (fill) {
      case Fill.Plain:
      case Fill.Fields: {
        const from = src as Record<string, unknown>;
        const to = dst as Record<string, unknown>;
        const transient = plan?.transient;
        for (const key of Object.keys(from)) {
          const value = transient?.has(key) ? undefined : clone(from[key]);
          if (key === '__proto__') Object.defineProperty(to, key, { value, writable: true, enumerable: true, configurable: true });
          else to[key] = value;
        }
        break;
      }
      case Fill.Array: {
        const from = src as unknown[];
        const to = dst as unknown[];
        for (let i = 0; i < from.length; i++) if (i in from) to[i] = clone(from[i]);
        break;
      }
      case Fill.Map:
        for (const [k, v] of src as Map<unknown, unknown>) (dst as Map<unknown, unknown>).set(clone(k), clone(v));
        break;
      case Fill.Set:
        for (const v of src as Set<unknown>) (dst as Set<unknown>).add(clone(v));
        break;
      case Fill.Hook:
        plan!.entry.spec.copy!(src, dst, clone);
        break;
      case Fill.Saved:
        this.restores.push([dst, plan!.entry, clone(plan!.entry.spec.save!(src))]);
        break;
    }
    if (fill !== Fill.Saved && fill !== Fill.Hook && Object.isFrozen(src)) Object.freeze(dst);
  }
}

function codeStampFn(fn: Function): (...args: any[]) => any {
  return codeByNameOf(codeStamp(fn)!.name)!;
}

function copyBytes(src: object, type: string): object {
  if (type === 'Buffer') return Buffer.from(src as Buffer);
  if (type === 'ArrayBuffer') return (src as ArrayBuffer).slice(0);
  return (src as Uint8Array).slice();
}
