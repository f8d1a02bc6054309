/**
 * The read side of a saved-state byte stream (ssmR3StrmRead and friends): buffered reads from a source, the
 * stream position, the running CRC of everything consumed (checksum-on-read), positional peeks for files, and
 * the seek SSMR3Seek does (which restarts the running CRC from a unit header's stored value). Reading past the
 * end throws VBoxError(VERR_EOF); callers turn that into the status VirtualBox gives at that point.
 */
import { VBoxError, VERR_EOF, VERR_NOT_SUPPORTED } from '../status.js';
import { persistable } from '../persist/registry.js';
import { crc32, crcFinish, crcRunning } from './crc.js';
import type { UnitScan } from './load-stream.js';
import { SsmNeedMoreData, type SsmSource } from './sources.js';

const READ_AHEAD = 256 * 1024;

export class SsmStreamReader {
  readonly source: SsmSource;
  checksummed: boolean;
  /** Where bufferedUnitExtent's scan of the unit still arriving stopped (load-stream.ts); null before the first. */
  unitScan: UnitScan | null = null;
  private buf = new Uint8Array(READ_AHEAD);
  /** Stream offset of buf[0]. */
  private base = 0;
  private _pos = 0;
  private len = 0;
  /** Finished CRC of the stream up to buf[crcPos]. */
  private _crc = 0;
  private crcPos = 0;
  private eof = false;

  constructor(source: SsmSource, opts: { checksum: boolean }) {
    this.source = source;
    this.checksummed = opts.checksum;
  }

  /** ssmR3StrmTell. */
  get offStream(): number {
    return this.base + this._pos;
  }

  get isFile(): boolean {
    return this.source.isFile;
  }

  /** ssmR3StrmGetSize (files). */
  size(): number {
    if (!this.source.size) throw new VBoxError(VERR_NOT_SUPPORTED, 'Not a file stream.');
    return this.source.size();
  }

  /** ssmR3StrmDisableChecksumming. */
  disableChecksum(): void {
    this.checksummed = false;
  }

  private crcCatchUp(): void {
    if (this.crcPos < this._pos) {
      this._crc = crc32(this.buf.subarray(this.crcPos, this._pos), this._crc);
      this.crcPos = this._pos;
    }
  }

  /** ssmR3StrmCurCRC: the running (unfinished) CRC, 0 when not checksummed. */
  curCrc(): number {
    if (!this.checksummed) return 0;
    this.crcCatchUp();
    return crcRunning(this._crc);
  }

  /** ssmR3StrmFinalCRC: the finished CRC, 0 when not checksummed. */
  finalCrc(): number {
    if (!this.checksummed) return 0;
    this.crcCatchUp();
    return this._crc;
  }

  /** Makes at least n bytes available from #pos; false at end of stream. */
  private fill(n: number): boolean {
    if (this.len - this._pos >= n) return true;
    if (this.eof) return false;
    this.crcCatchUp();
    // Compact: drop consumed bytes (their CRC is folded into #crc).
    if (this._pos > 0) {
      this.buf.copyWithin(0, this._pos, this.len);
      this.base += this._pos;
      this.len -= this._pos;
      this.crcPos -= this._pos;
      this._pos = 0;
    }
    // A size from the file cannot justify more than the file holds: refuse before allocating for it.
    if (this.source.size && this.base + n > this.source.size()) return false;
    if (this.buf.length < n) {
      const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    while (this.len < n) {
      const got = this.source.read(this.buf.subarray(this.len));
      if (got === 0) {
        this.eof = true;
        return false;
      }
      this.len += got;
    }
    return true;
  }

  /** Reads exactly n bytes; the view is valid until the next read. Throws VERR_EOF when the stream ends first. */
  read(n: number): Uint8Array {
    if (!this.fill(n)) throw new VBoxError(VERR_EOF, `Saved-state stream ended at ${this.base + this.len}, wanted ${n} bytes at ${this.offStream}.`);
    const view = this.buf.subarray(this._pos, this._pos + n);
    this._pos += n;
    return view;
  }

  /** Reads exactly dst.length bytes into dst. */
  readInto(dst: Uint8Array): void {
    let at = 0;
    while (at < dst.length) {
      const n = Math.min(dst.length - at, READ_AHEAD);
      dst.set(this.read(n), at);
      at += n;
    }
  }

  /** ssmR3StrmPeekAt: positional read of a file without touching the stream; negative pos counts from the end. */
  peekAt(pos: number, n: number): { bytes: Uint8Array; off: number } {
    const { source } = this;
    if (!source.readAt || !source.size) throw new VBoxError(VERR_NOT_SUPPORTED, 'Peek on a stream that is not a file.');
    const off = pos >= 0 ? pos : source.size() + pos;
    if (off < 0) throw new VBoxError(VERR_EOF, `Peek before the start of the file (${pos}).`);
    if (!(n >= 0) || off + n > source.size()) throw new VBoxError(VERR_EOF, `Peek of ${n} bytes at ${off} passes the end of the file.`);
    const bytes = new Uint8Array(n);
    if (source.readAt(off, bytes) !== n) throw new VBoxError(VERR_EOF, `Peek of ${n} bytes at ${off} passes the end of the file.`);
    return { bytes, off };
  }

  /** ssmR3StrmSeek: jump to off with the running CRC given (files only). */
  seek(off: number, runningCrc: number): void {
    if (!this.source.seek) throw new VBoxError(VERR_NOT_SUPPORTED, 'Seek on a stream that cannot seek.');
    this.source.seek(off);
    this.base = off;
    this._pos = 0;
    this.len = 0;
    this.crcPos = 0;
    this.eof = false;
    this._crc = crcFinish(runningCrc);
  }

  /** The bytes read ahead and not consumed yet (the streaming loader scans units in them). */
  peekBuffered(): Uint8Array {
    return this.buf.subarray(this._pos, this.len);
  }

  /** Pulls from the source until n bytes are buffered or the source has nothing more right now. */
  pull(n: number): void {
    try {
      this.fill(n);
    } catch (e) {
      if (!(e instanceof SsmNeedMoreData)) throw e;
    }
  }

  close(): void {
    this.source.close();
  }
}

/** The read-ahead buffer as a snapshot keeps it: up to its fill (its capacity comes back as it was). */
interface ReaderBuffer {
  buf: Uint8Array;
  len: number;
}
persistable('SsmStreamReader', SsmStreamReader, {
  save: (reader) => {
    const r = reader as unknown as ReaderBuffer;
    return { ...r, buf: r.buf.slice(0, r.len), capacity: r.buf.length };
  },
  restore: (reader, { capacity, ...data }: ReaderBuffer & { capacity: number }) => {
    const buf = new Uint8Array(capacity);
    buf.set(data.buf);
    Object.assign(reader, data, { buf });
  },
});
