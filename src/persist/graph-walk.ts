/**
 * The canonical walk of an object graph: every value in a fixed order, handed to a sink. writeGraph's JSON is
 * one sink; a state key (the checker's) is another, fed the same stream without building JSON.
 *
 * Order: the root value first; then the objects in discovery order (breadth-first: object i's values are
 * visited in order, each object met for the first time is numbered next), so two equal graphs give the same
 * stream and the same numbers. Values inside an object: a plain object's and a class's fields in their own
 * order (insertion order), arrays by index, Maps and Sets in insertion order, bound code's arguments in order.
 */
import { VBoxError, VERR_INTERNAL_ERROR, VERR_NOT_SUPPORTED } from '../status.js';
import { bytesOf, bytesType, type EntryKind } from './graph-format.js';
import { inheritsEnumerable, planOf } from './graph-plan.js';
import { codeStamp, constantName, unfrozenConstantPrototypes, type ClassSpec } from './registry.js';
import { pathTo } from './walk.js';

export type Primitive = string | number | boolean | bigint | null | undefined;

/** Receives the walk (see the module comment for the order). Values follow `begin` until `end`. */
export interface GraphSink {
  /** Object `id` starts (ids count 0, 1, 2 … in discovery order). `name`: the class, code or byte type. */
  begin(id: number, kind: EntryKind, name: string | undefined, frozen: boolean): void;
  /** The next value is field `key`'s (plain objects and classes). */
  key(key: string): void;
  value(value: Primitive): void;
  /** An object by its id (it has been or will be begun). */
  ref(id: number): void;
  /** An object or function by name: a named constant, an unbound code-table function, an embedder's function. */
  named(tag: 'constant' | 'code' | 'user', name: string): void;
  /** A hole in an array. */
  hole(): void;
  /** The bytes of a `bytes` object (a view into the original: copy it if you keep it). */
  bytes(data: Uint8Array): void;
  end(): void;
  /**
   * A transient field left out, in its place (optional): a sink that writes it (its value undefined) lets the reader
   * give the object its fields in their usual order, so the object has its class's usual shape.
   */
  skipped?(key: string): void;
}

export interface WalkOptions {
  /** The name of an embedder's function (createVMM's `functions`), undefined for one it does not name. */
  readonly userName?: (fn: Function) => string | undefined;
  /**
   * The state key's walk: leave out the fields a class lists as `history`, walk its `unordered` collections in
   * a canonical order and its `times` relative to `now`.
   */
  readonly skipHistory?: boolean;
  /** The virtual time `times` fields are written relative to (skipHistory only; default 0). */
  readonly now?: number;
}

/** A value the writer (or copier) cannot take: why, and the value (its path is found afterwards, off the hot path). */
export class Refusal {
  constructor(
    readonly rc: number,
    readonly what: string,
    readonly value: unknown,
  ) {}
}

/** `e` as the error the caller sees: a Refusal becomes a VBoxError naming the refused value's path from `root`. */
export function refusalError(e: unknown, root: unknown, verb: string): unknown {
  if (!(e instanceof Refusal)) return e;
  const path = pathTo(root, e.value);
  return new VBoxError(e.rc, `snapshot: cannot ${verb} ${e.what} at ${path === '' ? '(root)' : path ?? '?'}`);
}

export const closureRefusal = (fn: Function): Refusal => new Refusal(VERR_NOT_SUPPORTED, `a closure${fn.name ? ` (${fn.name})` : ''} (not in the code table)`, fn);
export const classRefusal = (obj: object, proto: object): Refusal =>
  new Refusal(VERR_NOT_SUPPORTED, `an object of the unregistered class ${(proto as { constructor?: { name?: string } }).constructor?.name ?? '?'}`, obj);
export const symbolRefusal = (sym: symbol): Refusal => new Refusal(VERR_NOT_SUPPORTED, `a symbol (${String(sym)})`, sym);
/** copyGraph's verifyOwnership: an object in an owned field (ClassSpec.owned) met again. */
export const ownershipRefusal = (obj: object, field: string): Refusal =>
  new Refusal(VERR_INTERNAL_ERROR, `an object declared owned by ${field} that something else refers to as well`, obj);

/**
 * Feed the graph reachable from `root` to `sink` in canonical order; returns the number of objects. A closure,
 * a symbol or an object of an unregistered class is refused: a VBoxError(VERR_NOT_SUPPORTED) naming its path.
 */
export function encodeGraph(root: unknown, sink: GraphSink, options: WalkOptions = {}): number {
  const walk = new Walk(sink, options);
  try {
    walk.value(root);
    // Breadth-first; an unordered collection waits until every object reachable otherwise is numbered, so its
    // items sort by canonical numbers (one at a time: what it numbers is walked before the next one).
    const late = walk.late;
    for (let i = 0, j = 0; ; ) {
      for (; i < walk.order.length; i++) {
        const obj = walk.order[i];
        if (late.length > 0 && walk.deferred.has(obj)) continue;
        walk.object(obj, i);
      }
      if (j === late.length) break;
      walk.unordered(late[j]!, walk.ids.get(late[j]!)!);
      j++;
    }
  } catch (e) {
    throw refusalError(e, root, 'write');
  }
  return walk.order.length;
}

/** This walk renames no vCPU (keyFields' `cpu`). */
const sameCpu = (c: number): number => c;

const compareRank = (a: [number, number | string], b: [number, number | string]): number =>
  a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

class Walk {
  readonly ids = new Map<object, number>();
  readonly order: object[] = [];
  private readonly userName;
  private readonly skipHistory;
  private readonly now: number;
  /** Unordered collections (skipHistory) in the order they were met, walked last (see encodeGraph). */
  readonly late: object[] = [];
  readonly deferred = new Set<object>();
  /** Object.prototype has no enumerable property (nobody polluted it): for…in is safe on plain objects. */
  private readonly plainForIn = !inheritsEnumerable(Object.prototype);

  constructor(
    private readonly sink: GraphSink,
    options: WalkOptions,
  ) {
    this.userName = options.userName;
    this.skipHistory = options.skipHistory === true;
    this.now = options.now ?? 0;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'object':
        if (v === null) return this.sink.value(null);
        return this.objectValue(v);
      case 'function': {
        const stamp = codeStamp(v);
        if (stamp) return stamp.args ? this.sink.ref(this.idOf(v)) : this.sink.named('code', stamp.name);
        const user = this.userName?.(v);
        if (user !== undefined) return this.sink.named('user', user);
        throw closureRefusal(v);
      }
      case 'symbol':
        throw symbolRefusal(v);
      default:
        return this.sink.value(v as Primitive);
    }
  }

  objectValue(v: object): void {
    const id = this.ids.get(v);
    if (id !== undefined) return this.sink.ref(id);
    // Constants are looked up only where one can be (a WeakMap lookup per object is too dear).
    const name = Object.isFrozen(v) || unfrozenConstantPrototypes.has(Object.getPrototypeOf(v) as object | null) ? constantName(v) : undefined;
    if (name !== undefined) return this.sink.named('constant', name);
    this.sink.ref(this.number(v));
  }

  /** Number an object met for the first time (the next in discovery order). */
  private number(v: object): number {
    const id = this.order.length;
    this.ids.set(v, id);
    this.order.push(v);
    return id;
  }

  private idOf(v: object): number {
    return this.ids.get(v) ?? this.number(v);
  }

  object(obj: object, id: number): void {
    const sink = this.sink;
    if (typeof obj === 'function') {
      const stamp = codeStamp(obj)!;
      sink.begin(id, 'code', stamp.name, false);
      for (const arg of stamp.args!) this.value(arg);
      return sink.end();
    }
    const proto = Object.getPrototypeOf(obj) as object | null;
    if (proto === Object.prototype || proto === null) {
      sink.begin(id, proto === null ? 'null-object' : 'object', undefined, Object.isFrozen(obj));
      this.fields(obj, undefined, this.plainForIn);
    } else if (proto === Array.prototype) {
      const items = obj as unknown[];
      sink.begin(id, 'array', undefined, Object.isFrozen(obj));
      for (let i = 0; i < items.length; i++) {
        if (i in items) this.value(items[i]);
        else sink.hole();
      }
    } else if (proto === Map.prototype) {
      sink.begin(id, 'map', undefined, false);
      for (const [k, v] of obj as Map<unknown, unknown>) {
        this.value(k);
        this.value(v);
      }
    } else if (proto === Set.prototype) {
      sink.begin(id, 'set', undefined, false);
      for (const v of obj as Set<unknown>) this.value(v);
    } else {
      const plan = planOf(proto);
      if (plan) {
        const { spec, name } = plan.entry;
        const keyed = this.skipHistory && spec.keySave ? spec.keySave(obj) : undefined;
        if (keyed !== undefined || spec.save) {
          // (A reader freezes it once restored. Frozen by a copy only to be shared — freezeWhenCopied — is no state.)
          sink.begin(id, 'saved', name, spec.freezeWhenCopied !== true && Object.isFrozen(obj));
          this.value(keyed !== undefined ? keyed : spec.save!(obj));
        } else {
          sink.begin(id, 'class', name, Object.isFrozen(obj));
          if (this.skipHistory && (spec.unordered || spec.times || spec.keyFields)) this.keyFields(obj, plan.unkeyed, spec);
          else this.fields(obj, this.skipHistory ? plan.unkeyed : plan.transient, plan.forIn);
        }
      } else {
        const type = bytesType(obj);
        if (type === undefined) throw classRefusal(obj, proto);
        sink.begin(id, 'bytes', type, false);
        sink.bytes(bytesOf(obj));
      }
    }
    sink.end();
  }

  /** The state key's fields of a class with `unordered` or `times` fields (see ClassSpec). */
  private keyFields(obj: object, skip: ReadonlySet<string> | undefined, spec: ClassSpec): void {
    const { unordered, times, keyFields } = spec;
    const record = obj as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (skip?.has(key)) continue;
      this.sink.key(key);
      const as = keyFields?.[key];
      const v = as ? as(obj, record[key], this.now, sameCpu) : record[key];
      if (times?.includes(key) && typeof v === 'number') this.sink.value(v - this.now);
      else if (unordered?.includes(key) && typeof v === 'object' && v !== null && !this.ids.has(v)) {
        this.objectValue(v);
        if (this.ids.has(v)) {
          this.deferred.add(v);
          this.late.push(v);
        }
      } else this.value(v);
    }
  }

  /** An unordered collection's items, sorted: numbered objects by number, then primitives and names, then the rest as they come. */
  unordered(obj: object, id: number): void {
    const proto = Object.getPrototypeOf(obj) as object | null;
    const isMap = proto === Map.prototype;
    const items: [unknown, unknown][] = [];
    if (isMap) for (const entry of obj as Map<unknown, unknown>) items.push(entry);
    else if (proto === Set.prototype || proto === Array.prototype) for (const v of obj as Iterable<unknown>) items.push([v, undefined]);
    else return this.object(obj, id);
    const ranked = items.map((item, at) => ({ item, rank: this.rank(item[0]), at }));
    ranked.sort((a, b) => compareRank(a.rank, b.rank) || a.at - b.at);
    this.sink.begin(id, isMap ? 'map' : proto === Set.prototype ? 'set' : 'array', undefined, Object.isFrozen(obj));
    for (const { item } of ranked) {
      this.value(item[0]);
      if (isMap) this.value(item[1]);
    }
    this.sink.end();
  }

  /** Where an item sorts: [0, number] a numbered object, [1, text] a primitive or a named object, [2, 0] an object not yet numbered. */
  private rank(v: unknown): [number, number | string] {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return [1, `${typeof v}:${String(v)}`];
    const id = this.ids.get(v);
    if (id !== undefined) return [0, id];
    const stamp = typeof v === 'function' ? codeStamp(v) : undefined;
    if (stamp && !stamp.args) return [1, `code:${stamp.name}`];
    const name = typeof v === 'object' ? constantName(v) : undefined;
    if (name !== undefined) return [1, `constant:${name}`];
    const user = typeof v === 'function' ? this.userName?.(v) : undefined;
    return user !== undefined ? [1, `user:${user}`] : [2, 0];
  }

  /** Own enumerable fields but `skip`; `forIn`: none inherited, so for…in (no key array) visits exactly those. */
  private fields(obj: object, skip: ReadonlySet<string> | undefined, forIn: boolean): void {
    const record = obj as Record<string, unknown>;
    const sink = this.sink;
    if (forIn) {
      for (const key in record) {
        if (skip?.has(key)) {
          sink.skipped?.(key);
          continue;
        }
        sink.key(key);
        this.value(record[key]);
      }
      return;
    }
    for (const key of Object.keys(obj)) {
      if (skip?.has(key)) {
        sink.skipped?.(key);
        continue;
      }
      sink.key(key);
      this.value(record[key]);
    }
  }
}
