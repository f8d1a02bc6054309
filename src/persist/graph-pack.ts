/**
 * The binary snapshot format (packGraph/unpackGraph): the graph writeGraph writes, as bytes. First version:
 * the JSON format's text as UTF-8 (the binary encoding replaces it; the interface stays).
 */
import { readGraph, type ReadOptions } from './graph-read.js';
import { writeGraph, type WriteOptions } from './graph-write.js';

export function packGraph(root: unknown, options: WriteOptions = {}): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(writeGraph(root, options)));
}

export function unpackGraph<T = unknown>(bytes: Uint8Array, options: ReadOptions = {}): T {
  return readGraph<T>(JSON.parse(new TextDecoder().decode(bytes)), options);
}
