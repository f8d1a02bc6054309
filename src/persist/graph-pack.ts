/**
 * The binary snapshot format (packGraph/unpackGraph): the graph writeGraph writes — the same canonical walk
 * (graph-walk.ts), the same registry semantics and refusals — as compact bytes that write and read in a small
 * fraction of JSON's time (frontier states travel between threads this way, issue 17).
 *
 * ```
 * magic 'VMAG' (u32), version u8, object count (varint), shells, then the body: the root value, each object's values
 * shell:  kind u8 (| 0x80 frozen), then by kind: class/saved/code a name; bytes a name, a length, the bytes
 * body:   per object in table order, its values up to END; fields as key (a string) then value; a map's items
 *         key, value, key, value …; a saved class its one value (the data its save gave)
 * value:  a tag byte (Tag below) and its argument: ints as zigzag varints, other numbers as float64, strings
 *         as UTF-8 the first time a message uses them and by number after (field names cost a byte or two)
 * ```
 *
 * Shells come first so that every object exists before any value refers to it (refs may point forward).
 */
import { VBoxError, VERR_VERSION_MISMATCH } from '../status.js';
import { type EntryKind } from './graph-format.js';
import { encodeGraph, type GraphSink, type Primitive } from './graph-walk.js';
import type { WriteOptions } from './graph-write.js';

export const PACK_MAGIC = 0x47414d56; // 'VMAG' little-endian
export const PACK_VERSION = 1;

export const enum Tag {
  End,
  Undefined,
  Null,
  False,
  True,
  Int,
  Float,
  String,
  StringRef,
  Ref,
  Constant,
  Code,
  User,
  Hole,
  BigInt,
}

/** Entry kinds by number (the shell's kind byte). */
export const KINDS: readonly EntryKind[] = ['object', 'null-object', 'array', 'map', 'set', 'bytes', 'class', 'saved', 'code'];
const KIND_NUMBER = new Map(KINDS.map((k, i) => [k, i]));
export const FROZEN = 0x80;

/** A growable byte buffer with the writer's primitives. */
class Bytes {
  buf = new Uint8Array(1 << 14);
  view = new DataView(this.buf.buffer);
  at = 0;

  reset(): void {
    this.at = 0;
  }

  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  byte(b: number): void {
    if (this.at >= this.buf.length) this.room(1);
    this.buf[this.at++] = b;
  }

  varint(n: number): void {
    this.room(5);
    const buf = this.buf;
    let at = this.at;
    while (n > 0x7f) {
      buf[at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[at++] = n;
    this.at = at;
  }

  float(v: number): void {
    this.room(8);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  raw(data: Uint8Array): void {
    this.room(data.length);
    this.buf.set(data, this.at);
    this.at += data.length;
  }

  /** UTF-8, its byte length first (one pass for ASCII, the common case; the encoder for the rest). */
  utf8(s: string): void {
    const n = s.length;
    this.room(5 + n);
    const start = this.at;
    this.varint(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.at = start;
        const bytes = encoder.encode(s);
        this.varint(bytes.length);
        return this.raw(bytes);
      }
      buf[at++] = c;
    }
    this.at = at;
  }
}

const encoder = new TextEncoder();

class PackSink implements GraphSink {
  readonly shells = new Bytes();
  readonly body = new Bytes();
  /** Strings by number, one table per section (the reader reads every shell before any body). */
  readonly shellStrings = new StringTable();
  readonly bodyStrings = new StringTable();
  count = 0;

  reset(): void {
    this.shells.reset();
    this.body.reset();
    this.shellStrings.reset();
    this.bodyStrings.reset();
    this.count = 0;
  }

  begin(id: number, kind: EntryKind, name: string | undefined, frozen: boolean): void {
    this.count = id + 1;
    this.shells.byte(KIND_NUMBER.get(kind)! | (frozen ? FROZEN : 0));
    if (name !== undefined) this.string(this.shells, name);
  }

  key(key: string): void {
    this.string(this.body, key);
  }

  value(v: Primitive): void {
    const body = this.body;
    switch (typeof v) {
      case 'string':
        return this.string(body, v);
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) {
          body.byte(Tag.Int);
          return body.varint(((v << 1) ^ (v >> 31)) >>> 0);
        }
        body.byte(Tag.Float);
        return body.float(v);
      case 'boolean':
        return body.byte(v ? Tag.True : Tag.False);
      case 'undefined':
        return body.byte(Tag.Undefined);
      case 'bigint':
        body.byte(Tag.BigInt);
        return this.string(body, v.toString());
      default:
        return body.byte(Tag.Null);
    }
  }

  ref(id: number): void {
    this.body.byte(Tag.Ref);
    this.body.varint(id);
  }

  named(tag: 'constant' | 'code' | 'user', name: string): void {
    this.body.byte(tag === 'constant' ? Tag.Constant : tag === 'code' ? Tag.Code : Tag.User);
    this.string(this.body, name);
  }

  hole(): void {
    this.body.byte(Tag.Hole);
  }

  /**
   * A transient field, as undefined in its place: unpacked, the object gets its fields in its class's usual order
   * (appended after the others, a World, VmCore, Emt … had another shape than the engine's own objects, so the copier's
   * compiled fills and the engine's field accesses met two shapes; a kept world snapshot was copied field by field).
   */
  skipped(key: string): void {
    this.key(key);
    this.body.byte(Tag.Undefined);
  }

  bytes(data: Uint8Array): void {
    this.shells.varint(data.length);
    this.shells.raw(data);
  }

  end(): void {
    this.body.byte(Tag.End);
  }

  /** A string: its text the first time, then its number. */
  private string(out: Bytes, s: string): void {
    const known = (out === this.body ? this.bodyStrings : this.shellStrings).number(s);
    if (known >= 0) {
      out.byte(Tag.StringRef);
      return out.varint(known);
    }
    out.byte(Tag.String);
    out.utf8(s);
  }
}

/**
 * One section's strings by number, kept from message to message: a Map emptied per message grew from nothing each
 * time (about 200 strings a world, several rehashes: a third of packing a world). An entry holds a stamp that
 * counts every string numbered so far; it numbers this message's string `stamp − base`, and a stamp below `base` is
 * from an earlier message. Past STRINGS_MAX entries (string values of ever new names) it starts afresh; long strings
 * are not kept, so what it holds stays small.
 */
class StringTable {
  readonly #stamps = new Map<string, number>();
  #base = 0;
  #next = 0;

  reset(): void {
    if (this.#stamps.size > STRINGS_MAX) this.#stamps.clear();
    this.#base = this.#next;
  }

  /** The number of `s` in this message, or -1 when this is its first use (it is numbered now). */
  number(s: string): number {
    // A long string is numbered but not kept (its text again where it recurs: the reader numbers each text it reads).
    if (s.length > STRING_KEPT_CHARS) return (this.#next++, -1);
    const stamp = this.#stamps.get(s);
    if (stamp !== undefined && stamp >= this.#base) return stamp - this.#base;
    this.#stamps.set(s, this.#next++);
    return -1;
  }
}
const STRINGS_MAX = 8192;
/** Longer strings are not kept in a StringTable (which keeps at most STRINGS_MAX of at most this many characters). */
const STRING_KEPT_CHARS = 256;

/** One sink reused (its buffers grow to the largest graph written): packing allocates only the result. */
const sink = new PackSink();
let packing = false;

/**
 * The graph reachable from `root` as bytes (its own ArrayBuffer, exactly as long: transferable to a worker).
 * Refused exactly as writeGraph refuses: a closure, a symbol, an object of an unregistered class.
 */
export function packGraph(root: unknown, options: WriteOptions = {}): Uint8Array {
  // A revive or save hook that packs again (never today) gets a sink of its own.
  const s = packing ? new PackSink() : sink;
  packing = s === sink;
  try {
    s.reset();
    encodeGraph(root, s, options);
    const head = new Bytes();
    head.buf = new Uint8Array(16);
    head.view = new DataView(head.buf.buffer);
    head.view.setUint32(0, PACK_MAGIC, true);
    head.at = 4;
    head.byte(PACK_VERSION);
    head.varint(s.count);
    const out = new Uint8Array(head.at + s.shells.at + s.body.at);
    out.set(head.buf.subarray(0, head.at), 0);
    out.set(s.shells.buf.subarray(0, s.shells.at), head.at);
    out.set(s.body.buf.subarray(0, s.body.at), head.at + s.shells.at);
    return out;
  } finally {
    if (s === sink) packing = false;
  }
}

/** Bytes that are not a packed graph of this version. */
export function versionMismatch(bytes: Uint8Array): VBoxError {
  const magic = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) : -1;
  const said = magic === PACK_MAGIC ? `version ${bytes[4] ?? '?'}` : `${bytes.length} bytes that are not a packed graph`;
  return new VBoxError(VERR_VERSION_MISMATCH, `snapshot: expected a packed graph version ${PACK_VERSION}, got ${said}`);
}
