/**
 * The snapshot state key's walk, fused with its sink: the canonical walk of src/persist/graph-walk.ts with
 * `skipHistory` (same order, same numbering, same `unordered`/`times`/`keyFields`/`keySave` rules), writing
 * 32-bit words straight into a KeyWriter. A registered class is written by a writer compiled once per class
 * (key-class-writers.ts, like graph-copier.ts): its field names written out (monomorphic reads), no field-name words (one shape word
 * names the class and its field list), no per-field dispatch. An instance whose fields are not its class's usual
 * ones takes the generic path, which writes the field names: both spell the snapshot, so a field nobody listed
 * anywhere still tells states apart. A frozen record of frozen data (configuration, call specs) is written as the
 * digest of its own walk, cached by identity (key-frozen.ts). key-names.ts is this walk naming the fields it writes
 * (through the protected hooks below, which a plain walk inlines): the hand key's field guard follows these rules.
 */
import { bytesOf, bytesType } from '../persist/graph-format.js';
import { closureRefusal, classRefusal, refusalError, symbolRefusal } from '../persist/graph-walk.js';
import { inheritsEnumerable, planOf } from '../persist/graph-plan.js';
import { classGeneration, codeStamp, constantName, unfrozenConstantPrototypes, type ClassSpec } from '../persist/registry.js';
import type { KeyWriter } from './key-writer.js';
import { compile, cpuFieldsOf, type ClassWriter, type Compiled } from './key-class-writers.js';
import { CPU_NAMED, MACHINE_CPU_CONTEXT, renameData, undeclared, type CpuField, type CpuFields, type Renaming } from './key-cpus.js';
import { MachineCell } from '../sched/machine-cell.js';
import { hashOf, KIND, Tag } from './key-words.js';
import { writeUnordered } from './key-unordered.js';
import { sameKeys } from '../persist/graph-copier.js';
import { frozenDigest } from './key-frozen.js';

const scratch = new Float64Array(1);
const scratchWords = new Int32Array(scratch.buffer);

const compiled = new Map<object, Compiled | null>();
let compiledGeneration = -1;

const newWalk = (): KeyWalk => new KeyWalk();

/** One walk at a time per instance (the explorer keeps one); nothing it allocates per state but the id table's entries. */
export class KeyWalk {
  /** Object → its number in this walk (cleared after each: entries must not keep a world alive). */
  readonly ids = new Map<object, number>();
  /** The objects in walk order: the first `count` entries (kept at its size: a truncated array grows again). */
  private readonly order: (object | undefined)[] = [];
  private count = 0;
  private readonly late: object[] = [];
  /** deferred[i]: object i is an unordered collection, walked last (late); set false when i is numbered. */
  private readonly deferred: boolean[] = [];
  /** ownsItems[i]: object i is an array in an `ownedItems` field (its items are owned as well). */
  private readonly ownsItems: boolean[] = [];
  private readonly plainForIn = !inheritsEnumerable(Object.prototype);
  private buf = new Int32Array(1024);
  private n = 0;
  now = 0;
  /** The vCPU renaming (symmetry): every CPU id key-cpus.ts declares is written renamed. Null: none. */
  renaming: Renaming | null = null;
  /** CPU `c` as this walk writes it (a class's keyFields get it: the monitors' `encode` CPU map). */
  readonly cpu = (c: number): number => {
    const r = this.renaming;
    return r && c >= 0 && c < r.position.length ? r.position[c]! : c;
  };
  /** For snapshotDiff: where each object's words start, and the object (null: not kept). */
  starts: { at: number; obj: object }[] | null = null;
  /** Renamed copies written in place of their originals (their fields are renamed already). */
  private readonly copies = new Set<object>();

  /** Encode the graph under `root` into `key` (reset first; call key.hash() after). */
  encode(root: object, key: KeyWriter, now: number, renaming: Renaming | null = null): void {
    this.now = now;
    this.buf = key.buf;
    this.n = 0;
    this.renaming = renaming;
    try {
      this.run(root);
    } catch (e) {
      throw refusalError(e, root, 'write');
    } finally {
      this.renaming = null;
      this.copies.clear();
      key.buf = this.buf;
      key.length = this.n;
      this.ids.clear();
      this.order.fill(undefined, 0, this.count); // (no world kept alive)
      this.count = 0;
      this.late.length = 0;
    }
  }

  private run(root: object): void {
    if (compiledGeneration !== classGeneration()) {
      compiled.clear();
      compiledGeneration = classGeneration();
    }
    this.value(root);
    const { order, late, deferred } = this;
    for (let i = 0, j = 0; ; ) {
      for (; i < this.count; i++) {
        const obj = order[i]!;
        if (deferred[i] === true) continue;
        this.visit(obj);
        if (this.ownsItems[i] === true && Array.isArray(obj)) this.ownedArray(obj);
        else this.object(obj);
      }
      if (j === late.length) break;
      const obj = late[j]!;
      this.visit(obj);
      if (!writeUnordered(this, obj)) this.object(obj);
      j++;
    }
  }

  /** Object `obj`'s words start here (its number is its place in the walk's order). */
  protected visit(obj: object): void {
    this.starts?.push({ at: this.n, obj });
  }

  /** A field's name, on the generic path (compiled writers name their fields in the shape word instead). */
  protected fieldName(name: string): void {
    this.w(Tag.Key);
    this.w(hashOf(name));
  }

  /** A class written as a record (its keySave or save): the record. */
  protected savedValue(_owner: object, data: unknown): void {
    this.value(data);
  }

  /** A compiled class writer for this walk (null: the generic path). */
  protected classWriter(compiled: Compiled): ClassWriter | null {
    return this.renaming ? compiled.renamed : compiled.write;
  }

  w(word: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Int32Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = word | 0;
  }

  /** Any value. */
  value(v: unknown): void {
    switch (typeof v) {
      case 'object':
        if (v === null) return this.w(Tag.Null);
        return this.objectValue(v);
      case 'number':
        return this.number(v);
      case 'string':
        this.w(Tag.String);
        return this.w(hashOf(v));
      case 'boolean':
        return this.w(v ? Tag.True : Tag.False);
      case 'undefined':
        return this.w(Tag.Undefined);
      case 'function': {
        const stamp = codeStamp(v);
        if (!stamp) throw closureRefusal(v);
        if (!stamp.args) {
          this.w(Tag.Code);
          return this.w(hashOf(stamp.name));
        }
        return this.objectValue(v);
      }
      case 'bigint':
        this.w(Tag.BigInt);
        return this.w(hashOf(v.toString()));
      default:
        throw symbolRefusal(v as symbol);
    }
  }

  number(v: number): void {
    if ((v | 0) === v && !Object.is(v, -0)) {
      this.w(Tag.Int);
      return this.w(v);
    }
    scratch[0] = v;
    this.w(Tag.Double);
    this.w(scratchWords[0]!);
    this.w(scratchWords[1]!);
  }

  /** An object: its number, a constant's name, or the next number (it is walked in turn). */
  objectValue(v: object): void {
    const id = this.ids.get(v);
    if (id !== undefined) {
      this.w(Tag.Ref);
      return this.w(id);
    }
    if (typeof v === 'object') {
      const frozen = Object.isFrozen(v);
      if (frozen || unfrozenConstantPrototypes.has(Object.getPrototypeOf(v) as object | null)) {
        const name = constantName(v);
        if (name !== undefined) {
          this.w(Tag.Named);
          return this.w(hashOf(name));
        }
        const digest = frozen ? frozenDigest(v, newWalk) : null;
        if (digest !== null) {
          this.w(Tag.Frozen);
          this.w(digest[0]);
          return this.w(digest[1]);
        }
      }
    }
    this.enter(v, true);
  }

  /**
   * An object in an owned field (ClassSpec.owned: nothing else in the engine refers to it): the next number, as
   * objectValue gives it, with no identity-table entry, which no later reference can need (most of a world's
   * objects have one referrer). The copier (graph-copy.ts) trusts the same declaration, and its verifyOwnership
   * test checks it; frozen objects and named constants go the usual way.
   */
  ownedValue(v: object): void {
    if (Object.isFrozen(v) || unfrozenConstantPrototypes.has(Object.getPrototypeOf(v) as object | null)) return this.objectValue(v);
    this.enter(v, false);
  }

  /** An object in an `ownedItems` field: owned, and so are the items of the array it is (ClassSpec.ownedItems). */
  ownedItemsValue(v: object): void {
    const at = this.count;
    this.ownedValue(v);
    if (this.count > at) this.ownsItems[at] = true;
  }

  /** An array whose items are owned: object() for an array, its object items through ownedValue. */
  private ownedArray(items: unknown[]): void {
    this.begin(KIND.array, items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item === 'object' && item !== null) this.ownedValue(item);
      else if (item !== undefined || i in items) this.value(item);
      else this.w(Tag.Hole);
    }
    this.w(Tag.End);
  }

  /** Give `v` the next number (in the identity table too when `table`: it may be met again) and walk it in turn. */
  private enter(v: object, table: boolean): void {
    if (table) this.ids.set(v, this.count);
    if (this.count === this.order.length) {
      this.order.push(v);
      this.deferred.push(false);
      this.ownsItems.push(false);
    } else {
      this.order[this.count] = v;
      this.deferred[this.count] = false;
      this.ownsItems[this.count] = false;
    }
    this.count++;
    this.w(Tag.New);
  }

  begin(kind: number, name: number): void {
    this.w(Tag.Begin);
    this.w(kind);
    this.w(name);
  }

  private object(obj: object): void {
    if (typeof obj === 'function') {
      const stamp = codeStamp(obj)!;
      this.begin(Tag.Code, hashOf(stamp.name));
      for (const arg of stamp.args!) this.value(arg);
      return this.w(Tag.End);
    }
    const proto = Object.getPrototypeOf(obj) as object | null;
    if (proto === Object.prototype || proto === null) {
      this.begin(proto === null ? KIND['null-object'] : KIND.object, 0);
      if (this.renaming && !this.copies.has(obj)) for (const key in obj) if (CPU_NAMED.test(key)) throw undeclared(`a plain object's field '${key}' (declare it where the object is held)`);
      this.fields(obj, undefined, this.plainForIn);
    } else if (proto === Array.prototype) {
      const items = obj as unknown[];
      this.begin(KIND.array, items.length);
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (item !== undefined || i in items) this.value(item); // (`in` only where a hole may be: it is dear)
        else this.w(Tag.Hole);
      }
    } else if (proto === Map.prototype) {
      this.begin(KIND.map, (obj as Map<unknown, unknown>).size);
      for (const [k, v] of obj as Map<unknown, unknown>) {
        this.value(k);
        this.value(v);
      }
    } else if (proto === Set.prototype) {
      this.begin(KIND.set, (obj as Set<unknown>).size);
      for (const v of obj as Set<unknown>) this.value(v);
    } else {
      let writer = compiled.get(proto);
      if (writer === undefined) {
        writer = compile(proto, obj);
        compiled.set(proto, writer);
      }
      const write = writer !== null && sameKeys(obj, writer.keys) ? this.classWriter(writer) : null;
      if (write !== null) write(obj, this);
      else this.classObject(obj, proto);
    }
    this.w(Tag.End);
  }

  /** A registered class the generic way (or bytes): graph-walk.ts's rules, field names written. */
  private classObject(obj: object, proto: object): void {
    const plan = planOf(proto);
    if (!plan) {
      const type = bytesType(obj);
      if (type === undefined) throw classRefusal(obj, proto);
      const data = bytesOf(obj);
      let h = 0x811c9dc5;
      for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
      this.begin(Tag.Bytes, hashOf(type));
      this.w(data.length);
      return this.w(h);
    }
    const { spec, name } = plan.entry;
    const cpus = this.renaming ? cpuFieldsOf(name, Object.keys(obj)) : undefined;
    let keyed = spec.keySave ? spec.keySave(obj) : undefined;
    if (keyed !== undefined || spec.save) {
      this.begin(KIND.saved, hashOf(name));
      if (this.renaming && obj instanceof MachineCell && keyed !== undefined) keyed = this.renamedCell(obj, keyed);
      return this.savedValue(obj, keyed !== undefined ? keyed : spec.save!(obj));
    }
    this.begin(KIND.class, hashOf(name));
    if (spec.unordered || spec.times || spec.keyFields || cpus) return this.keyFields(obj, plan.unkeyed, spec, cpus);
    this.fields(obj, plan.unkeyed, plan.forIn);
  }

  /** A machine cell's key record (MachineCell's keySave) with the CPU ids of its context renamed. */
  private renamedCell(cell: MachineCell, keyed: unknown): unknown {
    const id = (cell.machine as { id?: string }).id ?? '?';
    const fields = MACHINE_CPU_CONTEXT[id];
    if (!fields) throw undeclared(`machine '${id}'`);
    const record = keyed as { context: unknown };
    return { ...record, context: renameData({ fields }, record.context, this.renaming!) };
  }

  private keyFields(obj: object, skip: ReadonlySet<string> | undefined, spec: ClassSpec, cpus?: CpuFields): void {
    const { unordered, times, keyFields } = spec;
    const record = obj as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (skip?.has(key)) continue;
      this.fieldName(key);
      const as = keyFields?.[key];
      const v = as ? as(obj, record[key], this.now, this.cpu) : record[key];
      if (cpus?.[key]) this.cpuField(cpus[key], v);
      else if (times?.includes(key)) this.time(v);
      else if (unordered?.includes(key)) this.unorderedField(v);
      else this.value(v);
    }
  }

  /**
   * A field holding CPU ids (key-cpus.ts) under the renaming: written renamed. An object renamed is a copy
   * written in place of the original, which is then known by the copy's number; an original met before by a
   * path that did not rename it would be written twice, differently: refused.
   */
  cpuField(decl: CpuField, v: unknown): void {
    const out = renameData(decl, v, this.renaming!);
    if (out === v || typeof v !== 'object' || v === null) return this.value(out);
    if (this.ids.has(v)) throw undeclared(`an object holding CPU ids, met before the field that declares it,`);
    this.copies.add(out as object);
    this.objectValue(out as object);
    this.ids.set(v, this.ids.get(out as object)!);
  }

  /** A `times` field's value: relative to now. */
  time(v: unknown): void {
    if (typeof v === 'number') this.number(v - this.now);
    else this.value(v);
  }

  /** An `unordered` field's value: a collection met here for the first time is walked last, sorted. */
  unorderedField(v: unknown): void {
    if (typeof v !== 'object' || v === null || this.ids.get(v) !== undefined) return this.value(v);
    this.objectValue(v);
    if (this.ids.get(v) !== undefined) {
      this.deferred[this.ids.get(v)!] = true;
      this.late.push(v);
    }
  }

  private fields(obj: object, skip: ReadonlySet<string> | undefined, forIn: boolean): void {
    const record = obj as Record<string, unknown>;
    if (forIn) {
      for (const key in record) {
        if (skip?.has(key)) continue;
        this.fieldName(key);
        this.value(record[key]);
      }
      return;
    }
    for (const key of Object.keys(obj)) {
      if (skip?.has(key)) continue;
      this.fieldName(key);
      this.value(record[key]);
    }
  }

  /** A frozen record's digest (key-frozen.ts), or null. */
  frozen(v: object): readonly [number, number] | null {
    return frozenDigest(v, newWalk);
  }
}
