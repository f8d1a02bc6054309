/**
 * The snapshot format of an object graph (writeGraph/readGraph): versioned, plain JSON (JSON.stringify and
 * JSON.parse carry it as is), a flat table of objects so that shared references and cycles survive.
 *
 * ```
 * { format: 'vmm-actors/graph', version: 1, root: <value>, objects: [<entry>, …] }
 * ```
 *
 * A **value** is a JSON primitive (string, boolean, null, a finite number other than -0) or a tagged array:
 * `['ref', i]` (object i of the table), `['undefined']`, `['number', 'NaN' | 'Infinity' | '-Infinity' | '-0']`,
 * `['bigint', '123']`, `['constant', name]` (defineConstant), `['code', name]` (an unbound code-table
 * function), `['user', name]` (an embedder's function, named by writeGraph's `userName`), `['hole']` (an array
 * hole). Every object (array, Map, Set …) is an **entry**, numbered in walk order (breadth-first from the root,
 * fields in their own order), so the same graph always writes the same JSON:
 *
 * | kind          | fields                                                                    |
 * |---------------|---------------------------------------------------------------------------|
 * | `object`      | `fields` (a plain object's own enumerable fields), `frozen?`               |
 * | `null-object` | the same for an object without a prototype                                |
 * | `array`       | `items` (holes as `['hole']`), `frozen?`                                  |
 * | `map`         | `items`: key, value, key, value … (keys may be objects)                   |
 * | `set`         | `items`                                                                   |
 * | `bytes`       | `name` (Buffer, Uint8Array, other typed arrays, ArrayBuffer), `data` (base64) |
 * | `class`       | `name` (persistable), `fields` (own enumerable minus transient), `frozen?` |
 * | `saved`       | `name` (persistable with save/restore), `data` (the value `save` gave)    |
 * | `code`        | `name` (code table), `items` (the arguments bindCode bound)               |
 */
import { VBoxError, VERR_INVALID_PARAMETER } from '../status.js';

export const GRAPH_FORMAT = 'vmm-actors/graph';
export const GRAPH_VERSION = 1;

export type GraphValue = string | number | boolean | null | readonly [tag: string, arg?: string | number];

export type EntryKind = 'object' | 'null-object' | 'array' | 'map' | 'set' | 'bytes' | 'class' | 'saved' | 'code';

export interface GraphEntry {
  readonly kind: EntryKind;
  readonly name?: string;
  readonly fields?: Record<string, GraphValue>;
  readonly items?: GraphValue[];
  readonly data?: GraphValue | string;
  readonly frozen?: true;
}

export interface PersistedGraph {
  readonly format: typeof GRAPH_FORMAT;
  readonly version: typeof GRAPH_VERSION;
  readonly root: GraphValue;
  readonly objects: GraphEntry[];
}

/** The typed arrays (and ArrayBuffer) a `bytes` entry may name; Buffer is Node's Uint8Array. */
export const BYTE_TYPES: Readonly<Record<string, (bytes: Uint8Array) => object>> = {
  Buffer: (b) => Buffer.from(b),
  ArrayBuffer: (b) => new Uint8Array(b).buffer,
  Uint8Array: (b) => new Uint8Array(b),
  Int8Array: (b) => new Int8Array(aligned(b, 1)),
  Uint8ClampedArray: (b) => new Uint8ClampedArray(aligned(b, 1)),
  Uint16Array: (b) => new Uint16Array(aligned(b, 2)),
  Int16Array: (b) => new Int16Array(aligned(b, 2)),
  Uint32Array: (b) => new Uint32Array(aligned(b, 4)),
  Int32Array: (b) => new Int32Array(aligned(b, 4)),
  Float32Array: (b) => new Float32Array(aligned(b, 4)),
  Float64Array: (b) => new Float64Array(aligned(b, 8)),
  BigInt64Array: (b) => new BigInt64Array(aligned(b, 8)),
  BigUint64Array: (b) => new BigUint64Array(aligned(b, 8)),
};

/** A fresh ArrayBuffer of `b`'s bytes, refused when its length is not a whole number of elements. */
function aligned(b: Uint8Array, size: number): ArrayBuffer {
  if (b.byteLength % size !== 0) throw malformed(`${b.byteLength} bytes are not whole ${size}-byte elements`);
  return new Uint8Array(b).buffer;
}

/** The name a `bytes` entry writes for `obj` (undefined: not bytes). */
export function bytesType(obj: object): string | undefined {
  if (Buffer.isBuffer(obj)) return 'Buffer';
  if (obj instanceof ArrayBuffer) return 'ArrayBuffer';
  if (!ArrayBuffer.isView(obj) || obj instanceof DataView) return undefined;
  const name = Object.getPrototypeOf(obj)?.constructor?.name as string | undefined;
  return name !== undefined && Object.hasOwn(BYTE_TYPES, name) ? name : undefined;
}

/** The bytes of a typed array or ArrayBuffer (a view, not a copy). */
export const bytesOf = (obj: object): Uint8Array =>
  obj instanceof ArrayBuffer ? new Uint8Array(obj) : new Uint8Array((obj as ArrayBufferView).buffer, (obj as ArrayBufferView).byteOffset, (obj as ArrayBufferView).byteLength);

/** A snapshot whose structure is broken (not one writeGraph wrote). */
export const malformed = (what: string): VBoxError => new VBoxError(VERR_INVALID_PARAMETER, `snapshot: malformed graph: ${what}`);
