/**
 * writeGraph: the canonical walk (graph-walk.ts) into the JSON format of graph-format.ts.
 */
import { GRAPH_FORMAT, GRAPH_VERSION, type EntryKind, type GraphEntry, type GraphValue, type PersistedGraph } from './graph-format.js';
import { encodeGraph, type GraphSink, type Primitive, type WalkOptions } from './graph-walk.js';

export interface WriteOptions {
  /** The name of an embedder's function (createVMM's `functions`); a function it does not name is refused. */
  readonly userName?: (fn: Function) => string | undefined;
}

/**
 * The graph reachable from `root` as a versioned, JSON-serializable snapshot. Writing the same graph twice gives
 * identical JSON. Refused (VBoxError VERR_NOT_SUPPORTED naming the path): a closure, a symbol, an object of an
 * unregistered class.
 */
export function writeGraph(root: unknown, options: WriteOptions = {}): PersistedGraph {
  const sink = new JsonSink();
  encodeGraph(root, sink, options satisfies WalkOptions);
  return { format: GRAPH_FORMAT, version: GRAPH_VERSION, root: sink.root, objects: sink.objects };
}

type Building = { kind: EntryKind; name?: string; fields?: Record<string, GraphValue>; items?: GraphValue[]; data?: GraphValue; frozen?: true };

const FIELD_KINDS: ReadonlySet<EntryKind> = new Set(['object', 'null-object', 'class']);
const ITEM_KINDS: ReadonlySet<EntryKind> = new Set(['array', 'map', 'set', 'code']);

const UNDEFINED: GraphValue = ['undefined'];
const HOLE: GraphValue = ['hole'];

/** Encodes a primitive JSON cannot carry as itself. */
function encodePrimitive(value: Primitive): GraphValue {
  switch (typeof value) {
    case 'undefined':
      return UNDEFINED;
    case 'bigint':
      return ['bigint', value.toString()];
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return ['number', Object.is(value, -0) ? '-0' : String(value)];
    default:
      return value;
  }
}

class JsonSink implements GraphSink {
  root: GraphValue = null;
  readonly objects: GraphEntry[] = [];
  private entry: Building | undefined;
  private field = '';

  begin(id: number, kind: EntryKind, name: string | undefined, frozen: boolean): void {
    const entry: Building = { kind };
    if (name !== undefined) entry.name = name;
    // A null-prototype record, so a field named __proto__ is a field like any other.
    if (FIELD_KINDS.has(kind)) entry.fields = Object.create(null) as Record<string, GraphValue>;
    else if (ITEM_KINDS.has(kind)) entry.items = [];
    if (frozen) entry.frozen = true;
    this.objects[id] = entry;
    this.entry = entry;
  }

  key(key: string): void {
    this.field = key;
  }

  value(value: Primitive): void {
    this.put(encodePrimitive(value));
  }

  ref(id: number): void {
    this.put(['ref', id]);
  }

  named(tag: 'constant' | 'code' | 'user', name: string): void {
    this.put([tag, name]);
  }

  hole(): void {
    this.put(HOLE);
  }

  bytes(data: Uint8Array): void {
    this.entry!.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  }

  end(): void {
    this.entry = undefined;
  }

  private put(value: GraphValue): void {
    const entry = this.entry;
    if (entry === undefined) this.root = value;
    else if (entry.fields) entry.fields[this.field] = value;
    else if (entry.items) entry.items.push(value);
    else entry.data = value;
  }
}
