/**
 * The checkpoint file: a breadth-first search stopped between two expansions, as bytes. Layout (little-endian):
 * magic `VMMACKPT`, u32 version, u32 header length, the header (JSON: what the checkpoint belongs to, counters,
 * outcomes, coverage), then per-state columns (key hi, key lo, parent, choice, depth, the cycle proviso's link:
 * proviso.ts), the liveness graph's columns when it is kept (hot, enabled per state; src, dst, choice, slot per
 * edge), and a CRC-32 of all that.
 * A checkpoint is input from elsewhere: decode() checks the size the header implies against the bytes present
 * before it reads a column, so it does no work beyond what the file's size justifies, and refuses a torn,
 * foreign or corrupt file with a VBoxError carrying VirtualBox's saved-state (SSM) integrity statuses.
 */
import { crc32 } from 'node:zlib';
import { VBoxError } from '../../status.js';
import { VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_HEADER, VERR_SSM_INTEGRITY_MAGIC, VERR_SSM_INTEGRITY_SIZE, VERR_SSM_INTEGRITY_VERSION } from '../../status/codes.js';
import type { LivenessArrays } from '../liveness.js';

export const CHECKPOINT_MAGIC = 'VMMACKPT';
export const CHECKPOINT_VERSION = 2;
/** The header is small (outcomes are capped at OUTCOMES_MAX): a larger length is garbage, not a checkpoint. */
export const HEADER_MAX = 16 << 20;
const PREFIX = 16;
const STATE_BYTES = 4 + 4 + 4 + 1 + 2 + 4;
const LIVENESS_STATE_BYTES = 1 + 4;
const EDGE_BYTES = 4 + 4 + 1 + 1;

/** What a checkpoint belongs to: a resume with anything else would not end as the uninterrupted run. */
export interface CheckpointIdentity {
  scenario: unknown;
  options: Record<string, unknown>;
}

export interface CheckpointHeader extends CheckpointIdentity {
  /** The next state to expand: every state before it is expanded, the rest is the frontier. */
  head: number;
  states: number;
  edges: number;
  liveness: boolean;
  transitions: number;
  depthReached: number;
  /** Set when states at maxDepth were left unexpanded before the checkpoint (the result is then bounded). */
  maxDepthHit: boolean;
  /** Wall time spent before this checkpoint (the elapsed figure continues from it). */
  seconds: number;
  outcomes: string[];
  coverage: { machines: Record<string, string[]>; types: string[] };
}

export interface CheckpointData {
  header: CheckpointHeader;
  hi: Uint32Array;
  lo: Uint32Array;
  parent: Int32Array;
  choice: Uint8Array;
  depth: Uint16Array;
  /** The cycle proviso's link per state (CycleProviso.links). */
  proviso: Int32Array;
  liveness: LivenessArrays | null;
}

export function encodeCheckpoint(data: CheckpointData): Buffer {
  const header = Buffer.from(JSON.stringify(data.header), 'utf8');
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(CHECKPOINT_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(CHECKPOINT_VERSION, 8);
  prefix.writeUInt32LE(header.length, 12);
  const l = data.liveness;
  const columns = [data.hi, data.lo, data.parent, data.choice, data.depth, data.proviso, ...(l ? [l.hot, l.enabled, l.src, l.dst, l.choice, l.slot] : [])];
  const parts = [prefix, header, ...columns.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))];
  const body = Buffer.concat(parts);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body) >>> 0);
  return Buffer.concat([body, crc]);
}

const fail = (rc: number, what: string): never => {
  throw new VBoxError(rc, `checkpoint: ${what}`);
};

export function decodeCheckpoint(bytes: Buffer): CheckpointData {
  if (bytes.length < PREFIX + 4) fail(VERR_SSM_INTEGRITY_SIZE, `${bytes.length} bytes: too short to be a checkpoint (torn?)`);
  if (bytes.toString('latin1', 0, 8) !== CHECKPOINT_MAGIC) fail(VERR_SSM_INTEGRITY_MAGIC, 'not a vmm-actors checkpoint (bad magic)');
  const version = bytes.readUInt32LE(8);
  if (version !== CHECKPOINT_VERSION) fail(VERR_SSM_INTEGRITY_VERSION, `format version ${version}, this checker reads ${CHECKPOINT_VERSION}`);
  const body = bytes.subarray(0, bytes.length - 4);
  if ((crc32(body) >>> 0) !== bytes.readUInt32LE(bytes.length - 4)) fail(VERR_SSM_INTEGRITY_CRC, 'checksum mismatch: the file is torn or corrupt');
  const headerLength = bytes.readUInt32LE(12);
  if (headerLength > HEADER_MAX || PREFIX + headerLength > body.length) fail(VERR_SSM_INTEGRITY_HEADER, `header length ${headerLength} does not fit the file`);
  const header = parseHeader(body.toString('utf8', PREFIX, PREFIX + headerLength));
  const { states, edges } = header;
  const expected = PREFIX + headerLength + states * STATE_BYTES + (header.liveness ? states * LIVENESS_STATE_BYTES + edges * EDGE_BYTES : 0);
  if (expected !== body.length) fail(VERR_SSM_INTEGRITY_SIZE, `${body.length} bytes where the header implies ${expected}`);
  let at = PREFIX + headerLength;
  const take = <T>(Kind: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T => {
    const bytesOf = n * Kind.BYTES_PER_ELEMENT;
    const copy = new Uint8Array(bytesOf); // copied: the columns need aligned buffers of their own
    copy.set(body.subarray(at, at + bytesOf));
    at += bytesOf;
    return new Kind(copy.buffer);
  };
  const data: CheckpointData = {
    header,
    hi: take(Uint32Array, states),
    lo: take(Uint32Array, states),
    parent: take(Int32Array, states),
    choice: take(Uint8Array, states),
    depth: take(Uint16Array, states),
    proviso: take(Int32Array, states),
    liveness: null,
  };
  if (header.liveness) {
    data.liveness = { hot: take(Uint8Array, states), enabled: take(Int32Array, states), src: take(Int32Array, edges), dst: take(Int32Array, edges), choice: take(Uint8Array, edges), slot: take(Uint8Array, edges) };
  }
  checkLinks(data);
  return data;
}

function parseHeader(text: string): CheckpointHeader {
  let h: Partial<CheckpointHeader>;
  try {
    h = JSON.parse(text) as Partial<CheckpointHeader>;
  } catch {
    return fail(VERR_SSM_INTEGRITY_HEADER, 'the header is not JSON');
  }
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const cov = h?.coverage;
  const ok =
    typeof h === 'object' && h !== null && [h.head, h.states, h.edges, h.transitions, h.depthReached].every(count) &&
    typeof h.seconds === 'number' && h.seconds >= 0 && typeof h.liveness === 'boolean' && typeof h.maxDepthHit === 'boolean' && strings(h.outcomes) &&
    typeof h.options === 'object' && h.options !== null && typeof cov === 'object' && cov !== null && strings(cov.types) &&
    typeof cov.machines === 'object' && cov.machines !== null && Object.values(cov.machines).every(strings);
  if (!ok) fail(VERR_SSM_INTEGRITY_HEADER, 'the header lacks a field or has one of the wrong type');
  if (h.head! > h.states! || h.states! < 1) fail(VERR_SSM_INTEGRITY_HEADER, `head ${h.head} outside 0..${h.states} states`);
  return h as CheckpointHeader;
}

/** Links the search relies on: parents come before children (prefix() ends), edges name states that exist. */
function checkLinks(d: CheckpointData): void {
  const n = d.header.states;
  if (d.parent[0] !== -1 || d.depth[0] !== 0) fail(VERR_SSM_INTEGRITY, 'state 0 is not the root');
  for (let i = 1; i < n; i++) {
    const p = d.parent[i]!;
    if (p < 0 || p >= i || d.depth[i] !== Math.min(d.depth[p]! + 1, 0xffff)) fail(VERR_SSM_INTEGRITY, `state ${i}: parent ${p} or depth ${d.depth[i]} inconsistent`);
  }
  // The cycle proviso's links (proviso.ts): where a reduced state's chain goes (-1, -2: nowhere); following them ends.
  const links = d.proviso;
  const walked = new Uint8Array(n); // 1: on this walk, 2: known to end
  for (let i = 0; i < n; i++) if (links[i]! < -2 || links[i]! >= n) fail(VERR_SSM_INTEGRITY, `state ${i}: proviso link ${links[i]} names no state`);
  // A state not expanded yet has no chain (OPEN, -1): a forged link there would mislead a later walk.
  for (let i = d.header.head; i < n; i++) if (links[i] !== -1) fail(VERR_SSM_INTEGRITY, `state ${i}: proviso link ${links[i]} on a state not expanded yet`);
  for (let i = 0; i < n; i++) {
    let at = i;
    for (; at >= 0 && walked[at] === 0; at = links[at]!) walked[at] = 1;
    if (at >= 0 && walked[at] === 1) fail(VERR_SSM_INTEGRITY, `state ${at}: proviso links go round in a loop`);
    for (let j = i; j >= 0 && walked[j] === 1; j = links[j]!) walked[j] = 2;
  }
  const l = d.liveness;
  if (!l) return;
  for (let e = 0; e < l.src.length; e++) {
    if (l.src[e]! < 0 || l.src[e]! >= n || l.dst[e]! < 0 || l.dst[e]! >= n || l.slot[e]! > 31) fail(VERR_SSM_INTEGRITY, `liveness edge ${e} names no state`);
  }
}
