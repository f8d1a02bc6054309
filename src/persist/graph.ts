/**
 * Engine state as data: write an object graph as a versioned JSON snapshot, read it back, copy it in memory,
 * or feed it in canonical order to a sink (a state key). The format is graph-format.ts; the walk order is
 * graph-walk.ts; the read phases and revive order are graph-read.ts; the copy's sharing rules graph-copy.ts.
 */
import './builtins.js';

export { GRAPH_FORMAT, GRAPH_VERSION, type EntryKind, type GraphEntry, type GraphValue, type PersistedGraph } from './graph-format.js';
export { encodeGraph, type GraphSink, type Primitive, type WalkOptions } from './graph-walk.js';
export { writeGraph, type WriteOptions } from './graph-write.js';
export { readGraph, type ReadOptions } from './graph-read.js';
export { packGraph } from './graph-pack.js';
export { unpackGraph } from './graph-unpack.js';
export { copyGraph, type CopyOptions } from './graph-copy.js';
export { graphKey } from './graph-key.js';
