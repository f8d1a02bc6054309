/**
 * The write side of a v2.0 saved-state stream (vbox-facts.md §8): the file header, per-unit headers with the stream
 * offset and running CRC, data records written the way ssmR3DataWrite does (puts of ≤ 512 bytes collect in a 4 KiB
 * buffer that leaves as one RAW record; bigger puts go out in 4 KiB blocks, each RAW_ZERO, RAW_LZF or RAW), the
 * termination record, and finish(): the END unit, the directory and the footer. Bytes collect in chunks of up to
 * 1 MiB that are handed to a sink (a crash-safe file, a socket, memory) as copies of exactly their length: the
 * buffer stays with the writer and grows with what a pass writes, so a save of a few hundred bytes per pass (the
 * checker's) neither allocates nor keeps 1 MiB per pass. The save drivers (non-live here, live in live-save.ts)
 * call beginUnit / endUnit around each unit callback, once per pass.
 */
import { persistable } from '../persist/registry.js';
import { VBoxError, VERR_SSM_IPE_2, VERR_SSM_MEM_TOO_BIG } from '../status.js';
import {
  SSM_DATA_BUFFER_SIZE as C_SSM_DATA_BUFFER_SIZE, SSM_MAX_DECOMPR, SSM_PASS_FINAL, SSM_REC_FLAGS_FIXED, SSM_REC_FLAGS_IMPORTANT, SSM_REC_TYPE_RAW,
  SSM_REC_TYPE_RAW_LZF, SSM_REC_TYPE_RAW_ZERO, SSM_WRITER_VERSION, SSM_ZIP_BLOCK_SIZE as C_SSM_ZIP_BLOCK_SIZE, SSMFILEHDR_FLAGS_STREAM_CRC32,
  SSMFILEHDR_FLAGS_STREAM_LIVE_SAVE, SSMFILEHDR_MAGIC_V2_0, SSMRECTERM_SIZE,
} from './constants.js';
import { crc32, crcRunning } from './crc.js';
import { lzfCompress } from './lzf.js';
import type { SsmSink } from './sinks.js';
import { encodeDirectory, encodeFileHeader, encodeFooter, encodeRecordHeader, encodeTermRecord, encodeUnitHeader } from './structs.js';

/** Local copies: hot loops read module constants, not (dev-loader) import bindings. */
const SSM_DATA_BUFFER_SIZE = C_SSM_DATA_BUFFER_SIZE;
const SSM_ZIP_BLOCK_SIZE = C_SSM_ZIP_BLOCK_SIZE;

const CHUNK_SIZE = 1024 * 1024;
/** The buffers a writer starts with (the file header fits); they double as needed, up to CHUNK_SIZE and 4 KiB. */
const BUFFER_INITIAL = 256;
const RAW = SSM_REC_FLAGS_FIXED | SSM_REC_FLAGS_IMPORTANT | SSM_REC_TYPE_RAW;
const RAW_LZF = SSM_REC_FLAGS_FIXED | SSM_REC_FLAGS_IMPORTANT | SSM_REC_TYPE_RAW_LZF;
const RAW_ZERO = SSM_REC_FLAGS_FIXED | SSM_REC_FLAGS_IMPORTANT | SSM_REC_TYPE_RAW_ZERO;
/** RTZipBlockCompress gets SSM_ZIP_BLOCK_SIZE - SSM_ZIP_BLOCK_SIZE / 16 bytes; more means "store it raw". */
const LZF_OUT_MAX = SSM_ZIP_BLOCK_SIZE - SSM_ZIP_BLOCK_SIZE / 16;
const ZERO_BLOCK = Buffer.alloc(SSM_ZIP_BLOCK_SIZE);

/** What counts the unit bytes for the progress (SsmProgress.byByte): a record, called on the hot path. */
export interface ByteProgress {
  byByte(cb: number): void;
}

export interface SsmWriterOptions {
  /** SSMFILEHDR.cUnits: the number of registered units. */
  cUnits: number;
  /** Sets SSMFILEHDR_FLAGS_STREAM_LIVE_SAVE. */
  live?: boolean;
  /** Try LZF on 4 KiB blocks as VirtualBox does (default true); false stores non-zero blocks raw. */
  lzf?: boolean;
  /** The VirtualBox version the header claims. */
  version?: { major: number; minor: number; build: number; svnRev: number };
  /** ssmR3ProgressByByte: told the number of unit bytes just written (the operation's SsmProgress). */
  progress?: ByteProgress;
}

/** A unit as the writer needs it (a registered SsmUnit fits). */
export interface SsmUnitIdentity {
  name: string;
  instance: number;
  version: number;
}

export class SsmStreamWriter {
  readonly sink: SsmSink;
  readonly live: boolean;
  private readonly _lzf: boolean;
  private readonly progress: ByteProgress | undefined;
  /** The chunk being filled: its first `off` bytes; its length is its capacity (≤ CHUNK_SIZE), not the chunk's. */
  private _chunk: Uint8Array = new Uint8Array(BUFFER_INITIAL);
  private off = 0;
  /** Stream offset of chunk[0]. */
  private base = 0;
  /** Finished CRC of the stream up to chunk[crcOff]. */
  private _crc = 0;
  private crcOff = 0;
  /** The unit data buffer (abDataBuffer: SSM_DATA_BUFFER_SIZE bytes) and its fill; allocated as far as used. */
  private _data: Uint8Array = new Uint8Array(BUFFER_INITIAL);
  private dataOff = 0;
  /** offUnit: unit bytes written since the unit header, or -1 outside a unit. */
  private _offUnit = -1;
  private _closed = false;
  private _finished = false;
  /** The footer's u32StreamCRC once finish() ran. */
  footerStreamCrc = 0;

  constructor(sink: SsmSink, opts: SsmWriterOptions) {
    this.sink = sink;
    this.live = opts.live ?? false;
    this._lzf = opts.lzf ?? true;
    this.progress = opts.progress;
    const v = opts.version ?? SSM_WRITER_VERSION;
    this._raw(encodeFileHeader({
      magic: SSMFILEHDR_MAGIC_V2_0, verMajor: v.major, verMinor: v.minor, verBuild: v.build, svnRev: v.svnRev,
      cHostBits: 64, cbGCPhys: 8, cbGCPtr: 8, reserved: 0, cUnits: opts.cUnits,
      flags: SSMFILEHDR_FLAGS_STREAM_CRC32 | (this.live ? SSMFILEHDR_FLAGS_STREAM_LIVE_SAVE : 0),
      cbMaxDecompr: SSM_MAX_DECOMPR,
    }));
  }

  /** ssmR3StrmTell. */
  get offStream(): number {
    return this.base + this.off;
  }

  /** True between beginUnit and endUnit. */
  get inUnit(): boolean {
    return this._offUnit >= 0;
  }

  /** The finished CRC-32 of everything written so far (ssmR3StrmFinalCRC). */
  streamCrc(): number {
    if (this.crcOff < this.off) {
      this._crc = crc32(this._chunk.subarray(this.crcOff, this.off), this._crc);
      this.crcOff = this.off;
    }
    return this._crc;
  }

  /** Writes a unit header (pass 0..n for live passes, SSM_PASS_FINAL for the final one); returns its offset. */
  beginUnit(unit: SsmUnitIdentity, pass: number = SSM_PASS_FINAL): number {
    if (this._offUnit >= 0) throw new VBoxError(VERR_SSM_IPE_2, `beginUnit '${unit.name}' while a unit is open.`);
    const offStream = this.offStream;
    this._raw(encodeUnitHeader({
      offStream, curStreamCrc: crcRunning(this.streamCrc()), version: unit.version, instance: unit.instance, pass, name: unit.name,
    }));
    this._offUnit = 0;
    this.dataOff = 0;
    return offStream;
  }

  /** ssmR3DataWrite of the first `cb` bytes. */
  writeData(bytes: Uint8Array, cb = bytes.length): void {
    this.assertInUnit();
    if (cb > SSM_DATA_BUFFER_SIZE / 8) {
      this.writeBig(cb === bytes.length ? bytes : bytes.subarray(0, cb));
      return;
    }
    if (cb === 0) return;
    if (this.dataOff + cb > SSM_DATA_BUFFER_SIZE) this.flushData();
    if (this.dataOff + cb > this._data.length) this._data = grown(this._data, this.dataOff, doubled(this._data.length, this.dataOff + cb, SSM_DATA_BUFFER_SIZE));
    const data = this._data;
    if (cb > 16) data.set(cb === bytes.length ? bytes : bytes.subarray(0, cb), this.dataOff);
    else for (let i = 0, at = this.dataOff; i < cb; i++) data[at++] = bytes[i]!; // scalars: a loop beats set()'s call
    this.dataOff += cb;
  }

  /** cb zero bytes: RAW_ZERO records of up to 4 KiB, then a buffered remainder below 1 KiB. */
  writeZeros(cb: number): void {
    this.assertInUnit();
    if (cb <= SSM_DATA_BUFFER_SIZE / 8) {
      this.writeData(new Uint8Array(cb));
      return;
    }
    this.flushData();
    let left = cb;
    while (left >= 1024) {
      const kb = Math.min(left, SSM_ZIP_BLOCK_SIZE) >>> 10;
      this.unitRaw(Uint8Array.of(RAW_ZERO, 1, kb));
      this.progress?.byByte(kb * 1024);
      left -= kb * 1024;
    }
    if (left > 0) this.writeData(new Uint8Array(left));
  }

  /** Flushes the data buffer and writes the termination record; returns cbUnit. */
  endUnit(): number {
    this.assertInUnit();
    this.flushData();
    const cbUnit = this._offUnit + SSMRECTERM_SIZE;
    this._raw(encodeTermRecord(this.streamCrc(), cbUnit));
    this._offUnit = -1;
    return cbUnit;
  }

  /**
   * ssmR3SaveDoFinalization: END unit, directory of the given units (those with an offset), footer; then hands
   * everything to the sink and, unless told not to, commits it. With `commit: false` the caller commits later
   * (after the done run, as ssmR3SaveDoClose does), or aborts.
   */
  finish(directory: readonly { name: string; instance: number; offStream: number }[], opts: { commit?: boolean } = {}): void {
    if (this._offUnit >= 0) throw new VBoxError(VERR_SSM_IPE_2, 'finish() inside a unit.');
    this._raw(encodeUnitHeader({
      end: true, offStream: this.offStream, curStreamCrc: crcRunning(this.streamCrc()), version: 0, instance: 0, pass: SSM_PASS_FINAL, name: '',
    }));
    const entries = directory.filter((u) => u.offStream >= 0);
    this._raw(encodeDirectory(entries));
    this.footerStreamCrc = this.streamCrc();
    this._raw(encodeFooter({ offStream: this.offStream, streamCrc: this.footerStreamCrc, cDirEntries: entries.length }));
    this.flush();
    this._finished = true;
    if (opts.commit !== false) this.commit();
  }

  /** Makes a finished stream durable and visible (the file sink renames its temp file over the target). */
  commit(): void {
    if (!this._finished) throw new VBoxError(VERR_SSM_IPE_2, 'commit() before finish().');
    if (this._closed) return;
    this._closed = true;
    this.sink.commit();
  }

  /** True once finish() has written the footer. */
  get finished(): boolean {
    return this._finished;
  }

  /** Hands buffered bytes to the sink now (between passes, so a teleport peer sees them). */
  flush(): void {
    if (this.off === 0) return;
    this.streamCrc();
    const chunk = Buffer.from(this._chunk.subarray(0, this.off)); // the sink's own copy; the buffer is reused
    this.base += this.off;
    this.off = 0;
    this.crcOff = 0;
    this.sink.write(chunk);
  }

  /** Discards the stream (the sink deletes its temp file or drops the connection). */
  abort(cancelled = false): void {
    if (this._closed) return;
    this._closed = true;
    this.sink.abort(cancelled);
  }

  private assertInUnit(): void {
    if (this._offUnit < 0) throw new VBoxError(VERR_SSM_IPE_2, 'Unit data written outside a unit.');
  }

  /** ssmR3DataFlushBuffer: the buffered bytes as one RAW record. */
  private flushData(): void {
    const cb = this.dataOff;
    if (cb === 0) return;
    this.dataOff = 0;
    this.unitRaw(encodeRecordHeader(RAW, cb));
    this.unitRaw(this._data.subarray(0, cb));
    this.progress?.byByte(cb);
  }

  /** ssmR3DataWriteBig: 4 KiB blocks as LZF (when it fits in 3840 bytes) or raw, aligned zero blocks as RAW_ZERO. */
  private writeBig(src: Uint8Array): void {
    this.flushData();
    if (src.length > 0x7fffffff) throw new VBoxError(VERR_SSM_MEM_TOO_BIG, `A ${src.length} byte put is too big.`);
    let at = 0;
    const end = src.length;
    while (end - at >= SSM_ZIP_BLOCK_SIZE) {
      const block = src.subarray(at, at + SSM_ZIP_BLOCK_SIZE);
      const aligned = ((src.byteOffset + at) & 0xf) === 0;
      if (aligned && Buffer.from(block.buffer, block.byteOffset, SSM_ZIP_BLOCK_SIZE).equals(ZERO_BLOCK)) {
        this.unitRaw(Uint8Array.of(RAW_ZERO, 1, SSM_ZIP_BLOCK_SIZE / 1024));
      } else {
        this.blockRecord(block);
      }
      this.progress?.byByte(SSM_ZIP_BLOCK_SIZE);
      at += SSM_ZIP_BLOCK_SIZE;
    }
    if (at < end) {
      const rest = src.subarray(at);
      this.unitRaw(encodeRecordHeader(RAW, rest.length));
      this.unitRaw(rest);
      this.progress?.byByte(rest.length);
    }
  }

  /** One 4 KiB block: type byte, 3-byte size, then [KiB count + LZF data] or the raw bytes. */
  private blockRecord(block: Uint8Array): void {
    const need = 1 + 3 + 1 + SSM_ZIP_BLOCK_SIZE;
    if (CHUNK_SIZE - this.off < need) this.flush();
    this.reserve(need);
    const out = this._chunk;
    const at = this.off;
    let cbRec = this._lzf ? lzfCompress(block, out.subarray(at + 5, at + 5 + LZF_OUT_MAX)) : -1;
    if (cbRec >= 0) {
      out[at] = RAW_LZF;
      out[at + 4] = SSM_ZIP_BLOCK_SIZE / 1024;
      cbRec += 1;
    } else {
      out[at] = RAW;
      out.set(block, at + 4);
      cbRec = SSM_ZIP_BLOCK_SIZE;
    }
    out[at + 1] = 0xe0 | (cbRec >>> 12);
    out[at + 2] = 0x80 | ((cbRec >>> 6) & 0x3f);
    out[at + 3] = 0x80 | (cbRec & 0x3f);
    this.off += cbRec + 4;
    this._offUnit += cbRec + 4;
  }

  /** Unit bytes: raw stream bytes that count toward cbUnit. */
  private unitRaw(bytes: Uint8Array): void {
    this._raw(bytes);
    this._offUnit += bytes.length;
  }

  /** Room for `cb` more bytes in the buffer (cb ≤ CHUNK_SIZE - off): doubles it, up to CHUNK_SIZE. */
  private reserve(cb: number): void {
    const need = this.off + cb;
    if (need > this._chunk.length) this._chunk = grown(this._chunk, this.off, doubled(this._chunk.length, need, CHUNK_SIZE));
  }

  /** ssmR3StrmWrite. */
  private _raw(bytes: Uint8Array): void {
    if (this._closed || this._finished) throw new VBoxError(VERR_SSM_IPE_2, 'Write to a closed saved-state stream.');
    let at = 0;
    while (at < bytes.length) {
      if (this.off === CHUNK_SIZE) this.flush();
      this.reserve(Math.min(bytes.length - at, CHUNK_SIZE - this.off));
      const n = Math.min(bytes.length - at, CHUNK_SIZE - this.off);
      this._chunk.set(bytes.subarray(at, at + n), this.off);
      this.off += n;
      at += n;
    }
  }
}

/** `size` doubled (from BUFFER_INITIAL at least) until it holds `need`, at most `max`. */
function doubled(size: number, need: number, max: number): number {
  let next = Math.max(size * 2, BUFFER_INITIAL);
  while (next < need) next *= 2;
  return Math.min(next, max);
}

/** A buffer of `size` bytes that starts with the first `fill` bytes of `buffer`. */
function grown(buffer: Uint8Array, fill: number, size: number): Uint8Array {
  const bigger = new Uint8Array(size);
  bigger.set(buffer.subarray(0, fill));
  return bigger;
}

/**
 * The writer's buffers as a snapshot or a copy keeps them: the chunk and the data buffer up to their fill (the
 * writer grows them again when it writes). Between engine steps both are usually empty: a pass flushes its bytes.
 */
interface WriterBuffers {
  _chunk: Uint8Array;
  off: number;
  _data: Uint8Array;
  dataOff: number;
}
/**
 * An empty buffer every copy of an empty writer shares: it has no byte to write into (every write grows a buffer
 * that is too small first), so sharing it is safe, and a world copied between passes allocates no byte array.
 */
const NO_BYTES = Object.freeze(new Uint8Array(0)) as Uint8Array;
const filled = (buffer: Uint8Array, fill: number): Uint8Array => (fill === 0 ? NO_BYTES : buffer.slice(0, fill));

persistable('SsmStreamWriter', SsmStreamWriter, {
  save: (writer) => {
    const w = writer as unknown as WriterBuffers;
    return { ...w, _chunk: w._chunk.slice(0, w.off), _data: w._data.slice(0, w.dataOff) };
  },
  restore: (writer, data: WriterBuffers) => void Object.assign(writer, data),
  copy: (writer, into, clone) => {
    const from = writer as unknown as WriterBuffers & Record<string, unknown>;
    const to = into as unknown as Record<string, unknown>;
    for (const key in from) to[key] = key === '_chunk' ? filled(from._chunk, from.off) : key === '_data' ? filled(from._data, from.dataOff) : clone(from[key]);
  },
});
