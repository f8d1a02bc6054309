/**
 * The `pgm` saved-state unit: guest RAM page by page (vbox-facts.md §7.2; PGM's own code was not read, so the
 * format and the vote rule are ours). A live save sends every page in pass 0 and afterwards only the pages
 * the guest dirtied since the previous pass; the final pass sends what is still dirty while the VM is
 * suspended. The vote says done only from pass 10 on and only when the dirty data would move within the
 * maximum downtime (never taken below 32 ms) at the stream's bandwidth; it gives up when the estimate has not
 * improved for 16 passes in a row (the guest dirties memory faster than the stream moves it).
 *
 * Unit data (version 1), in every pass: u32 page count, u32 page size, then records until END:
 * RAW (u8 1, u32 page, 4096 bytes) and ZERO_RUN (u8 2, u32 first page, u32 count); END is u8 0.
 *
 * Loading is bounded by what the file can justify (a ZERO_RUN is 9 bytes that LZF shrinks to almost nothing, so
 * its page count proves nothing): within a unit the records go up through the pages without overlap (as the
 * saver writes them), the pgm units of one load come in rising pass order, and a ZERO_RUN page that is already
 * zero — work without progress — is allowed at most twice per page of RAM over the whole load. Every other page
 * loaded either changes RAM or came with 4 KiB of data. The load runs in slices of PGM_LOAD_SLICE_PAGES pages.
 */
import {
  VBoxError, VERR_SSM_DATA_UNIT_FORMAT_CHANGED, VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH, VERR_SSM_LOADED_TOO_MUCH, VERR_SSM_UNEXPECTED_PASS,
  VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, VERR_SSM_VOTE_FOR_GIVING_UP, VINF_SSM_VOTE_FOR_ANOTHER_PASS, VINF_SUCCESS,
} from '../status.js';
import type { SsmHandle } from './handle.js';
import { GuestRam, PGM_PAGE_SIZE } from './live/guest-ram.js';
import { LIVE_SAVE_DEFAULT_BANDWIDTH } from './live/live-info.js';
import { sharedCallbacks, unitOwner, type SsmUnitOptions } from './units.js';
import { defineCodes, persistable } from '../persist/registry.js';

export const PGM_UNIT_NAME = 'pgm';
export const PGM_UNIT_VERSION = 1;
/** The vote may say done from this pass on. */
export const PGM_VOTE_MIN_PASS = 10;
/** The downtime budget the vote uses is never below this. */
export const PGM_VOTE_MIN_DOWNTIME_MS = 32;
/** Give up after this many passes in a row without a better estimate. */
export const PGM_VOTE_STALL_PASSES = 16;

/** Pages loaded between two engine turns (512 KiB of RAW data: ~1 ms warm, ~20 ms before LZF is compiled). */
export const PGM_LOAD_SLICE_PAGES = 128;
/** A load may zero a page that is already zero this many times per page of RAM (pass 0 and one spare). */
export const PGM_LOAD_IDLE_ZERO_PER_PAGE = 2;

const REC_END = 0;
const REC_RAW = 1;
const REC_ZERO_RUN = 2;

/** One live save's vote bookkeeping. */
interface VoteState {
  bestMs: number;
  passesSinceBest: number;
}

/** Estimated milliseconds to send the dirty pages with data at the stream's bandwidth. */
export function pgmMsLeft(ram: GuestRam, bandwidthBytesPerSec: number): number {
  return (ram.dirtyDataPages() * PGM_PAGE_SIZE * 1000) / bandwidthBytesPerSec;
}

/** One load's bookkeeping across the pgm units of the stream. */
interface LoadState {
  /** The pass of the last pgm unit loaded, -1 before the first. */
  lastPass: number;
  /** ZERO_RUN pages that were already zero, over the whole load. */
  idleZeroPages: number;
}

/**
 * The unit's owner: the RAM and the bookkeeping across one save's passes (the vote's) and one load's units, in
 * one record (a world copied mid-save copies one object for it, not three).
 */
interface PgmUnitState extends VoteState, LoadState {
  readonly ram: GuestRam;
}

/** The unit registration for a VM's RAM (SSMR3RegisterInternal "pgm", instance 0): shared callbacks, owned by (ram, state). */
export function pgmUnit(ram: GuestRam): SsmUnitOptions {
  const owner: PgmUnitState = { ram, bestMs: Infinity, passesSinceBest: 0, lastPass: -1, idleZeroPages: 0 };
  return { name: PGM_UNIT_NAME, instance: 0, version: PGM_UNIT_VERSION, cbGuess: ram.sizeBytes, owner, table: PGM_TABLE };
}

/** A new save's vote bookkeeping (the live save's, cleared again when it is done). */
function resetVote(vote: VoteState): void {
  vote.bestMs = Infinity;
  vote.passesSinceBest = 0;
}

const isDirty = (ram: GuestRam, page: number): boolean => ram.isDirty(page);
const pgmOf = (ssm: SsmHandle): PgmUnitState => unitOwner<PgmUnitState>(ssm);

const PGM_CALLBACKS = defineCodes('ssm.pgm', {
  livePrep: (ssm: SsmHandle): void => {
    const state = pgmOf(ssm);
    state.ram.startTracking();
    resetVote(state);
  },
  liveExec: (ssm: SsmHandle): number => {
    putPages(ssm, pgmOf(ssm).ram, isDirty);
    return VINF_SUCCESS;
  },
  liveVote: (ssm: SsmHandle, pass: number): number => pgmLiveVote(ssm, pgmOf(ssm).ram, pass, pgmOf(ssm)),
  // Final pass: what is still dirty after a live save, everything after a plain one.
  saveExec: (ssm: SsmHandle): void => {
    const ram = pgmOf(ssm).ram;
    putPages(ssm, ram, ram.tracking ? isDirty : () => true);
  },
  // pgmR3SaveDone: tracking off, and the live save's vote bookkeeping goes with it.
  saveDone: (ssm: SsmHandle): void => {
    const state = pgmOf(ssm);
    state.ram.stopTracking();
    resetVote(state);
  },
  loadPrep: (ssm: SsmHandle): void => {
    const load: LoadState = pgmOf(ssm);
    load.lastPass = -1;
    load.idleZeroPages = 0;
  },
  loadExec: (ssm: SsmHandle, version: number, pass: number) => {
    const state = pgmOf(ssm);
    return new PgmLoadSlices(ssm, state.ram, version, pass, state);
  },
});
/** The unit's callback table, shared by every VM's pgm unit. */
const PGM_TABLE = sharedCallbacks(PGM_UNIT_NAME, PGM_CALLBACKS);

function pgmLiveVote(ssm: SsmHandle, ram: GuestRam, pass: number, vote: VoteState): number {
  const bandwidth = ssm.liveInfo?.bandwidthBytesPerSec ?? LIVE_SAVE_DEFAULT_BANDWIDTH;
  const msLeft = pgmMsLeft(ram, bandwidth);
  const downtimeMs = Math.max(PGM_VOTE_MIN_DOWNTIME_MS, ssm.maxDowntimeMs());
  ssm.reportLivePercent(Math.floor(100 - (100 * ram.dirtyPages) / ram.pageCount));
  if (pass >= PGM_VOTE_MIN_PASS && msLeft < downtimeMs) return VINF_SUCCESS;
  if (msLeft < vote.bestMs) {
    vote.bestMs = msLeft;
    vote.passesSinceBest = 0;
  } else vote.passesSinceBest++;
  if (pass >= PGM_VOTE_MIN_PASS && vote.passesSinceBest >= PGM_VOTE_STALL_PASSES) return VERR_SSM_VOTE_FOR_GIVING_UP;
  return VINF_SSM_VOTE_FOR_ANOTHER_PASS;
}

/** Pages for which `send` holds, in page order; zero pages as runs. Sent pages are no longer dirty. */
function putPages(ssm: SsmHandle, ram: GuestRam, send: (ram: GuestRam, page: number) => boolean): void {
  ssm.putU32(ram.pageCount);
  ssm.putU32(PGM_PAGE_SIZE);
  let zeroStart = -1;
  const flushZeros = (end: number) => {
    if (zeroStart < 0) return;
    ssm.putU8(REC_ZERO_RUN);
    ssm.putU32(zeroStart);
    ssm.putU32(end - zeroStart);
    zeroStart = -1;
  };
  for (let page = 0; page < ram.pageCount; page++) {
    if (!send(ram, page)) {
      flushZeros(page);
      continue;
    }
    ram.clearDirty(page);
    if (!ram.isNonZero(page)) {
      if (zeroStart < 0) zeroStart = page;
      continue;
    }
    flushZeros(page);
    ssm.putU8(REC_RAW);
    ssm.putU32(page);
    ssm.putMem(ram.page(page));
  }
  flushZeros(ram.pageCount);
  ssm.putU8(REC_END);
}

/**
 * The unit's data, as slices: a record (its position in the unit is its fields, so a load in progress is data)
 * whose next() loads up to PGM_LOAD_SLICE_PAGES pages and returns; done at the END record.
 */
export class PgmLoadSlices implements Iterator<void, void, void> {
  started = false;
  /** The first page the next record may start at (records go up). */
  nextPage = 0;
  sliceLeft = PGM_LOAD_SLICE_PAGES;
  /** A ZERO_RUN being applied: its next page and its end (runPage === runEnd: none). */
  runPage = 0;
  runEnd = 0;
  /** A page's worth of RAW data (a scratch buffer: made again after a restore). */
  private scratch: Uint8Array | null = null;

  constructor(
    readonly ssm: SsmHandle,
    readonly ram: GuestRam,
    readonly version: number,
    readonly pass: number,
    readonly load: LoadState,
  ) {}

  next(): IteratorResult<void, void> {
    const { ssm, ram, load, pass } = this;
    if (!this.started) {
      this.started = true;
      this.begin();
    }
    const idleZeroMax = PGM_LOAD_IDLE_ZERO_PER_PAGE * ram.pageCount;
    for (;;) {
      if (this.runPage < this.runEnd) {
        const page = this.runPage++;
        if (!ram.isNonZero(page) && ++load.idleZeroPages > idleZeroMax) {
          throw refuse(ssm, VERR_SSM_LOADED_TOO_MUCH, `more than ${idleZeroMax} zero-page loads that change nothing (page ${page}, pass ${hexPass(pass)})`);
        }
        ram.setPage(page, null);
        if (this.sliceDone()) return { done: false, value: undefined };
        continue;
      }
      const type = ssm.getU8();
      if (type === REC_END) return { done: true, value: undefined };
      if (type === REC_RAW) {
        const page = checkRun(ssm, ram, ssm.getU32(), 1, this.nextPage);
        ram.setPage(page, ssm.getMem(PGM_PAGE_SIZE, (this.scratch ??= new Uint8Array(PGM_PAGE_SIZE))));
        this.nextPage = page + 1;
        if (this.sliceDone()) return { done: false, value: undefined };
      } else if (type === REC_ZERO_RUN) {
        const first = ssm.getU32();
        const count = ssm.getU32();
        this.nextPage = checkRun(ssm, ram, first, count, this.nextPage) + count;
        this.runPage = first;
        this.runEnd = this.nextPage;
      } else {
        throw refuse(ssm, VERR_SSM_DATA_UNIT_FORMAT_CHANGED, `unknown page record type ${type}`);
      }
    }
  }

  /** The unit's version, its pass (rising over the load) and the RAM's geometry. */
  private begin(): void {
    const { ssm, ram, version, pass, load } = this;
    if (version !== PGM_UNIT_VERSION) {
      const message = `Unsupported version ${version} of data unit 'pgm'`;
      ssm.setLoadError(VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, message);
      throw new VBoxError(VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, message);
    }
    // SSM_PASS_FINAL (0xffffffff) is the highest pass, so nothing follows it.
    if (pass <= load.lastPass) throw refuse(ssm, VERR_SSM_UNEXPECTED_PASS, `pass ${hexPass(pass)} after pass ${hexPass(load.lastPass)}`);
    load.lastPass = pass;
    const pageCount = ssm.getU32();
    const pageSize = ssm.getU32();
    if (pageCount !== ram.pageCount || pageSize !== PGM_PAGE_SIZE) {
      const message = `guest RAM is ${ram.pageCount} pages of ${PGM_PAGE_SIZE} bytes; the saved state has ${pageCount} pages of ${pageSize}`;
      ssm.setLoadError(VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH, message);
      throw new VBoxError(VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH, message);
    }
  }

  /** One more page of this slice; true when the slice is full (the load gives the engine a turn). */
  private sliceDone(): boolean {
    if (--this.sliceLeft > 0) return false;
    this.sliceLeft = PGM_LOAD_SLICE_PAGES;
    return true;
  }
}
persistable('PgmLoadSlices', PgmLoadSlices, { transient: ['scratch'] });

/** A record's pages: inside RAM, and at or after the end of the previous record of this unit. */
function checkRun(ssm: SsmHandle, ram: GuestRam, first: number, count: number, nextPage: number): number {
  if (count < 1 || first + count > ram.pageCount) {
    throw refuse(ssm, VERR_SSM_DATA_UNIT_FORMAT_CHANGED, `page range ${first}+${count} is outside ${ram.pageCount} pages`);
  }
  if (first < nextPage) throw refuse(ssm, VERR_SSM_DATA_UNIT_FORMAT_CHANGED, `page range ${first}+${count} overlaps or precedes page ${nextPage - 1}, loaded before it`);
  return first;
}

const hexPass = (pass: number): string => (pass < 0 ? 'none' : `0x${pass.toString(16)}`);

function refuse(ssm: SsmHandle, rc: number, message: string): VBoxError {
  ssm.setLoadError(rc, message);
  return new VBoxError(rc, message);
}
