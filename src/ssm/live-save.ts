/**
 * The SSM side of a live save (SSMR3LiveSave, SSMR3LiveDoStep1, SSMR3LiveDoStep2, SSMR3LiveDone, SSMR3Cancel;
 * vbox-facts.md §7.2–§7.5) as one handle whose SSMSTATE is machines/ssm-live-save.ts run through a MachineCell.
 * Step 1 is cut into pieces a thread outside the VM takes one at a time (the prepare run, then per pass the exec
 * run and the vote run), so a power-off can land between any two of them; step 2 and the close run on EMT(0).
 * Units write through SsmHandle into the v2 stream writer; the sink decides where the bytes go.
 */
import { ssmLiveSaveMachine, type SsmSaveEvent, type SsmSaveState } from '../../machines/ssm-live-save.js';
import { persistable } from '../persist/registry.js';
import { emitCellEdge, type CellEdgeSink } from '../sched/cell-edges.js';
import { sharedEvents, type MachineCell, type TransitionListener } from '../sched/machine-cell.js';
import { heldCell, sendHeld, type CellHolder } from '../sched/held-cell.js';
import {
  isVBoxError, RT_FAILURE, VBoxError, VERR_INTERNAL_ERROR, VERR_IPE_UNEXPECTED_INFO_STATUS, VERR_OUT_OF_RANGE,
  VERR_SSM_CANCELLED, VERR_SSM_INVALID_STATE, VERR_SSM_NO_PENDING_OPERATION, VERR_SSM_STATE_GREW_TOO_BIG, VINF_SSM_DONT_CALL_AGAIN,
  VINF_SSM_VOTE_DONE_DONT_CALL_AGAIN, VINF_SSM_VOTE_FOR_ANOTHER_PASS, VINF_SUCCESS,
} from '../status.js';
import {
  SSM_LIVE_CAP_FILE, SSM_LIVE_CAP_MIN, SSM_LIVE_CAP_STREAM, type SsmState,
} from './constants.js';
import { SsmHandle } from './handle.js';
import { callUnit, liveControlEmit, saveDoDoneRun, saveDoExecRun, saveDoFinalization, saveDoPrepRun, writeUnit } from './save-runs.js';
import type { LiveSaveInfo } from './live/live-info.js';
import type { SsmSink } from './sinks.js';
import { SsmStreamWriter } from './stream-writer.js';
import type { SsmUnitRegistry } from './units.js';
import type { SaveDriver, SaveStart } from '../vmm/save/ports.js';

/** Progress split of a live save (SSMR3LiveSave): prepare 2 %, live 93 %, done 2 %; the final exec gets 3 %. */
export const LIVE_PERCENT_PREPARE = 2;
export const LIVE_PERCENT_LIVE = 93;
export const LIVE_PERCENT_DONE = 2;

/** SSMR3LiveSave's / SSMR3Save's arguments (the engine's SaveStart) over this VM's unit registry. */
export interface LiveSaveOptions extends Omit<SaveStart, 'id' | 'live'> {
  registry: SsmUnitRegistry;
  /** systemId of the machine cell, e.g. `vm.1/ssm`. */
  id?: string;
  /** false: a plain save (SSMR3Save: SAVE_PREP straight away, split 20 / 0 / 2, no live flag in the header). */
  live?: boolean;
}

/** Progress split of a plain save (SSMR3Save): prepare 20 %, done 2 %. */
export const SAVE_PERCENT_PREPARE = 20;

/** The handle machine's events without fields, one shared object each: a memoized step then allocates nothing. */
const SSM_EVENTS = sharedEvents<Exclude<SsmSaveEvent, { type: 'liveSave' | 'save' | 'fail' }>>({
  livePrep: true, prepDone: true, execDone: true, voteAnotherPass: true, voteDone: true, step2: true, cancel: true, close: true,
});

/**
 * One save's handle and machine. With the engine's `vm` the save reports its cell's edges to the VM's event
 * stream and is itself the handle's liveInfo (the VM's clock): a world copied mid-save binds no code for it.
 */
export class SsmLiveSave implements SaveDriver, LiveSaveInfo, CellHolder<SsmSaveEvent> {
  /** The handle's machine: a held cell (sendHeld; world copies share it). */
  cell: MachineCell<SsmSaveEvent>;
  readonly handle: SsmHandle;
  readonly writer: SsmStreamWriter;
  readonly registry: SsmUnitRegistry;
  readonly sink: SsmSink;
  /** Live-save size cap: Σ cbGuess × 10,000 (file) or × 100,000 (stream), at least 1 GiB. */
  readonly cbMax: number;
  /** The stream's bandwidth (LiveSaveInfo: what the units' votes estimate with). */
  readonly bandwidthBytesPerSec: number;
  /** Where the machine's edges go (SaveStart.vm); null: no edges. */
  private readonly vm: CellEdgeSink | null;
  private doneRunDone = false;

  /** SSMR3LiveSave (EMT(0)): the handle, the file header, LIVE_STEP1, cancellable. Throws VBoxError. */
  constructor(options: LiveSaveOptions) {
    this.vm = options.vm ?? null;
    this.bandwidthBytesPerSec = options.bandwidthBytesPerSec;
    this.registry = options.registry;
    this.sink = options.sink;
    const guess = this.registry.units.reduce((sum, unit) => sum + unit.cbGuess, 0);
    const cap = guess * (options.sink.isFile ? SSM_LIVE_CAP_FILE : SSM_LIVE_CAP_STREAM);
    if (!Number.isSafeInteger(cap)) throw new VBoxError(VERR_OUT_OF_RANGE, `live-save size cap overflows (${guess} bytes guessed)`);
    this.cbMax = Math.max(cap, SSM_LIVE_CAP_MIN);
    const live = options.live ?? true;
    this.handle = new SsmHandle({
      after: options.after, live, ...(live ? { maxDowntimeMs: options.maxDowntimeMs } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (live) this.handle.progress.setSplit(LIVE_PERCENT_PREPARE, LIVE_PERCENT_LIVE, LIVE_PERCENT_DONE);
    else this.handle.progress.setSplit(SAVE_PERCENT_PREPARE, 0, LIVE_PERCENT_DONE);
    const progress = this.handle.progress;
    this.writer = new SsmStreamWriter(options.sink, { cUnits: this.registry.cUnits, live, lzf: options.lzf ?? true, progress });
    this.handle.writer = this.writer;
    if (live) this.handle.liveInfo = this;
    this.registry.resetUnits();
    const id = options.id ?? 'ssm';
    this.cell = heldCell<SsmSaveEvent>(ssmLiveSaveMachine, id);
    if (live) this._send({ type: 'liveSave', after: options.after });
    else if (options.after !== 'TELEPORT') this._send({ type: 'save', after: options.after });
    else throw new VBoxError(VERR_SSM_INVALID_STATE, 'a teleport is always a live save');
    this.handle.liveSave = this;
    this.registry.cancellable = this.handle;
  }

  /** An edge of the handle's machine, on the VM's event stream (a save without the engine's VM reports none). */
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1], event: Parameters<TransitionListener>[2]): void {
    if (this.vm) emitCellEdge(this.vm, 'ssmLiveSave', cell, from, event);
  }

  get state(): SsmSaveState {
    return this.cell.value as SsmSaveState;
  }

  /** uPass of the current or last live pass. */
  get pass(): number {
    return this.cell.context.pass as number;
  }

  get rc(): number {
    return this.handle.rc;
  }

  /** Stream bytes written so far. */
  get offStream(): number {
    return this.writer.offStream;
  }

  /** ssmR3DoLivePrepRun: pfnLivePrep of every unit in list order; progress reports 2. */
  prepRun(): number {
    if (!this._send(SSM_EVENTS.livePrep)) return this._fail(VERR_SSM_INVALID_STATE);
    for (const unit of this.registry.units) {
      const livePrep = unit.callbacks.livePrep;
      if (!livePrep) continue;
      const rc = callUnit(this.handle, unit, () => livePrep(this.handle));
      if (RT_FAILURE(rc)) return this._fail(rc);
    }
    this.handle.progress.report(LIVE_PERCENT_PREPARE);
    this.handle.progress.percent = LIVE_PERCENT_PREPARE;
    this._send(SSM_EVENTS.prepDone);
    return VINF_SUCCESS;
  }

  /** ssmR3DoLiveExecRun(uPass): each unit not yet done-live writes one pass; returns the bytes it produced. */
  execRun(): number {
    if (this.state !== 'LIVE_EXEC') return this._fail(VERR_SSM_INVALID_STATE);
    const pass = this.pass;
    const start = this.writer.offStream;
    for (const unit of this.registry.units) {
      const liveExec = unit.callbacks.liveExec;
      if (!liveExec || unit.doneLive) continue;
      if (this.handle.isCancelled) return this._fail(VERR_SSM_CANCELLED);
      this.handle.state = 'LIVE_EXEC';
      const rc = writeUnit(this.handle, this.writer, unit, pass, () => liveExec(this.handle, pass));
      if (rc === VINF_SSM_DONT_CALL_AGAIN) unit.doneLive = true;
      else if (RT_FAILURE(rc)) return this._fail(rc);
    }
    const rc = this._flush();
    if (RT_FAILURE(rc)) return rc;
    this._send(SSM_EVENTS.execDone);
    return this.writer.offStream - start;
  }

  /**
   * ssmR3DoLiveVoteRun(uPass): VINF_SUCCESS when every unit is ready (step 1 is complete),
   * VINF_SSM_VOTE_FOR_ANOTHER_PASS to go on, or the failure that ends step 1.
   */
  voteRun(): number {
    if (this.state !== 'LIVE_VOTE') return this._fail(VERR_SSM_INVALID_STATE);
    const pass = this.pass;
    this.handle.reportedLivePercent = 101;
    let another = false;
    for (const unit of this.registry.units) {
      const liveVote = unit.callbacks.liveVote;
      if (!liveVote || unit.doneLive) continue;
      const rc = callUnit(this.handle, unit, () => liveVote(this.handle, pass));
      if (rc === VINF_SUCCESS) continue;
      if (rc === VINF_SSM_VOTE_FOR_ANOTHER_PASS) another = true;
      else if (rc === VINF_SSM_VOTE_DONE_DONT_CALL_AGAIN) unit.doneLive = true;
      else return this._fail(RT_FAILURE(rc) ? rc : VERR_IPE_UNEXPECTED_INFO_STATUS);
    }
    if (!another) {
      // "Step 1 completed after pass N".
      this.handle.reportedLivePercent = 100;
      this._send(SSM_EVENTS.voteDone);
      return VINF_SUCCESS;
    }
    const reported = this.handle.reportedLivePercent;
    // pct = reported % × 93 / 100; the callback only ever sees it rise (it ends at 93, the final pass says 94).
    const percent = Math.floor((reported * LIVE_PERCENT_LIVE) / 100);
    if (reported <= 100 && percent > this.handle.progress.percent) {
      const rc = this.reportProgress(percent, pass);
      if (RT_FAILURE(rc)) return this._fail(rc);
    }
    if (this.writer.offStream > this.cbMax) return this._fail(VERR_SSM_STATE_GREW_TOO_BIG);
    const rc = this._flush();
    if (RT_FAILURE(rc)) return rc;
    this._send(SSM_EVENTS.voteAnotherPass);
    if ((this.state as SsmSaveState) === 'ABORTED') return this._fail(this.cell.context.rc as number);
    return VINF_SSM_VOTE_FOR_ANOTHER_PASS;
  }

  /**
   * SSMR3LiveDoStep2 (EMT(0), VM suspended): the final pass — prepare run, every unit with SSM_PASS_FINAL and
   * SSMLiveControl progress records, END unit, directory and footer, then the done run.
   */
  step2(): number {
    if (!this._send(SSM_EVENTS.step2)) return this._fail(this.state === 'ABORTED' ? this.rc : VERR_SSM_INVALID_STATE);
    return this.finalPass();
  }

  /** SSMR3Save's common path for a plain save (the handle starts at SAVE_PREP). */
  save(): number {
    if (this.state !== 'SAVE_PREP' || this.handle.live) return this._fail(VERR_SSM_INVALID_STATE);
    return this.finalPass();
  }

  /** ssmR3SaveDoCommon with the machine stepped between the runs: prepare, final exec + finalization, done. */
  private finalPass(): number {
    const units = this.registry.units;
    let rc = saveDoPrepRun(this.handle, units);
    if (!RT_FAILURE(rc)) {
      this._send(SSM_EVENTS.prepDone);
      rc = saveDoExecRun(this.handle, this.writer, units);
      if (!RT_FAILURE(rc)) rc = saveDoFinalization(this.handle, this.writer, units);
      if (!RT_FAILURE(rc)) this._send(SSM_EVENTS.execDone);
    }
    if (RT_FAILURE(rc)) this._fail(rc);
    rc = this.doneRun();
    if (RT_FAILURE(rc)) this._fail(rc);
    return this.handle.rc;
  }

  /**
   * SSMR3LiveDone / ssmR3SaveDoClose (EMT(0)): no longer cancellable; a complete stream is kept and reports 100,
   * anything else is discarded (the temp file deleted, the peer told) after the done run.
   */
  close(): number {
    if (this.registry.cancellable === this.handle) this.registry.cancellable = null;
    if (this.handle.isCancelled) this._fail(VERR_SSM_CANCELLED);
    let complete = this.state === 'SAVE_DONE' && !RT_FAILURE(this.rc);
    if (complete) {
      try {
        this.writer.commit();
      } catch (error) {
        this._fail(isVBoxError(error) ? error.rc : VERR_INTERNAL_ERROR);
        complete = false;
      }
    }
    if (!complete) {
      this.writer.abort(this.handle.isCancelled);
      if (!this.doneRunDone) this.doneRun();
    }
    this._send(SSM_EVENTS.close);
    // The handle is freed (ssmR3SaveDoClose): the units keep their registration, not this save's fCalled/offStream/fDoneLive.
    this.registry.resetUnits();
    if (complete) {
      this.handle.progress.report(100);
      return VINF_SUCCESS;
    }
    return RT_FAILURE(this.rc) ? this.rc : VERR_SSM_INVALID_STATE;
  }

  /** SSMR3Cancel on this handle: the machine decides between success and VERR_SSM_ALREADY_CANCELLED. */
  cancel(): number {
    if (this._send(SSM_EVENTS.cancel)) {
      this.handle.cancel();
      return VINF_SUCCESS;
    }
    return this.handle.isCancelled ? this.handle.cancel() : VERR_SSM_NO_PENDING_OPERATION;
  }

  /** A changed live percentage: an SSMLiveControl record with the pass, then the callback. */
  private reportProgress(percent: number, pass: number): number {
    const progress = this.handle.progress;
    if (percent === progress.percent) return VINF_SUCCESS;
    progress.percent = percent;
    const rc = liveControlEmit(this.handle, this.writer, percent, pass);
    progress.report(percent);
    return rc;
  }

  /** ssmR3StrmCheckAndFlush: hand the pass to the sink (a teleport peer sees it now). */
  private _flush(): number {
    try {
      this.writer.flush();
      return VINF_SUCCESS;
    } catch (error) {
      return this._fail(isVBoxError(error) ? error.rc : VERR_INTERNAL_ERROR);
    }
  }

  private doneRun(): number {
    this.doneRunDone = true;
    return saveDoDoneRun(this.handle, this.registry.units);
  }

  private _fail(rc: number): number {
    this.handle.fail(rc);
    this._send({ type: 'fail', rc: this.handle.rc });
    return this.handle.rc;
  }

  private _send(event: SsmSaveEvent): boolean {
    const accepted = sendHeld(this, event);
    const state = this.state;
    if (state === 'done' || state === 'failed' || state === 'cancelled') this.handle.state = 'END';
    else if (state !== 'ABORTED') this.handle.state = state as SsmState;
    return accepted;
  }
}
persistable('SsmLiveSave', SsmLiveSave);
