/**
 * unpackGraph: packed bytes (graph-pack.ts) back into objects, in readGraph's phases (graph-read.ts): every
 * shell first (unknown class and code names refused), then every object filled, then restores, beforeRevive
 * and revives in reverse table order — the same objects, refusals and messages as readGraph. Bytes that end
 * early or say something impossible are refused as a malformed graph; nothing half-made escapes.
 */
import { malformed } from './graph-format.js';
import { boundCode, bytesObject, checkClassKind, classByName, finishRead, namedValue, type ReadOptions, type Restore } from './graph-read.js';
import { FROZEN, KINDS, PACK_MAGIC, PACK_VERSION, Tag, versionMismatch } from './graph-pack.js';
import type { RegisteredClass } from './registry.js';
import { define, fillFields } from './graph-assign.js';

/** The root of a graph packGraph packed, as new objects. */
export function unpackGraph<T = unknown>(bytes: Uint8Array, options: ReadOptions = {}): T {
  if (bytes.length < 5 || new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) !== PACK_MAGIC || bytes[4] !== PACK_VERSION) throw versionMismatch(bytes);
  return new Unpacker(bytes, options).read() as T;
}

class Unpacker {
  private at = 5;
  private readonly shells: object[] = [];
  private kinds = new Uint8Array(0);
  private readonly classes: (RegisteredClass | undefined)[] = [];
  private readonly codeArgs: unknown[][] = [];
  private readonly restores: Restore[] = [];
  private strings: string[] = [];
  private readonly view: DataView;
  private readonly text: Buffer;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: ReadOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  read(): unknown {
    const count = this.varint();
    if (count > this.bytes.length) throw malformed(`${count} objects in ${this.bytes.length} bytes`);
    this.kinds = new Uint8Array(count);
    for (let id = 0; id < count; id++) this.shell(id);
    this.strings = [];
    const root = this.value(this.byte(), -1);
    for (let id = 0; id < count; id++) this.fill(id);
    if (this.at !== this.bytes.length) throw malformed(`${this.bytes.length - this.at} bytes after the last object`);
    return finishRead(root, this.shells, this.classes, this.restores, this.options);
  }

  private shell(id: number): void {
    const byte = this.byte();
    const kind = KINDS[byte & ~FROZEN];
    this.kinds[id] = byte;
    let obj: object;
    switch (kind) {
      case 'object':
        obj = {};
        break;
      case 'null-object':
        obj = Object.create(null) as object;
        break;
      case 'array':
        obj = [];
        break;
      case 'map':
        obj = new Map();
        break;
      case 'set':
        obj = new Set();
        break;
      case 'bytes': {
        const name = this.string(this.byte(), id);
        const length = this.varint();
        if (this.at + length > this.bytes.length) throw malformed(`bytes ${id} end past the snapshot`);
        obj = bytesObject(name, this.bytes.subarray(this.at, (this.at += length)), id);
        break;
      }
      case 'class':
      case 'saved': {
        const cls = classByName(this.string(this.byte(), id), id);
        checkClassKind(cls, kind === 'saved', id);
        this.classes[id] = cls;
        obj = Object.create(cls.prototype) as object;
        break;
      }
      case 'code': {
        const args: unknown[] = [];
        this.codeArgs[id] = args;
        obj = boundCode(this.string(this.byte(), id), args, id);
        break;
      }
      default:
        throw malformed(`object ${id} has the unknown kind ${byte}`);
    }
    this.shells[id] = obj;
  }

  private fill(id: number): void {
    const obj = this.shells[id]!;
    const byte = this.kinds[id]!;
    switch (KINDS[byte & ~FROZEN]) {
      case 'object':
      case 'null-object': {
        const record = obj as Record<string, unknown>;
        for (let tag = this.byte(); tag !== Tag.End; tag = this.byte()) {
          const key = this.string(tag, id);
          const value = this.value(this.byte(), id);
          if (key === '__proto__') define(obj, key, value);
          else record[key] = value;
        }
        break;
      }
      case 'class': {
        const keys: string[] = [];
        const values: unknown[] = [];
        for (let tag = this.byte(); tag !== Tag.End; tag = this.byte()) {
          keys.push(this.string(tag, id));
          values.push(this.value(this.byte(), id));
        }
        fillFields(obj, this.classes[id]!.prototype, keys, values, this.classes[id]!.spec.transient);
        break;
      }
      case 'array': {
        const array = obj as unknown[];
        let i = 0;
        for (let tag = this.byte(); tag !== Tag.End; tag = this.byte(), i++) if (tag !== Tag.Hole) array[i] = this.value(tag, id);
        array.length = i;
        break;
      }
      case 'map':
        for (let tag = this.byte(); tag !== Tag.End; tag = this.byte()) {
          const key = this.value(tag, id);
          const next = this.byte();
          if (next === Tag.End) throw malformed(`map ${id} has an odd number of items`);
          (obj as Map<unknown, unknown>).set(key, this.value(next, id));
        }
        break;
      case 'set':
        for (let tag = this.byte(); tag !== Tag.End; tag = this.byte()) (obj as Set<unknown>).add(this.value(tag, id));
        break;
      case 'saved':
        this.restores.push([obj, this.classes[id]!, this.value(this.byte(), id), id, (byte & FROZEN) !== 0]);
        if (this.byte() !== Tag.End) throw malformed(`object ${id} (${this.classes[id]!.name}) has more than its data`);
        return; // (frozen once restored)
      case 'code': {
        const args = this.codeArgs[id]!;
        for (let tag = this.byte(); tag !== Tag.End; tag = this.byte()) args.push(this.value(tag, id));
        break;
      }
      case 'bytes':
        if (this.byte() !== Tag.End) throw malformed(`bytes ${id} have values`);
        break;
    }
    if (byte & FROZEN) Object.freeze(obj);
  }

  /** The value whose tag was just read, of object `id` (for messages; -1 is the root). */
  private value(tag: number, id: number): unknown {
    switch (tag) {
      case Tag.Int: {
        const n = this.varint();
        return (n >>> 1) ^ -(n & 1);
      }
      case Tag.Ref: {
        const ref = this.varint();
        if (ref >= this.shells.length) throw malformed(`object ${id} refers to object ${ref}`);
        return this.shells[ref];
      }
      case Tag.String:
      case Tag.StringRef:
        return this.string(tag, id);
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Float: {
        if (this.at + 8 > this.bytes.length) throw malformed('the snapshot ends inside a number');
        const v = this.view.getFloat64(this.at, true);
        this.at += 8;
        return v;
      }
      case Tag.Constant:
        return namedValue('constant', this.string(this.byte(), id), id, this.options);
      case Tag.Code:
        return namedValue('code', this.string(this.byte(), id), id, this.options);
      case Tag.User:
        return namedValue('user', this.string(this.byte(), id), id, this.options);
      case Tag.BigInt: {
        const text = this.string(this.byte(), id);
        if (!/^-?\d+$/.test(text)) throw malformed(`the bigint '${text}' in object ${id}`);
        return BigInt(text);
      }
      default:
        throw malformed(`the value tag ${tag} in object ${id}`);
    }
  }

  private string(tag: number, id: number): string {
    if (tag === Tag.StringRef) {
      const n = this.varint();
      if (n >= this.strings.length) throw malformed(`object ${id} names string ${n} of ${this.strings.length}`);
      return this.strings[n]!;
    }
    if (tag !== Tag.String) throw malformed(`object ${id} has a tag ${tag} where a string belongs`);
    const length = this.varint();
    const start = this.at;
    const end = start + length;
    if (end > this.bytes.length) throw malformed(`a string of object ${id} ends past the snapshot`);
    this.at = end;
    const s = decoded(this.bytes, start, end) ?? this.text.toString('utf8', start, end);
    this.strings.push(s);
    return s;
  }

  private byte(): number {
    if (this.at >= this.bytes.length) throw malformed('the snapshot ends early');
    return this.bytes[this.at++]!;
  }

  private varint(): number {
    const bytes = this.bytes;
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.at >= bytes.length) throw malformed('the snapshot ends inside a number');
      const b = bytes[this.at++]!;
      n |= (b & 0x7f) << shift;
      if (b < 0x80) return n >>> 0;
    }
    throw malformed('a number longer than 32 bits');
  }
}

/**
 * Short ASCII strings met before (field names, class names, state names: the same in every snapshot), by a hash
 * of their bytes: reading one again allocates nothing, and the same string object keys the same fields.
 */
const known = new Map<number, string>();
const KNOWN_MAX = 1 << 16;

/** A short ASCII string from its bytes, or undefined (not ASCII, or long: the native decoder takes it). */
function decoded(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start > 64) return undefined;
  let h = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b > 0x7f) return undefined;
    h = Math.imul(h ^ b, 0x01000193);
  }
  const s = known.get(h);
  if (s !== undefined && s.length === end - start) {
    let same = true;
    for (let i = 0; i < s.length && same; i++) same = s.charCodeAt(i) === bytes[start + i];
    if (same) return s;
  }
  const text = String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  if (s === undefined) {
    if (known.size >= KNOWN_MAX) known.clear();
    known.set(h, text);
  }
  return text;
}
