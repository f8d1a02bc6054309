/**
 * Reading one unit's data records (ssmR3DataReadV2 and friends, vbox-facts.md §8.4, §7.6 step 11): record headers
 * with their UTF-8-style sizes, RAW / RAW_LZF / RAW_ZERO payloads through the 4 KiB data buffer, and the
 * termination record with its cbUnit and stream-CRC checks. Reading past the termination record is
 * VERR_SSM_LOADED_TOO_MUCH; finish() with data left is VERR_SSM_LOADED_TOO_LITTLE.
 */
import {
  VBoxError, VERR_EOF, VERR_SSM_BAD_REC_TYPE, VERR_SSM_CANCELLED, VERR_SSM_INTEGRITY_DECOMPRESSION, VERR_SSM_INTEGRITY_REC_HDR,
  VERR_SSM_INTEGRITY_REC_TERM, VERR_SSM_INTEGRITY_REC_TERM_CRC, VERR_SSM_LOADED_TOO_LITTLE, VERR_SSM_LOADED_TOO_MUCH,
  VERR_SSM_STREAM_ERROR,
} from '../status.js';
import {
  SSM_DATA_BUFFER_SIZE as C_SSM_DATA_BUFFER_SIZE, SSM_REC_TYPE_MASK as C_SSM_REC_TYPE_MASK, SSM_REC_TYPE_RAW as C_SSM_REC_TYPE_RAW,
  SSM_REC_TYPE_RAW_LZF as C_SSM_REC_TYPE_RAW_LZF, SSM_REC_TYPE_RAW_ZERO as C_SSM_REC_TYPE_RAW_ZERO, SSM_REC_TYPE_TERM as C_SSM_REC_TYPE_TERM,
  SSMRECTERM_FLAGS_CRC32 as C_SSMRECTERM_FLAGS_CRC32, SSMRECTERM_SIZE as C_SSMRECTERM_SIZE,
} from './constants.js';
import { lzfDecompress } from './lzf.js';
import { persistable } from '../persist/registry.js';
import type { SsmStreamReader } from './stream-reader.js';
import type { ByteProgress } from './stream-writer.js';
import { decodeTermRest } from './structs.js';

/** Local copies: hot loops read module constants, not (dev-loader) import bindings. */
const SSM_DATA_BUFFER_SIZE = C_SSM_DATA_BUFFER_SIZE;
const SSM_REC_TYPE_MASK = C_SSM_REC_TYPE_MASK;
const SSM_REC_TYPE_RAW = C_SSM_REC_TYPE_RAW;
const SSM_REC_TYPE_RAW_LZF = C_SSM_REC_TYPE_RAW_LZF;
const SSM_REC_TYPE_RAW_ZERO = C_SSM_REC_TYPE_RAW_ZERO;
const SSM_REC_TYPE_TERM = C_SSM_REC_TYPE_TERM;
const SSMRECTERM_FLAGS_CRC32 = C_SSMRECTERM_FLAGS_CRC32;
const SSMRECTERM_SIZE = C_SSMRECTERM_SIZE;

const fail = (rc: number, message: string): VBoxError => new VBoxError(rc, message);
const validTypeAndFlags = (b: number): boolean => (b & 0xe0) === 0x80 && (b & 0x0f) > 0 && (b & 0x0f) <= 5;

export class SsmUnitDataReader {
  readonly stream: SsmStreamReader;
  /** offUnit: unit bytes consumed from the stream (records included). */
  offUnit = 0;
  /** offUnitUser: data bytes handed to the unit. */
  offUnitUser = 0;
  /** fEndOfData: the termination record has been read and checked. */
  endOfData = false;
  private _cbRecLeft = 0;
  private typeAndFlags = 0;
  private readonly _data = new Uint8Array(SSM_DATA_BUFFER_SIZE);
  private cbData = 0;
  private offData = 0;
  private readonly progress: ByteProgress | undefined;

  constructor(stream: SsmStreamReader, progress?: ByteProgress) {
    this.stream = stream;
    this.progress = progress;
  }

  /** ssmR3DataReadBeginV2. */
  begin(): void {
    this.offUnit = 0;
    this.offUnitUser = 0;
    this.endOfData = false;
    this._cbRecLeft = 0;
    this.cbData = 0;
    this.offData = 0;
    this.typeAndFlags = 0;
  }

  /** ssmR3DataReadV2Raw: EOF inside a unit is LOADED_TOO_MUCH, other stream failures STREAM_ERROR. */
  private _raw(n: number): Uint8Array {
    try {
      const bytes = this.stream.read(n);
      this.offUnit += n;
      this.progress?.byByte(n);
      return bytes;
    } catch (e) {
      throw this.mapStream(e);
    }
  }

  private rawInto(dst: Uint8Array): void {
    try {
      this.stream.readInto(dst);
      this.offUnit += dst.length;
      this.progress?.byByte(dst.length);
    } catch (e) {
      throw this.mapStream(e);
    }
  }

  private mapStream(e: unknown): unknown {
    if (!(e instanceof VBoxError)) return e;
    if (e.rc === VERR_SSM_CANCELLED) return e;
    if (e.rc === VERR_EOF) return fail(VERR_SSM_LOADED_TOO_MUCH, `Attempted reading more than the unit: ${e.message}`);
    return fail(VERR_SSM_STREAM_ERROR, e.message);
  }

  /** ssmR3DataReadRecHdrV2: sets cbRecLeft and the type; reads and checks a TERM record in full. */
  readRecordHeader(): void {
    if (this.endOfData) throw fail(VERR_SSM_LOADED_TOO_MUCH, 'Read past the termination record.');
    const hdr = this._raw(2);
    const b0 = hdr[0]!;
    let cb = hdr[1]!;
    this.typeAndFlags = b0;
    if (!validTypeAndFlags(b0)) throw fail(VERR_SSM_INTEGRITY_REC_HDR, `Invalid record type/flags byte ${hex(b0)} ${hex(cb)}.`);
    if ((b0 & SSM_REC_TYPE_MASK) === SSM_REC_TYPE_TERM) {
      this._cbRecLeft = 0;
      this.endOfData = true;
      if (cb !== SSMRECTERM_SIZE - 2) throw fail(VERR_SSM_INTEGRITY_REC_TERM, `Termination record size ${hex(cb)}.`);
      if (!(b0 & 0x10)) throw fail(VERR_SSM_INTEGRITY_REC_TERM, `Termination record not marked important (${hex(b0)}).`);
      const streamCrc = this.stream.finalCrc();
      const term = decodeTermRest(this._raw(SSMRECTERM_SIZE - 2));
      if (term.cbUnit !== this.offUnit) throw fail(VERR_SSM_INTEGRITY_REC_TERM, `cbUnit=${hex(term.cbUnit)} offUnit=${hex(this.offUnit)}.`);
      if (term.flags & ~SSMRECTERM_FLAGS_CRC32) throw fail(VERR_SSM_INTEGRITY_REC_TERM, `Termination record flags ${hex(term.flags)}.`);
      if (!(term.flags & SSMRECTERM_FLAGS_CRC32)) {
        if (term.streamCrc !== 0) throw fail(VERR_SSM_INTEGRITY_REC_TERM, `Stream CRC ${hex(term.streamCrc)} without the CRC flag.`);
      } else if (this.stream.checksummed && term.streamCrc !== streamCrc) {
        throw fail(VERR_SSM_INTEGRITY_REC_TERM_CRC, `Termination record CRC ${hex(term.streamCrc)}, stream CRC ${hex(streamCrc)}.`);
      }
      return;
    }
    if (cb & 0x80) {
      let n: number;
      if (!(cb & 0x20)) n = 2;
      else if (!(cb & 0x10)) n = 3;
      else if (!(cb & 0x08)) n = 4;
      else if (!(cb & 0x04)) n = 5;
      else if (!(cb & 0x02)) n = 6;
      else throw fail(VERR_SSM_INTEGRITY_REC_HDR, `Invalid record size byte ${hex(cb)}.`);
      const rest = this._raw(n - 1);
      for (const c of rest) if ((c & 0xc0) !== 0x80) throw fail(VERR_SSM_INTEGRITY_REC_HDR, `Invalid record size continuation ${hex(c)}.`);
      const lead = [0, 0, 0x1f, 0x0f, 0x07, 0x03, 0x01][n]!;
      cb &= lead;
      for (const c of rest) cb = cb * 64 + (c & 0x3f);
      const [min, max] = [[0, 0], [0, 0], [0, 0x7ff], [0, 0xffff], [0x10000, 0x1fffff], [0x200000, 0x3ffffff], [0x4000000, 0x7fffffff]][n]!;
      if (cb < min! || cb > max!) throw fail(VERR_SSM_INTEGRITY_REC_HDR, `Record size ${hex(cb)} out of range for ${n + 1} bytes.`);
    }
    this._cbRecLeft = cb;
  }

  /** ssmR3DataReadV2RawLzfHdr + ssmR3DataReadV2RawLzf: decompress the record into dst (exactly cbDecompr bytes). */
  private lzfHeader(): number {
    if (this._cbRecLeft <= 1 || this._cbRecLeft > SSM_DATA_BUFFER_SIZE + 2) {
      throw fail(VERR_SSM_INTEGRITY_DECOMPRESSION, `LZF record of ${hex(this._cbRecLeft)} bytes.`);
    }
    const cKB = this._raw(1)[0]!;
    this._cbRecLeft -= 1;
    const cbDecompr = cKB * 1024;
    if (cbDecompr < this._cbRecLeft || cbDecompr > SSM_DATA_BUFFER_SIZE) {
      throw fail(VERR_SSM_INTEGRITY_DECOMPRESSION, `LZF record claims ${hex(cbDecompr)} bytes from ${hex(this._cbRecLeft)}.`);
    }
    return cbDecompr;
  }

  private lzfBody(dst: Uint8Array): void {
    const cbCompr = this._cbRecLeft;
    this._cbRecLeft = 0;
    const src = this._raw(cbCompr);
    if (lzfDecompress(src, dst) !== dst.length) throw fail(VERR_SSM_INTEGRITY_DECOMPRESSION, `Bad LZF data (${cbCompr} -> ${dst.length}).`);
  }

  /** ssmR3DataReadV2RawZeroHdr. */
  private zeroHeader(): number {
    if (this._cbRecLeft !== 1) throw fail(VERR_SSM_INTEGRITY_DECOMPRESSION, `RAW_ZERO record of ${hex(this._cbRecLeft)} bytes.`);
    const cbZero = this._raw(1)[0]! * 1024;
    this._cbRecLeft = 0;
    if (cbZero > SSM_DATA_BUFFER_SIZE) throw fail(VERR_SSM_INTEGRITY_DECOMPRESSION, `RAW_ZERO of ${hex(cbZero)} bytes.`);
    return cbZero;
  }

  private nextRecord(): number {
    if (!this._cbRecLeft) this.readRecordHeader();
    if (this.endOfData) throw fail(VERR_SSM_LOADED_TOO_MUCH, 'The unit wants more data than it saved.');
    return this.typeAndFlags & SSM_REC_TYPE_MASK;
  }

  /** The next cb bytes as a view that stays valid until the next call. */
  read(cb: number): Uint8Array {
    if (this.offData + cb <= this.cbData) {
      const view = this._data.subarray(this.offData, this.offData + cb);
      this.offData += cb;
      this.offUnitUser += cb;
      return view;
    }
    const out = new Uint8Array(cb);
    this.readInto(out);
    return out;
  }

  /** ssmR3DataRead: buffered for small reads, straight into dst for big ones. */
  readInto(dst: Uint8Array): void {
    const cb = dst.length;
    if (this.offData + cb <= this.cbData) {
      dst.set(this._data.subarray(this.offData, this.offData + cb));
      this.offData += cb;
      this.offUnitUser += cb;
      return;
    }
    // Copy out what is buffered.
    let at = 0;
    const inBuffer = this.cbData - this.offData;
    if (inBuffer > 0) {
      dst.set(this._data.subarray(this.offData, this.cbData));
      at = inBuffer;
      this.offUnitUser += inBuffer;
    }
    this.cbData = 0;
    this.offData = 0;
    if (cb <= SSM_DATA_BUFFER_SIZE / 8) this.readBuffered(dst, at);
    else this.readUnbuffered(dst, at);
  }

  /** ssmR3DataReadBufferedV2: whole records go through the data buffer. */
  private readBuffered(dst: Uint8Array, at: number): void {
    while (at < dst.length) {
      const type = this.nextRecord();
      let cbToRead: number;
      if (type === SSM_REC_TYPE_RAW) {
        cbToRead = Math.min(SSM_DATA_BUFFER_SIZE, this._cbRecLeft);
        this._data.set(this._raw(cbToRead));
        this._cbRecLeft -= cbToRead;
      } else if (type === SSM_REC_TYPE_RAW_LZF) {
        cbToRead = this.lzfHeader();
        this.lzfBody(this._data.subarray(0, cbToRead));
      } else if (type === SSM_REC_TYPE_RAW_ZERO) {
        cbToRead = this.zeroHeader();
        this._data.fill(0, 0, cbToRead);
      } else {
        throw fail(VERR_SSM_BAD_REC_TYPE, `Record type ${hex(this.typeAndFlags)}.`);
      }
      this.cbData = cbToRead;
      const cbCopy = Math.min(dst.length - at, cbToRead);
      dst.set(this._data.subarray(0, cbCopy), at);
      at += cbCopy;
      this.offUnitUser += cbCopy;
      this.offData = cbCopy;
    }
  }

  /** ssmR3DataReadUnbufferedV2: raw data straight into dst; only a partial block spills into the data buffer. */
  private readUnbuffered(dst: Uint8Array, at: number): void {
    while (at < dst.length) {
      const type = this.nextRecord();
      const want = dst.length - at;
      let cbToRead: number;
      if (type === SSM_REC_TYPE_RAW) {
        cbToRead = Math.min(want, this._cbRecLeft);
        this.rawInto(dst.subarray(at, at + cbToRead));
        this._cbRecLeft -= cbToRead;
      } else if (type === SSM_REC_TYPE_RAW_LZF) {
        cbToRead = this.lzfHeader();
        if (cbToRead <= want) {
          this.lzfBody(dst.subarray(at, at + cbToRead));
        } else {
          this.lzfBody(this._data.subarray(0, cbToRead));
          this.cbData = cbToRead;
          dst.set(this._data.subarray(0, want), at);
          this.offData = want;
          cbToRead = want;
        }
      } else if (type === SSM_REC_TYPE_RAW_ZERO) {
        cbToRead = this.zeroHeader();
        if (cbToRead > want) {
          this._data.fill(0, 0, cbToRead - want);
          this.cbData = cbToRead - want;
          this.offData = 0;
          cbToRead = want;
        }
        dst.fill(0, at, at + cbToRead);
      } else {
        throw fail(VERR_SSM_BAD_REC_TYPE, `Record type ${hex(this.typeAndFlags)}.`);
      }
      this.offUnitUser += cbToRead;
      at += cbToRead;
    }
  }

  /** SSMR3SkipToEndOfUnit: drop everything up to and including the termination record. */
  skipToEnd(): void {
    this.cbData = 0;
    this.offData = 0;
    while (!this.endOfData) {
      while (this._cbRecLeft) {
        const n = Math.min(this._cbRecLeft, 64 * 1024);
        this._raw(n);
        this._cbRecLeft -= n;
      }
      this.readRecordHeader();
    }
  }

  /** ssmR3DataReadFinishV2: the next record must be the termination record. */
  finish(): void {
    if (this.endOfData) return;
    if (this.cbData !== this.offData && this.cbData > 0) {
      throw fail(VERR_SSM_LOADED_TOO_LITTLE, `At least ${hex(this.cbData - this.offData)} bytes left to read.`);
    }
    if (this._cbRecLeft === 0) this.readRecordHeader();
    if (!this.endOfData) throw fail(VERR_SSM_LOADED_TOO_LITTLE, `At least ${hex(this._cbRecLeft)} bytes left to read.`);
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
persistable('SsmUnitDataReader', SsmUnitDataReader);
