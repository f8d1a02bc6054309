/**
 * Progress accounting of one SSM operation (the uPercent* / offEst* fields of SSMHANDLE): the split between the
 * prepare, live, exec and done shares, ssmR3ProgressByByte for non-live saves and loads, and the load-side mapping
 * of SSMLiveControl records. The callback receives integer percentages, each at most once, in rising order.
 */
import { persistable } from '../persist/registry.js';
import { deliver, type Receiver } from '../sched/receiver.js';

export type SsmProgressCallback = (percent: number) => void;

/** pfnProgress as a function, or a record that reports (a save flow reports its own: nothing bound per save or copy). */
export type SsmProgressReceiver = Receiver<number, 'progressed'>;

export class SsmProgress {
  /** Next completion percentage (uPercent). */
  percent = 0;
  percentPrepare = 0;
  percentLive = 0;
  percentDone = 0;
  /** Estimated total bytes of the exec phase (cbEstTotal). */
  cbEstTotal = 0;
  /** Current position in the estimate (offEst). */
  offEst = 0;
  /** Where the next callback is due (offEstProgress). */
  offEstProgress = 0;
  /** End of the current unit in the estimate (offEstUnitEnd). */
  offEstUnitEnd = 0;
  /** fLiveSave: byte progress is not reported during live saves. */
  live = false;
  /** pfnProgress: the operation's record (a save flow), code bound to it (a load's report), or the embedder's own. */
  private readonly _callback: SsmProgressReceiver | undefined;

  constructor(callback?: SsmProgressReceiver) {
    this._callback = callback;
  }

  get hasCallback(): boolean {
    return this._callback !== undefined;
  }

  /** Calls the progress callback (pfnProgress). */
  report(percent: number): void {
    const callback = this._callback;
    if (callback !== undefined) deliver(callback, 'progressed', percent);
  }

  setSplit(prepare: number, live: number, done: number): void {
    this.percentPrepare = prepare;
    this.percentLive = live;
    this.percentDone = done;
  }

  /** ssmR3ProgressByByte: advance within the current unit, never past its estimated end. */
  byByte(cbAdvance: number): void {
    if (this.live) return;
    const cbLeft = Math.max(0, this.offEstUnitEnd - this.offEst);
    this.offEst += Math.min(cbAdvance, cbLeft);
    const execShare = 100 - this.percentDone - this.percentPrepare - this.percentLive;
    while (this.offEst >= this.offEstProgress && this.percent <= 100 - this.percentDone) {
      this.report(this.percent);
      this.percent++;
      this.offEstProgress = execShare > 0
        ? Math.floor(((this.percent - this.percentPrepare - this.percentLive) * this.cbEstTotal) / execShare)
        : Number.MAX_SAFE_INTEGER;
    }
  }

  /** ssmR3LiveControlLoadExec: parts per ten thousand mapped into the exec share of a load. */
  liveControl(partsPerTenThousand: number): void {
    const pct = Math.floor(((partsPerTenThousand / 100) * (100 - this.percentPrepare - this.percentDone)) / 100) + this.percentPrepare;
    if (pct !== this.percent) {
      this.percent = pct;
      this.report(Math.min(pct, 100 - this.percentDone));
    }
  }
}
persistable('SsmProgress', SsmProgress);
