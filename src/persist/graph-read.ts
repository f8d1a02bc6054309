/**
 * readGraph: a snapshot (graph-format.ts) back into objects, in phases so that nothing half-made escapes:
 *
 * 1. check the header and create every object's shell (a registered class's instance is
 *    `Object.create(prototype)`, its constructor does not run); unknown class and code names are refused here;
 * 2. fill every shell's fields, items and entries (refs resolve to shells; constants, code and the embedder's
 *    functions by name), freezing what was frozen;
 * 3. `restore` every save/restore class, in table order (the objects its data refers to are all filled);
 * 4. `revive` every registered class that has one, in **reverse table order**. The table is in discovery
 *    order from the root, so an object's parts (everything first reached through it) come after it in the
 *    table and revive before it: an owner's revive may rely on its parts being revived.
 *
 * Any failure in phases 1–3 throws a typed VBoxError and leaves nothing behind (the shells are dropped; no
 * revive has run). A revive that throws is reported as VERR_INVALID_STATE naming the class.
 */
import { fillFields } from './graph-assign.js';
import { VBoxError, VERR_INVALID_STATE, VERR_NOT_FOUND, VERR_VERSION_MISMATCH } from '../status.js';
import { BYTE_TYPES, GRAPH_FORMAT, GRAPH_VERSION, malformed, type GraphEntry, type GraphValue } from './graph-format.js';
import { bindCodeTo, codeByNameOf, constantByNameOf, registeredClassByName, type RegisteredClass } from './registry.js';

export interface ReadOptions {
  /** The embedder's function of that name (createVMM's `functions`); undefined refuses the snapshot. */
  readonly userFunction?: (name: string) => Function | undefined;
  /**
   * Called with the root once every object is filled, before any revive: what the revives read from the root
   * (an engine's implementations, given again to the restore) is put there, not passed around beside it.
   */
  readonly beforeRevive?: (root: unknown) => void;
}

const NUMBERS: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

export const notFound = (what: string, name: unknown, id: number): VBoxError =>
  new VBoxError(VERR_NOT_FOUND, `snapshot: unknown ${what} '${String(name)}' (object ${id})`);

/** The root of a graph writeGraph wrote (after JSON.stringify/JSON.parse or not), as new objects. */
export function readGraph<T = unknown>(graph: unknown, options: ReadOptions = {}): T {
  const g = graph as { format?: unknown; version?: unknown; objects?: unknown; root?: unknown } | null;
  if (typeof g !== 'object' || g === null || g.format !== GRAPH_FORMAT || g.version !== GRAPH_VERSION) {
    const said = typeof g === 'object' && g !== null ? `${String(g.format)} version ${String(g.version)}` : typeof g;
    throw new VBoxError(VERR_VERSION_MISMATCH, `snapshot: expected ${GRAPH_FORMAT} version ${GRAPH_VERSION}, got ${said}`);
  }
  if (!Array.isArray(g.objects)) throw malformed('objects is not an array');
  return new Reader(g.objects as unknown[], options).read(g.root) as T;
}

class Reader {
  private readonly shells: object[] = [];
  private readonly classes: (RegisteredClass | undefined)[] = [];
  /** The argument arrays of bound code (bound empty in phase 1, filled in phase 2). */
  private readonly codeArgs: unknown[][] = [];
  private readonly restores: Restore[] = [];

  constructor(
    private readonly entries: unknown[],
    private readonly options: ReadOptions,
  ) {}

  read(root: unknown): unknown {
    this.entries.forEach((e, id) => this.shell(e, id));
    this.entries.forEach((e, id) => this.fill(e as GraphEntry, id));
    return finishRead(this.value(root as GraphValue, -1), this.shells, this.classes, this.restores, this.options);
  }

  private shell(raw: unknown, id: number): void {
    if (typeof raw !== 'object' || raw === null) throw malformed(`object ${id} is not an entry`);
    const e = raw as GraphEntry;
    const list = (what: 'items' | 'fields'): void => {
      const ok = what === 'items' ? Array.isArray(e.items) : typeof e.fields === 'object' && e.fields !== null && !Array.isArray(e.fields);
      if (!ok) throw malformed(`object ${id} (${e.kind}) has no ${what}`);
    };
    let obj: object;
    switch (e.kind) {
      case 'object':
      case 'null-object':
        list('fields');
        obj = e.kind === 'object' ? {} : Object.create(null);
        break;
      case 'array':
        list('items');
        obj = new Array(e.items!.length);
        break;
      case 'map':
        list('items');
        if (e.items!.length % 2 !== 0) throw malformed(`map ${id} has an odd number of items`);
        obj = new Map();
        break;
      case 'set':
        list('items');
        obj = new Set();
        break;
      case 'bytes':
        if (typeof e.data !== 'string') {
          if (!(typeof e.name === 'string' && Object.hasOwn(BYTE_TYPES, e.name))) throw notFound('byte type', e.name, id);
          throw malformed(`bytes ${id} have no data`);
        }
        obj = bytesObject(e.name, Buffer.from(e.data, 'base64'), id);
        break;
      case 'class':
      case 'saved': {
        const cls = classByName(e.name, id);
        if (e.kind === 'class') list('fields');
        checkClassKind(cls, e.kind === 'saved', id);
        if (e.kind === 'saved' && !('data' in e)) throw malformed(`object ${id} (${cls.name}) has no data`);
        this.classes[id] = cls;
        obj = Object.create(cls.prototype) as object;
        break;
      }
      case 'code': {
        list('items');
        const args: unknown[] = [];
        this.codeArgs[id] = args;
        obj = boundCode(e.name, args, id);
        break;
      }
      default:
        throw malformed(`object ${id} has the unknown kind '${String((e as { kind?: unknown }).kind)}'`);
    }
    this.shells[id] = obj;
  }

  private fill(e: GraphEntry, id: number): void {
    const obj = this.shells[id] as Record<string, unknown>;
    switch (e.kind) {
      case 'object':
      case 'null-object':
      case 'class': {
        const fields = e.fields!;
        const keys = Object.keys(fields);
        const values = keys.map((key) => this.value(fields[key], id));
        fillFields(obj, Object.getPrototypeOf(obj) as object | null, keys, values, this.classes[id]?.spec.transient);
        break;
      }
      case 'array': {
        const items = e.items!;
        const array = obj as unknown as unknown[];
        for (let i = 0; i < items.length; i++) {
          const item = items[i];
          if (!(Array.isArray(item) && item.length === 1 && item[0] === 'hole')) array[i] = this.value(item, id);
        }
        break;
      }
      case 'map': {
        const items = e.items!;
        for (let i = 0; i < items.length; i += 2) (obj as unknown as Map<unknown, unknown>).set(this.value(items[i], id), this.value(items[i + 1], id));
        break;
      }
      case 'set':
        for (const item of e.items!) (obj as unknown as Set<unknown>).add(this.value(item, id));
        break;
      case 'saved':
        this.restores.push([obj, this.classes[id]!, this.value(e.data as GraphValue, id), id, e.frozen === true]);
        return; // (frozen once restored)
      case 'code': {
        const args = this.codeArgs[id]!;
        for (const item of e.items!) args.push(this.value(item, id));
        break;
      }
    }
    if (e.frozen === true) Object.freeze(obj);
  }

  /** A value of object `id`'s (for messages; -1 is the root). */
  private value(v: GraphValue, id: number): unknown {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw malformed(`a non-finite number in object ${id}`);
      return v;
    }
    if (!Array.isArray(v) || typeof v[0] !== 'string') throw malformed(`a value of object ${id} is neither JSON nor tagged`);
    const [tag, arg] = v as readonly [string, unknown];
    switch (tag) {
      case 'ref':
        if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0 || arg >= this.shells.length) throw malformed(`object ${id} refers to object ${String(arg)}`);
        return this.shells[arg];
      case 'undefined':
        return undefined;
      case 'number':
        if (typeof arg !== 'string' || !Object.hasOwn(NUMBERS, arg)) throw malformed(`the number '${String(arg)}' in object ${id}`);
        return NUMBERS[arg];
      case 'bigint':
        if (typeof arg !== 'string' || !/^-?\d+$/.test(arg)) throw malformed(`the bigint '${String(arg)}' in object ${id}`);
        return BigInt(arg);
      case 'constant':
      case 'code':
      case 'user':
        return namedValue(tag, arg, id, this.options);
      default:
        throw malformed(`the value tag '${tag}' in object ${id}`);
    }
  }
}

/** A registered class by name for object `id`, refused when unknown. */
export function classByName(name: unknown, id: number): RegisteredClass {
  const cls = typeof name === 'string' ? registeredClassByName(name) : undefined;
  if (!cls) throw notFound('class', name, id);
  return cls;
}

/** Refuse a class written as fields that saves its state as data, or written as data (`saved`) without a restore. */
export function checkClassKind(cls: RegisteredClass, saved: boolean, id: number): void {
  if (!saved && cls.spec.save) throw malformed(`${cls.name} (object ${id}) saves its state as data, not as fields`);
  if (saved && !cls.spec.restore) throw malformed(`${cls.name} (object ${id}) is saved as data but has no restore`);
}

/** Code-table function `name` bound to `args` (filled later), refused when the table has no such name. */
export function boundCode(name: unknown, args: unknown[], id: number): Function {
  const fn = typeof name === 'string' ? codeByNameOf(name) : undefined;
  if (!fn) throw notFound('code', name, id);
  return bindCodeTo(fn, args);
}

/** A `bytes` object of type `name` holding `data`. */
export function bytesObject(name: unknown, data: Uint8Array, id: number): object {
  const make = typeof name === 'string' && Object.hasOwn(BYTE_TYPES, name) ? BYTE_TYPES[name] : undefined;
  if (!make) throw notFound('byte type', name, id);
  return make(data);
}

/** A named constant, unbound code-table function or embedder's function, refused when unknown. */
export function namedValue(tag: 'constant' | 'code' | 'user', name: unknown, id: number, options: ReadOptions): unknown {
  if (tag === 'constant') {
    const c = typeof name === 'string' ? constantByNameOf(name) : undefined;
    if (c === undefined) throw notFound('constant', name, id);
    return c;
  }
  const fn = typeof name !== 'string' ? undefined : tag === 'code' ? codeByNameOf(name) : options.userFunction?.(name);
  if (typeof fn !== 'function') throw notFound(tag === 'code' ? 'code' : 'function', name, id);
  return fn;
}

/** Phases 3 and 4 (see the module comment): restores in table order, beforeRevive, revives in reverse table order. */
export function finishRead(root: unknown, shells: readonly object[], classes: readonly (RegisteredClass | undefined)[], restores: readonly Restore[], options: ReadOptions): unknown {
  for (const [obj, cls, data, id, frozen] of restores) {
    try {
      cls.spec.restore!(obj, data);
    } catch (e) {
      if (e instanceof VBoxError) throw e;
      throw malformed(`restoring ${cls.name} (object ${id}) failed: ${(e as Error)?.message ?? String(e)}`);
    }
    if (frozen) Object.freeze(obj);
  }
  options.beforeRevive?.(root);
  for (let id = shells.length - 1; id >= 0; id--) {
    const revive = classes[id]?.spec.revive;
    if (!revive) continue;
    try {
      revive(shells[id]);
    } catch (e) {
      throw new VBoxError(VERR_INVALID_STATE, `snapshot: reviving ${classes[id]!.name} (object ${id}) failed: ${(e as Error)?.message ?? String(e)}`);
    }
  }
  return root;
}

/** A save/restore object waiting for phase 3: the shell, its class, the data its save gave, its id. */
/** A saved object to restore; `frozen`: it was frozen, and is frozen again once restored (restore writes its fields). */
export type Restore = [obj: object, cls: RegisteredClass, data: unknown, id: number, frozen: boolean];
