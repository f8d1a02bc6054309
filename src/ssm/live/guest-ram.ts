/**
 * Simulated guest RAM for the `pgm` unit: 4 KiB pages, zero until the guest writes them, dirtied by the
 * running guest at a configurable rate of bytes per second of GIP time, with the per-page dirty bits a live
 * save uses to send only what changed since the previous pass. The backing buffer is allocated on the first
 * write, so a VM that never runs a guest costs a few fields, not its RAM size; so are the page bitmaps and the page
 * picker (a world copy of such a VM copies neither: three objects and two bitmaps fewer).
 */
import { persistable } from '../../persist/registry.js';
import { Prng } from '../../sched/prng.js';
import { VBoxError, VERR_INVALID_PARAMETER } from '../../status.js';
import { crc32 } from '../crc.js';

export const PGM_PAGE_SIZE = 4096;
/** Default guest RAM: small, so that every VM of a test or a bench of many VMs can have it. */
export const GUEST_RAM_DEFAULT_BYTES = 4 * 1024 * 1024;

export interface GuestRamOptions {
  /** RAM size in bytes, a multiple of 4 KiB, at most 4 GiB (default 4 MiB). */
  sizeBytes?: number;
  /** Bytes per second of GIP time the running guest dirties (default 0). */
  dirtyBytesPerSec?: number;
  /** Give every page content at start, as a guest that has touched all of its memory (default false). */
  prefill?: boolean;
  /** Seed of the page picker (which pages the guest writes). */
  seed?: number;
}

export class GuestRam {
  readonly sizeBytes: number;
  readonly pageCount: number;
  /** How fast the running guest dirties memory; may be changed at any time. */
  dirtyBytesPerSec: number;
  /** Page has (or may have) non-zero content (null: none has; made at the first page given content). */
  private _nonZero: Uint8Array | null = null;
  /** Page changed since a live save last sent it (only kept while tracking; null: none is). */
  private _dirty: Uint8Array | null = null;
  dirtyPages = 0;
  /** A live save is tracking dirty pages. */
  tracking = false;
  /** Pages the guest has written since creation (statistics). */
  pagesWritten = 0;
  private _ram: Buffer | null = null;
  /** A word view of _ram (a cache: rebuilt from _ram after a restore). */
  private _words: Uint32Array | null = null;
  /** The page picker's seed, and the picker made from it at the first pick. */
  private readonly seed: number;
  private _prng: Prng | null = null;
  private lastNs: number | null = null;
  private carryBytes = 0;
  private stamp = 0;

  constructor(options: GuestRamOptions = {}) {
    const size = options.sizeBytes ?? GUEST_RAM_DEFAULT_BYTES;
    if (!Number.isSafeInteger(size) || size <= 0 || size % PGM_PAGE_SIZE !== 0 || size > 4 * 1024 ** 3) {
      throw new VBoxError(VERR_INVALID_PARAMETER, `guest RAM size must be a positive multiple of ${PGM_PAGE_SIZE} up to 4 GiB, got ${size}`);
    }
    const rate = options.dirtyBytesPerSec ?? 0;
    if (!(rate >= 0) || !Number.isFinite(rate)) throw new VBoxError(VERR_INVALID_PARAMETER, `dirtyBytesPerSec must be >= 0, got ${rate}`);
    this.sizeBytes = size;
    this.pageCount = size / PGM_PAGE_SIZE;
    this.dirtyBytesPerSec = rate;
    this.seed = options.seed ?? 0x9e3779b9;
    if (options.prefill) for (let page = 0; page < this.pageCount; page++) this.write(page);
  }

  /**
   * The guest writes a page: it gets new content (a xorshift stream seeded by the write, so it does not
   * compress — like real guest data), and a tracked save will send it again.
   */
  write(page: number): void {
    const words = this._backing().words;
    let x = (Math.imul(++this.stamp, 0x9e3779b1) ^ page) | 1;
    for (let i = page * (PGM_PAGE_SIZE / 4), end = i + PGM_PAGE_SIZE / 4; i < end; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
    this.nonZeroPages()[page] = 1;
    this.pagesWritten++;
    this.markDirty(page);
  }

  /** The backing store, allocated on first use (zero-filled, 4-byte aligned); a restored one is copied aligned. */
  private _backing(): { ram: Buffer; words: Uint32Array } {
    if (this._ram === null || !this._words) {
      const buffer = new ArrayBuffer(this.sizeBytes);
      const restored = this._ram;
      this._ram = Buffer.from(buffer);
      if (restored !== null) this._ram.set(restored);
      this._words = new Uint32Array(buffer);
    }
    return { ram: this._ram, words: this._words };
  }

  private nonZeroPages(): Uint8Array {
    return (this._nonZero ??= new Uint8Array(this.pageCount));
  }

  /** The page has (or may have) non-zero content. */
  isNonZero(page: number): boolean {
    return this._nonZero !== null && this._nonZero[page] === 1;
  }

  /** The page changed since a live save last sent it. */
  isDirty(page: number): boolean {
    return this._dirty !== null && this._dirty[page] === 1;
  }

  markDirty(page: number): void {
    if (this.tracking && this._dirty![page] === 0) {
      this._dirty![page] = 1;
      this.dirtyPages++;
    }
  }

  /** Clear a page's dirty bit when a pass sends it. */
  clearDirty(page: number): void {
    if (this._dirty !== null && this._dirty[page] === 1) {
      this._dirty[page] = 0;
      this.dirtyPages--;
    }
  }

  /** Start dirty tracking with every page dirty (a live save's first pass sends everything). */
  startTracking(): void {
    this.tracking = true;
    (this._dirty ??= new Uint8Array(this.pageCount)).fill(1);
    this.dirtyPages = this.pageCount;
  }

  stopTracking(): void {
    this.tracking = false;
    this._dirty = null;
    this.dirtyPages = 0;
  }

  /** Dirty pages whose content is not zero (what a pass really has to send). */
  dirtyDataPages(): number {
    let n = 0;
    for (let page = 0; page < this.pageCount; page++) if (this.isDirty(page) && this.isNonZero(page)) n++;
    return n;
  }

  /**
   * The guest ran until `nowNs`: dirty rate × elapsed bytes worth of pages picked at random (a page can be hit
   * twice). Called by the guest on every slice; the first call after the VM (re)starts only sets the mark.
   */
  guestRan(nowNs: number): void {
    if (this.lastNs === null || nowNs < this.lastNs) {
      this.lastNs = nowNs;
      return;
    }
    const bytes = (this.dirtyBytesPerSec * (nowNs - this.lastNs)) / 1e9 + this.carryBytes;
    this.lastNs = nowNs;
    const pages = Math.floor(bytes / PGM_PAGE_SIZE);
    this.carryBytes = bytes - pages * PGM_PAGE_SIZE;
    if (pages > 0) this._prng ??= new Prng(this.seed);
    for (let i = 0; i < pages; i++) this.write(this._prng!.int(this.pageCount));
  }

  /** The guest stopped running (the VM left RUNNING / RUNNING_LS): time until it runs again dirties nothing. */
  guestStopped(): void {
    this.lastNs = null;
    this.carryBytes = 0;
  }

  /** A page's bytes (a view; zero pages give a shared zero page). */
  page(page: number): Buffer {
    if (this._ram === null || !this.isNonZero(page)) return ZERO_PAGE;
    return this._ram.subarray(page * PGM_PAGE_SIZE, (page + 1) * PGM_PAGE_SIZE);
  }

  /** Load a page's content (null: a zero page). */
  setPage(page: number, bytes: Uint8Array | null): void {
    if (bytes === null) {
      if (this._ram !== null && this.isNonZero(page)) this._ram.fill(0, page * PGM_PAGE_SIZE, (page + 1) * PGM_PAGE_SIZE);
      if (this._nonZero !== null) this._nonZero[page] = 0;
      return;
    }
    this._backing().ram.set(bytes.subarray(0, PGM_PAGE_SIZE), page * PGM_PAGE_SIZE);
    this.nonZeroPages()[page] = 1;
  }

  /** CRC-32 of the whole RAM (zero pages included as zeros): equal RAM, equal digest. */
  digest(): number {
    let crc = 0;
    for (let page = 0; page < this.pageCount; page++) crc = crc32(this.page(page), crc);
    return crc;
  }
}

const ZERO_PAGE = Buffer.alloc(PGM_PAGE_SIZE);
persistable('GuestRam', GuestRam, { transient: ['_words'], owned: ['_prng', '_dirty', '_nonZero'] });
