/**
 * The state key from the snapshot (issue 12, item 6): the world's object graph fed by the snapshot writer's own
 * canonical walk (src/persist/graph-walk.ts encodeGraph, `skipHistory`) into the key writer — objects numbered
 * in walk order, fields a class declares `transient` (caches, host attachments) or `history` (ids, counters that
 * decide nothing) left out. Two worlds get one key exactly when their snapshots are equal up to that numbering,
 * so state a hand-written key would forget is in this key: nothing can be left out by omission.
 *
 * The walk is canonical where the engine's data is not (ClassSpec in src/persist/registry.ts): collections whose
 * order means nothing (`unordered`: the ready list, the checker's name tables, save flows) are walked sorted by
 * canonical numbers; times are relative to now (`times`, `keyFields`); ids are history, and a field holding an
 * id in a table is written as what the id names (`keyFields`: function ids as the functions); the monitors as
 * their own `encode` (World's keyFields). So on the suite's scenarios this key merges exactly the states the hand
 * key does (test/check/snapshot-key-equal.test.ts); `snapshotDiff` names the first path where two worlds part.
 * The explorer's key is the fused walk of key-walk.ts (the same rules, compiled per class, no strings); this
 * file's generic walk (encodeGraph through a word sink) stays for snapshotDiff, which names fields. With symmetry
 * the walk renames vCPUs (symmetry.ts's canonical order; key-cpus.ts says where CPU ids are). It costs 1.5–2.6×
 * the hand key's explorer time, so the explorer keeps the hand key by default (bench/check-snapshot-key.ts; where
 * the cost is: docs/model-checking-internals.md).
 */
import { encodeGraph, type GraphSink, type Primitive } from '../persist/graph.js';
import { KeyWriter } from './key-writer.js';
import { KeyWalk } from './key-walk.js';
import type { Renaming } from './key-cpus.js';
import { hashOf, Tag } from './key-words.js';

const scratch = new Float64Array(1);
const scratchWords = new Int32Array(scratch.buffer);

/** The walk as 32-bit words: `w(word, what)` gets each word and (for snapshotDiff) what it encodes. */
class WordSink implements GraphSink {
  constructor(readonly w: (word: number, what?: string) => void) {}

  begin(_id: number, kind: string, name: string | undefined): void {
    this.w(Tag.Begin, kind);
    this.w(name === undefined ? 0 : hashOf(name), name);
  }

  key(key: string): void {
    this.w(Tag.Key, key);
    this.w(hashOf(key));
  }

  value(value: Primitive): void {
    switch (typeof value) {
      case 'undefined':
        return this.w(Tag.Undefined);
      case 'boolean':
        return this.w(value ? Tag.True : Tag.False);
      case 'number':
        if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0)) {
          this.w(Tag.Int);
          return this.w(value, String(value));
        }
        scratch[0] = value;
        this.w(Tag.Double);
        this.w(scratchWords[0]!, String(value));
        return this.w(scratchWords[1]!);
      case 'string':
        this.w(Tag.String);
        return this.w(hashOf(value), JSON.stringify(value.slice(0, 60)));
      case 'bigint':
        this.w(Tag.BigInt);
        return this.w(hashOf(value.toString()), value.toString());
      default:
        return this.w(Tag.Null);
    }
  }

  ref(id: number): void {
    this.w(Tag.Ref);
    this.w(id, `ref ${id}`);
  }

  named(tag: string, name: string): void {
    this.w(Tag.Named, tag);
    this.w(hashOf(name), name);
  }

  hole(): void {
    this.w(Tag.Hole);
  }

  bytes(data: Uint8Array): void {
    let h = 0x811c9dc5;
    for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
    this.w(Tag.Bytes);
    this.w(data.length);
    this.w(h, `${data.length} bytes`);
  }

  end(): void {
    this.w(Tag.End);
  }
}

let idle: KeyWalk | null = new KeyWalk();

/** Encode the graph under `root` into `key` (reset first; call key.hash() after). */
export function encodeSnapshot(root: object, key: KeyWriter, now = 0, renaming: Renaming | null = null): void {
  const walk = idle ?? new KeyWalk(); // (a walk inside a walk gets its own)
  idle = null;
  try {
    walk.encode(root, key, now, renaming);
  } finally {
    idle = walk;
  }
}

/**
 * Where two worlds' snapshot walks part (history left out): the object (as the path it was first reached by), the
 * field, and what each side has there. Empty when the snapshots are equal. A hand-key merge that differs here is
 * a history field to declare, or state the hand key forgot.
 */
export function snapshotDiff(a: object, b: object, ra?: Renaming | null, rb?: Renaming | null): { path: string; a: string; b: string } | null {
  if (ra || rb) return renamedDiff(a, b, ra ?? null, rb ?? null);
  const la = leaves(a);
  const lb = leaves(b);
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    const x = la[i];
    const y = lb[i];
    if (x && y && x.word === y.word) continue;
    return { path: x?.path ?? y?.path ?? '?', a: x ? x.what : '(end)', b: y ? y.what : '(end)' };
  }
  return null;
}

/**
 * Where two renamed walks (the fused walk: no field names) part: the object being written there (its class and
 * number) and the word offset in it.
 */
function renamedDiff(a: object, b: object, ra: Renaming | null, rb: Renaming | null): { path: string; a: string; b: string } | null {
  const walk = (root: object, r: Renaming | null) => {
    const w = new KeyWalk();
    const key = new KeyWriter();
    w.starts = [];
    w.encode(root, key, nowOf(root), r);
    return { words: key.buf.slice(0, key.length), starts: w.starts };
  };
  const x = walk(a, ra);
  const y = walk(b, rb);
  const n = Math.max(x.words.length, y.words.length);
  for (let i = 0; i < n; i++) {
    if (x.words[i] === y.words[i]) continue;
    const where = (s: typeof x.starts) => {
      let k = s.length - 1;
      while (k > 0 && s[k]!.at > i) k--;
      const obj = s[k]?.obj;
      const name = Object.getPrototypeOf(obj ?? {})?.constructor?.name;
      return obj ? `#${k} ${name && name !== 'Object' ? name : `{${Object.keys(obj).join(',')}}`} +${i - s[k]!.at}` : '?';
    };
    return { path: `${where(x.starts)} / ${where(y.starts)}`, a: String(x.words[i]), b: String(y.words[i]) };
  }
  return null;
}

/** A world's virtual time (0 for a root without a scheduler). */
const nowOf = (root: object): number => (root as { sched?: { clock?: { nowNs(): number } } }).sched?.clock?.nowNs() ?? 0;

/** Every word of the walk with the path of the field it belongs to. */
function leaves(root: object): { path: string; word: number; what: string }[] {
  const out: { path: string; word: number; what: string }[] = [];
  const paths = [''];
  let current = '';
  let field = '';
  let item = 0;
  let object = -1;
  const sink = new WordSink((word, what) => out.push({ path: `${current}${field}`, word, what: what ?? String(word) }));
  // Object paths: an object is named by the field that first refers to it (the walk is breadth-first).
  const begin = sink.begin.bind(sink);
  sink.begin = (id, kind, name) => {
    object = id;
    current = paths[id] ?? `#${id}`;
    field = '';
    item = 0;
    begin(id, kind, name);
  };
  const key = sink.key.bind(sink);
  sink.key = (k) => {
    field = `.${k}`;
    key(k);
  };
  const ref = sink.ref.bind(sink);
  sink.ref = (id) => {
    if (paths[id] === undefined) paths[id] = object < 0 ? '' : `${current}${field || `[${item}]`}`;
    if (!field) item++;
    ref(id);
  };
  const value = sink.value.bind(sink);
  sink.value = (v) => {
    if (!field) item++;
    value(v);
  };
  encodeGraph(root, sink, { skipHistory: true, now: nowOf(root) });
  return out;
}
