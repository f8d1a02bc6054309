/**
 * The saved-state handle units see (SSMHANDLE, vbox-facts.md §7.2–§7.5): the typed put/get calls of SSMR3Put* /
 * SSMR3Get*, the operation state and "after" value, the sticky status (SSMR3HandleGetStatus/SetStatus), the
 * cancellation word that SSMR3Cancel flips, maximum downtime and live-percent reporting. Data goes to the stream
 * writer's current unit when saving and comes from the unit data reader when loading or reading an opened file.
 * Every put/get throws VBoxError on failure and records the first failure in `rc`, as VirtualBox records it in
 * SSMHANDLE::rc.
 */
import {
  RT_FAILURE, VBoxError, VERR_INVALID_PARAMETER, VERR_SSM_ALREADY_CANCELLED, VERR_SSM_CANCELLED, VERR_SSM_INVALID_STATE,
  VERR_SSM_IPE_3, VERR_TOO_MUCH_DATA, VINF_SUCCESS,
} from '../status.js';
import {
  SSM_STATES, SSMHANDLE_CANCELLED, SSMHANDLE_OK, type SsmAfter, type SsmState,
} from './constants.js';
import { persistable } from '../persist/registry.js';
import { SsmProgress, type SsmProgressReceiver } from './progress.js';
import type { SsmStreamWriter } from './stream-writer.js';
import type { SsmUnitDataReader } from './unit-reader.js';
import type { SsmUnit } from './units.js';
import type { LiveSaveInfo } from './live/live-info.js';
import type { SsmLiveSave } from './live-save.js';

const UINT32_MAX = 0xffffffff;
const stateIndex = (s: SsmState): number => SSM_STATES.indexOf(s);
/** Where a scalar put is encoded before the writer copies it (puts are synchronous: one buffer serves all). */
const SCALAR = new Uint8Array(8);
const SCALAR_VIEW = new DataView(SCALAR.buffer);

export interface SsmHandleOptions {
  after: SsmAfter;
  live?: boolean;
  /** cMsMaxDowntime; UINT32_MAX (the default) for non-live saves. */
  maxDowntimeMs?: number;
  onProgress?: SsmProgressReceiver;
}

export class SsmHandle {
  /** enmOp. */
  state: SsmState = 'INVALID';
  /** enmAfter. */
  after: SsmAfter;
  /** The operation's sticky status (first failure wins). */
  rc = VINF_SUCCESS;
  /** fCancelled: SSMHANDLE_OK or SSMHANDLE_CANCELLED. */
  cancelled = SSMHANDLE_OK;
  /** fLiveSave (when loading: the file's STREAM_LIVE_SAVE flag). */
  live: boolean;
  readonly progress: SsmProgress;
  /** The stream writer when saving. */
  writer: SsmStreamWriter | null = null;
  /** The current unit's data records when loading or reading. */
  reader: SsmUnitDataReader | null = null;
  /** The unit whose callback is running (pCurUnit), for error messages. */
  unit: SsmUnit | null = null;
  /** uCurUnitVer / uCurUnitPass of the unit being loaded. */
  unitVersion = UINT32_MAX;
  unitPass = 0;
  /** The lowest percentage reported in this vote run (uReportedLivePercent). */
  reportedLivePercent = 0;
  /** The "SSM" unit's build table (made when a load first reads it: a save never does). */
  private _buildInfo: Map<string, string> | null = null;
  hostOsAndArch = '';
  /** Set once a load error message has been recorded (fHaveSetError). */
  errorMessage: string | null = null;
  /** Host bits of the file being read (32 or 64); 64 when writing. */
  hostBits = 64;
  /** The save (live or plain) whose machine drives this handle (SSMR3Cancel goes through it); null for loads. */
  liveSave: SsmLiveSave | null = null;
  /** What a live save tells its units beyond the handle (bandwidth, GIP clock); null for plain saves and loads. */
  liveInfo: LiveSaveInfo | null = null;
  private readonly _maxDowntimeMs: number;

  constructor(opts: SsmHandleOptions) {
    this.after = opts.after;
    this.live = opts.live ?? false;
    this._maxDowntimeMs = opts.maxDowntimeMs ?? UINT32_MAX;
    this.progress = new SsmProgress(opts.onProgress);
    this.progress.live = this.live;
  }

  /** The "SSM" unit's build table, when loading; "Host OS" is also hostOsAndArch. */
  get buildInfo(): Map<string, string> {
    return (this._buildInfo ??= new Map());
  }

  // ---- status and cancellation -------------------------------------------------------------------------------

  /** Records a failure unless one is already recorded; returns the sticky status. */
  fail(rc: number): number {
    if (RT_FAILURE(rc) && !RT_FAILURE(this.rc)) this.rc = rc;
    return this.rc;
  }

  /** SSMR3HandleGetStatus. */
  getStatus(): number {
    return this.rc;
  }

  /** SSMR3HandleSetStatus: only failures; returns the (possibly older) sticky status. */
  setStatus(rc: number): number {
    if (!RT_FAILURE(rc)) throw new VBoxError(VERR_INVALID_PARAMETER, `SSMR3HandleSetStatus needs a failure status, got ${rc}.`);
    return this.fail(rc);
  }

  /** SSMR3Cancel's compare-and-swap on this handle. */
  cancel(): number {
    if (this.cancelled === SSMHANDLE_OK) {
      this.cancelled = SSMHANDLE_CANCELLED;
      return VINF_SUCCESS;
    }
    if (this.cancelled === SSMHANDLE_CANCELLED) return VERR_SSM_ALREADY_CANCELLED;
    return VERR_SSM_IPE_3;
  }

  get isCancelled(): boolean {
    return this.cancelled === SSMHANDLE_CANCELLED;
  }

  /** SSM_CHECK_CANCELLED_RET: a cancelled handle fails every put/get with VERR_SSM_CANCELLED. */
  checkCancelled(): void {
    if (this.cancelled !== SSMHANDLE_CANCELLED) return;
    this.fail(VERR_SSM_CANCELLED);
    throw new VBoxError(this.rc);
  }

  /** SSMR3HandleMaxDowntime: the live budget while saving, UINT32_MAX otherwise. */
  maxDowntimeMs(): number {
    return stateIndex(this.state) <= stateIndex('SAVE_DONE') ? this._maxDowntimeMs : UINT32_MAX;
  }

  /** SSMR3HandleReportLivePercent: only during LIVE_VOTE, pct ≤ 100; keeps the minimum. */
  reportLivePercent(pct: number): void {
    if (this.state !== 'LIVE_VOTE' || !(pct >= 0 && pct <= 100)) return;
    if (pct < this.reportedLivePercent) this.reportedLivePercent = Math.floor(pct);
  }

  /** SSMR3HandleIsLiveSave. */
  isLiveSave(): boolean {
    return this.live;
  }

  /** SSMR3SetLoadError: records a message with the unit context (first one wins) and returns rc. */
  setLoadError(rc: number, message: string): number {
    const name = this.unit?.name ?? 'unknown';
    const instance = this.unit?.instance ?? 0;
    const where = this.state === 'LOAD_EXEC'
      ? (this.unitPass === UINT32_MAX ? `[ver=${this.unitVersion} pass=final]` : `[ver=${this.unitVersion} pass=#${this.unitPass}]`)
      : this.state === 'LOAD_PREP' ? '[prep]' : this.state === 'LOAD_DONE' ? '[done]' : '[read]';
    this.errorMessage ??= `${name}#${instance}: ${message} ${where}`;
    return rc;
  }

  // ---- put side (SSM_ASSERT_WRITEABLE_RET + SSM_CHECK_CANCELLED_RET) ------------------------------------------

  private writable(): SsmStreamWriter {
    if ((this.state !== 'SAVE_EXEC' && this.state !== 'LIVE_EXEC') || !this.writer) {
      throw new VBoxError(VERR_SSM_INVALID_STATE, `SSM put in state ${this.state}.`);
    }
    this.checkCancelled();
    return this.writer;
  }

  private _put(bytes: Uint8Array): void {
    const writer = this.writable();
    try {
      writer.writeData(bytes);
    } catch (e) {
      throw this.record(e);
    }
  }

  private record(e: unknown): unknown {
    if (e instanceof VBoxError) this.fail(e.rc);
    return e;
  }

  /** Puts the first `size` bytes of SCALAR (the writer copies them into its unit buffer at once). */
  private scalar(size: number): void {
    const writer = this.writable();
    try {
      writer.writeData(SCALAR, size);
    } catch (e) {
      throw this.record(e);
    }
  }

  putBool(value: boolean): void { this.putU8(value ? 1 : 0); }
  putU8(value: number): void { SCALAR_VIEW.setUint8(0, value); this.scalar(1); }
  putS8(value: number): void { SCALAR_VIEW.setInt8(0, value); this.scalar(1); }
  putU16(value: number): void { SCALAR_VIEW.setUint16(0, value, true); this.scalar(2); }
  putS16(value: number): void { SCALAR_VIEW.setInt16(0, value, true); this.scalar(2); }
  putU32(value: number): void { SCALAR_VIEW.setUint32(0, value, true); this.scalar(4); }
  putS32(value: number): void { SCALAR_VIEW.setInt32(0, value, true); this.scalar(4); }
  putU64(value: bigint): void { SCALAR_VIEW.setBigUint64(0, BigInt.asUintN(64, value), true); this.scalar(8); }
  putS64(value: bigint): void { SCALAR_VIEW.setBigInt64(0, BigInt.asIntN(64, value), true); this.scalar(8); }

  /** SSMR3PutMem: small writes are buffered, big ones go out as 4 KiB zero / LZF / raw records. */
  putMem(bytes: Uint8Array): void {
    this._put(bytes);
  }

  /** SSMR3PutStrZ: u32 length then the UTF-8 bytes (no NUL); longer than 1 MiB is VERR_TOO_MUCH_DATA. */
  putStrZ(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.writable();
    if (bytes.length > 1024 * 1024) throw new VBoxError(VERR_TOO_MUCH_DATA, `A ${bytes.length} byte string is too long for SSMR3PutStrZ.`);
    this.putU32(bytes.length);
    this._put(bytes);
  }

  /** n zero bytes, written as RAW_ZERO records (1..4 KiB each) with a raw remainder below 1 KiB. */
  putZeros(cb: number): void {
    const writer = this.writable();
    try {
      writer.writeZeros(cb);
    } catch (e) {
      throw this.record(e);
    }
  }

  // ---- get side (SSM_ASSERT_READABLE_RET + SSM_CHECK_CANCELLED_RET) ---------------------------------------------

  private readable(): SsmUnitDataReader {
    if ((this.state !== 'LOAD_EXEC' && this.state !== 'OPEN_READ') || !this.reader) {
      throw new VBoxError(VERR_SSM_INVALID_STATE, `SSM get in state ${this.state}.`);
    }
    this.checkCancelled();
    if (RT_FAILURE(this.rc)) throw new VBoxError(this.rc);
    return this.reader;
  }

  /** Reads cb bytes; the view stays valid until the next get. */
  private _get(cb: number): Uint8Array {
    const reader = this.readable();
    try {
      return reader.read(cb);
    } catch (e) {
      throw this.record(e);
    }
  }

  private _view(cb: number): DataView {
    const bytes = this._get(cb);
    return new DataView(bytes.buffer, bytes.byteOffset, cb);
  }

  getBool(): boolean { return this.getU8() !== 0; }
  getU8(): number { return this._view(1).getUint8(0); }
  getS8(): number { return this._view(1).getInt8(0); }
  getU16(): number { return this._view(2).getUint16(0, true); }
  getS16(): number { return this._view(2).getInt16(0, true); }
  getU32(): number { return this._view(4).getUint32(0, true); }
  getS32(): number { return this._view(4).getInt32(0, true); }
  getU64(): bigint { return this._view(8).getBigUint64(0, true); }
  getS64(): bigint { return this._view(8).getBigInt64(0, true); }

  /** SSMR3GetMem: a fresh copy of the next cb bytes (or into `into` when given). */
  getMem(cb: number, into?: Uint8Array): Uint8Array {
    const target = into ?? new Uint8Array(cb);
    if (target.length < cb) throw new VBoxError(VERR_INVALID_PARAMETER, `getMem target holds ${target.length} of ${cb} bytes.`);
    const reader = this.readable();
    try {
      reader.readInto(target.subarray(0, cb));
    } catch (e) {
      throw this.record(e);
    }
    return target;
  }

  /** SSMR3GetStrZ(cbMax): cbMax counts the NUL, so the string must be shorter than cbMax bytes. */
  getStrZ(cbMax = 1024 * 1024 + 1): string {
    const cch = this.getU32();
    if (cch >= cbMax) throw new VBoxError(VERR_TOO_MUCH_DATA, `A ${cch} byte string does not fit in ${cbMax} bytes.`);
    return Buffer.from(this.getMem(cch)).toString('utf8');
  }

  /** SSMR3Skip. */
  skip(cb: number): void {
    for (let left = cb; left > 0;) {
      const cur = Math.min(left, 8192);
      this._get(cur);
      left -= cur;
    }
  }

  /** SSMR3SkipToEndOfUnit. */
  skipToEndOfUnit(): void {
    const reader = this.readable();
    try {
      reader.skipToEnd();
    } catch (e) {
      throw this.record(e);
    }
  }
}
persistable('SsmHandle', SsmHandle);
