/**
 * The state key from the snapshot (issue 12, item 6): a world's object graph walked exactly as the snapshot
 * writer sees it (src/persist/registry.ts: registered classes' own fields, arrays, plain objects, Maps, Sets,
 * bytes, named constants, code-table functions with their bound data), with objects numbered in walk order, so
 * two worlds get one key only when their snapshots are equal up to that numbering. Fields a class declares
 * `transient` (caches, host attachments) or `history` (ids, counters that decide nothing) are left out; nothing
 * else can be: state a hand-written key forgot is in the snapshot, so it is in this key.
 *
 * The walk order is the graph's own: fields in declaration order, array elements by index, Map and Set entries
 * in insertion order. Where insertion order is history (a table of packets by allocation order), two worlds
 * differ here although the hand key (state-key.ts) sorts them alike: `snapshotDiff` names the first such path.
 */
import { codeStamp, constantName, registeredClass } from '../persist/registry.js';
import type { KeyWriter } from './key-writer.js';

/** Tags of the encoding (apart from any value a 32-bit word of data takes, which follows its tag). */
const enum Tag {
  Undefined = 0x7e000001, Null, False, True, Int, Double, String, Ref, Array, Map, Set, Plain, Class, Code, User,
  Constant, Bytes, Unknown, BigInt, Save,
}

const scratch = new Float64Array(1);
const scratchWords = new Int32Array(scratch.buffer);

/** FNV-1a over UTF-16 units with a murmur finaliser (as labels.ts names): one word per string. */
function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Field lists per prototype: own keys are read per object, the skip set per class once. */
const skipOf = new Map<object, ReadonlySet<string>>();

function skipped(proto: object, transient: readonly string[] | undefined, history: readonly string[] | undefined): ReadonlySet<string> {
  let skip = skipOf.get(proto);
  if (!skip) skipOf.set(proto, (skip = new Set([...(transient ?? []), ...(history ?? [])])));
  return skip;
}

/** Where the walk reports each value (the key writer; or a list of paths for snapshotDiff). */
interface Sink {
  w(value: number, path?: string): void;
}

/**
 * Encode the graph under `root` into `key` (reset first; call key.hash() after). `userName` names the
 * embedder's own functions (none in a checker world).
 */
export function encodeSnapshot(root: object, key: KeyWriter, userName: (fn: unknown) => string | undefined = () => undefined): void {
  key.reset();
  walkGraph(root, key, userName, false);
}

function walkGraph(root: object, sink: Sink, userName: (fn: unknown) => string | undefined, paths: boolean): void {
  const refs = new Map<object, number>();
  const visit = (value: unknown, path: string): void => {
    switch (typeof value) {
      case 'undefined':
        return sink.w(Tag.Undefined, path);
      case 'boolean':
        return sink.w(value ? Tag.True : Tag.False, path);
      case 'number':
        if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0)) {
          sink.w(Tag.Int, path);
          return sink.w(value, path);
        }
        scratch[0] = value;
        sink.w(Tag.Double, path);
        sink.w(scratchWords[0]!, path);
        return sink.w(scratchWords[1]!, path);
      case 'string':
        sink.w(Tag.String, path);
        return sink.w(stringHash(value), paths ? `${path}=${JSON.stringify(value.slice(0, 60))}` : path);
      case 'bigint':
        sink.w(Tag.BigInt, path);
        return sink.w(stringHash(value.toString()), path);
      case 'symbol':
        sink.w(Tag.Unknown, path);
        return sink.w(stringHash(String(value)), path);
      case 'function': {
        const stamp = codeStamp(value);
        if (stamp) {
          sink.w(Tag.Code, path);
          sink.w(stringHash(stamp.name), paths ? `${path}=code:${stamp.name}` : path);
          const args = stamp.args ?? [];
          sink.w(args.length, path);
          for (let i = 0; i < args.length; i++) visit(args[i], paths ? `${path}<${i}>` : path);
          return;
        }
        const name = userName(value);
        sink.w(Tag.User, path);
        // An anonymous closure: a snapshot refuses it; the key marks it by its source text (what it can see).
        return sink.w(stringHash(name ?? `closure:${String(value)}`), paths ? `${path}=${name ?? 'closure'}` : path);
      }
    }
    if (value === null) return sink.w(Tag.Null, path);
    const obj = value as object;
    const ref = refs.get(obj);
    if (ref !== undefined) {
      sink.w(Tag.Ref, path);
      return sink.w(ref, paths ? `${path}=ref` : path);
    }
    refs.set(obj, refs.size);
    const constant = constantName(obj);
    if (constant !== undefined) {
      sink.w(Tag.Constant, path);
      return sink.w(stringHash(constant), paths ? `${path}=${constant}` : path);
    }
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
      const bytes = obj instanceof ArrayBuffer ? new Uint8Array(obj) : new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength);
      sink.w(Tag.Bytes, path);
      sink.w(bytes.length, path);
      let h = 0x811c9dc5;
      for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
      return sink.w(h, path);
    }
    if (Array.isArray(obj)) {
      sink.w(Tag.Array, path);
      sink.w(obj.length, path);
      for (let i = 0; i < obj.length; i++) visit(obj[i], paths ? `${path}[${i}]` : path);
      return;
    }
    if (obj instanceof Map) {
      sink.w(Tag.Map, path);
      sink.w(obj.size, path);
      let i = 0;
      for (const [k, v] of obj) {
        const at = paths ? `${path}[${typeof k === 'object' && k !== null ? `#${i}` : String(k)}]` : path;
        visit(k, paths ? `${at}.key` : path);
        visit(v, at);
        i++;
      }
      return;
    }
    if (obj instanceof Set) {
      sink.w(Tag.Set, path);
      sink.w(obj.size, path);
      let i = 0;
      for (const v of obj) visit(v, paths ? `${path}{${i++}}` : path);
      return;
    }
    const registered = registeredClass(obj);
    const proto = Object.getPrototypeOf(obj) as object | null;
    if (registered) {
      sink.w(Tag.Class, path);
      sink.w(stringHash(registered.name), paths ? `${path}=${registered.name}` : path);
      if (registered.spec.save) {
        sink.w(Tag.Save, path);
        return visit(registered.spec.save(obj), paths ? `${path}<save>` : path);
      }
      fields(obj, skipped(proto!, registered.spec.transient, registered.spec.history), path);
      return;
    }
    if (proto === Object.prototype || proto === null) {
      sink.w(Tag.Plain, path);
      fields(obj, undefined, path);
      return;
    }
    // An unregistered class: a snapshot refuses it; the key still sees its own fields.
    sink.w(Tag.Unknown, path);
    sink.w(stringHash((obj as { constructor?: { name?: string } }).constructor?.name ?? '?'), path);
    fields(obj, undefined, path);
  };
  const fields = (obj: object, skip: ReadonlySet<string> | undefined, path: string): void => {
    const record = obj as Record<string, unknown>;
    for (const name in record) {
      if (!Object.prototype.hasOwnProperty.call(record, name) || skip?.has(name)) continue;
      const at = paths ? `${path}.${name}` : path;
      sink.w(stringHash(name), at);
      visit(record[name], at);
    }
  };
  visit(root, '');
}

/**
 * The leaves of two worlds' snapshot walks that differ, by path (at most `max`): what makes two worlds the hand
 * key merges different states here (a history field to declare, or state the hand key forgot).
 */
export function snapshotDiff(a: object, b: object, max = 5): { path: string; a: string; b: string }[] {
  const leaves = (root: object): [string, number][] => {
    const out: [string, number][] = [];
    walkGraph(root, { w: (value, path = '') => out.push([path, value]) }, () => undefined, true);
    return out;
  };
  const la = leaves(a);
  const lb = leaves(b);
  const diffs: { path: string; a: string; b: string }[] = [];
  const n = Math.max(la.length, lb.length);
  for (let i = 0; i < n && diffs.length < max; i++) {
    const [pa, va] = la[i] ?? ['(end)', 0];
    const [pb, vb] = lb[i] ?? ['(end)', 0];
    if (pa === pb && va === vb) continue;
    diffs.push({ path: pa === pb ? pa : `${pa} | ${pb}`, a: `${pa} ${va}`, b: `${pb} ${vb}` });
    // After the first structural difference the walks are out of step: report it alone.
    if (pa.replace(/=.*$/, '') !== pb.replace(/=.*$/, '')) break;
  }
  return diffs;
}
