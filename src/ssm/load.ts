/**
 * SSMR3Load (vbox-facts.md §7.6): open with checksum-on-read, the 2 % prepare / 2 % done progress split, the
 * pfnLoadPrep run (the first failure stops it), the V2 unit loop (load-exec.ts), the pfnLoadDone run (always),
 * then 99 and, on success, 100. Pure of VM state: a unit registry, a source (a path or any SsmSource) and a
 * progress callback; the VM wraps it for vm.loadFromFile(). ssmLoadStream is the same load over a PushSource
 * that a socket fills: it waits until each unit has fully arrived before the unit's loadExec runs.
 */
import { persistable } from '../persist/registry.js';
import { RT_FAILURE, VBoxError, VERR_INVALID_PARAMETER, VERR_NOT_SUPPORTED, VERR_SSM_CANCELLED, VERR_WRONG_ORDER } from '../status.js';
import type { SsmAfter } from './constants.js';
import { SsmHandle } from './handle.js';
import { openAndValidate, type SsmFileInfo } from './header-validate.js';
import { SsmLoadError, SsmLoadExec, type LoadExecStep } from './load-exec.js';
import { bufferedUnitExtent } from './load-stream.js';
import type { SsmProgressCallback } from './progress.js';
import { callUnit } from './save-runs.js';
import { registryOf, type SsmRegistryHolder } from './save.js';
import { FileSource, type PushSource, type SsmSource } from './sources.js';
import type { SsmStreamReader } from './stream-reader.js';
import type { SsmUnitRegistry } from './units.js';

export interface SsmLoadOptions {
  /** SSMAFTER_RESUME (default), TELEPORT or DEBUG_IT (unknown units are skipped). */
  after?: Extract<SsmAfter, 'RESUME' | 'TELEPORT' | 'DEBUG_IT'>;
  onProgress?: SsmProgressCallback;
  /** Called with the handle once it is cancellable. */
  onHandle?: (handle: SsmHandle) => void;
}

export interface SsmLoadResult {
  info: SsmFileInfo;
  /** Build strings from the "SSM" unit ("Build Type", "Host OS", …). */
  buildInfo: Map<string, string>;
}

export interface LoadRun {
  registry: SsmUnitRegistry;
  handle: SsmHandle;
  reader: SsmStreamReader;
  info: SsmFileInfo;
}

/** Everything of SSMR3Load before the unit loop: checks, open, handle, cancellable, prepare run. */
function loadBegin(holder: SsmRegistryHolder, source: string | SsmSource, opts: SsmLoadOptions): LoadRun {
  const registry = registryOf(holder);
  const after = opts.after ?? 'RESUME';
  if (after !== 'RESUME' && after !== 'TELEPORT' && after !== 'DEBUG_IT') {
    throw new VBoxError(VERR_INVALID_PARAMETER, `SSMR3Load: enmAfter ${after} is not RESUME, TELEPORT or DEBUG_IT.`);
  }
  if (registry.cancellable) throw new VBoxError(VERR_WRONG_ORDER, 'Another saved-state operation is in progress on this registry.');
  const src = typeof source === 'string' ? new FileSource(source) : source;
  const { reader, info } = openAndValidate(src, { checksumIt: false, checksumOnRead: true });
  if (info.fmtMajor !== 2) {
    reader.close();
    throw new VBoxError(VERR_NOT_SUPPORTED, `Loading saved-state format ${info.fmtMajor}.${info.fmtMinor} is not supported; only 2.0.`);
  }
  const handle = new SsmHandle({ after, live: info.live, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  handle.progress.setSplit(2, 0, 2);
  handle.hostBits = info.cHostBits;
  registry.cancellable = handle;
  opts.onHandle?.(handle);
  handle.progress.report(handle.progress.percent);
  for (const unit of registry.units) unit.called = false;

  // The prepare run: the first failure stops it (and skips the exec run).
  handle.state = 'LOAD_PREP';
  for (const unit of registry.units) {
    const loadPrep = unit.callbacks.loadPrep;
    if (!loadPrep) continue;
    unit.called = true;
    const rc = callUnit(handle, unit, () => loadPrep(handle));
    handle.unit = null;
    if (RT_FAILURE(rc)) {
      handle.fail(rc);
      break;
    }
  }
  const p = handle.progress;
  p.report(p.percentPrepare - 1);
  p.percent = p.percentPrepare;
  p.cbEstTotal = info.cbLoadFile >= 0 ? info.cbLoadFile : Number.MAX_SAFE_INTEGER;
  p.offEstUnitEnd = p.cbEstTotal;
  return { registry, handle, reader, info };
}

/** The done run, close and result of SSMR3Load. */
function loadEnd(run: LoadRun, failure: unknown): SsmLoadResult {
  const { registry, handle, reader } = run;
  if (failure !== undefined) {
    if (!(failure instanceof VBoxError)) {
      if (registry.cancellable === handle) registry.cancellable = null;
      reader.close();
      throw failure;
    }
    handle.fail(failure.rc);
    // VMSetError text when SSM set one; otherwise the integrity check's own description (VirtualBox logs it).
    handle.errorMessage ??= failure.message;
  }
  handle.unit = null;
  handle.reader = null;
  handle.state = 'LOAD_DONE';
  for (const unit of registry.units) {
    const loadDone = unit.callbacks.loadDone;
    if (!loadDone || !(unit.called || (!unit.callbacks.loadPrep && !unit.callbacks.loadExec))) continue;
    const rcOld = handle.rc;
    let rc = callUnit(handle, unit, () => loadDone(handle));
    handle.unit = null;
    if (!RT_FAILURE(rc) && handle.rc !== rcOld) rc = handle.rc;
    if (RT_FAILURE(rc)) {
      handle.errorMessage ??= `LoadDone failed with rc=${new VBoxError(rc).name} for data unit '${unit.name}' instance #${unit.instance}.`;
      handle.fail(rc);
    }
  }
  handle.progress.report(99);
  if (registry.cancellable === handle) registry.cancellable = null;
  if (handle.isCancelled && !RT_FAILURE(handle.rc)) handle.rc = VERR_SSM_CANCELLED;
  reader.close();
  registry.resetUnits(); // the handle is freed: the units keep their registration only
  handle.state = 'END';
  if (RT_FAILURE(handle.rc)) throw new SsmLoadError(handle.rc, handle.errorMessage ?? new VBoxError(handle.rc).message);
  handle.progress.report(100);
  return { info: run.info, buildInfo: handle.buildInfo };
}

/** Stream bytes between two turns at unit boundaries, for units that do not load in slices themselves. */
export const SSM_LOAD_TURN_BYTES = 1024 * 1024;

/**
 * SSMR3Load in slices, as a record (its position is its fields: a load in progress is data). Each `next()` runs
 * up to the next place the engine may give others a turn — between the slices of a unit that loads in slices,
 * and at a unit boundary after SSM_LOAD_TURN_BYTES of stream — and the last returns the result. Over a stream
 * that is still arriving (`stream`, the teleport target's PushSource) it waits for the file header, then before
 * each unit for the whole unit (or the end of the stream), handing back the source to sleep on, so every
 * loadExec reads from memory; it gives no turns of its own between units there.
 */
export class SsmLoadRun implements Iterator<PushSource | void, SsmLoadResult, void> {
  /** Where the load stands: before SSMR3Load's open, at a unit boundary, waiting for a unit's bytes, inside a unit's slices, done. */
  phase: 'open' | 'unit' | 'pull' | 'slices' | 'done' = 'open';
  run: LoadRun | null = null;
  exec: SsmLoadExec | null = null;
  /** Stream offset of the last turn given at a unit boundary. */
  turnAt = 0;
  /** Bytes the unit being waited for needs from the reader's position. */
  need = 0;
  private readonly opts: { after?: SsmLoadOptions['after']; onProgress?: SsmProgressCallback };

  constructor(
    readonly holder: SsmRegistryHolder,
    readonly source: string | SsmSource,
    opts: SsmLoadOptions = {},
    readonly stream: PushSource | null = null,
  ) {
    this.opts = { ...(opts.after ? { after: opts.after } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
    this.onHandle = opts.onHandle;
  }

  /** The load's handle once SSMR3Load opened the stream (its error message names a failed unit). */
  get handle(): SsmHandle | null {
    return this.run?.handle ?? null;
  }

  /** opts.onHandle: told once, at the open (not kept in a snapshot). */
  private onHandle: SsmLoadOptions['onHandle'];

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<PushSource | void, SsmLoadResult> {
    if (this.phase === 'open') {
      const stream = this.stream;
      if (stream && stream.buffered < 64 && !stream.ended) return { done: false, value: stream };
      const run = (this.run = loadBegin(this.holder, this.source, { ...this.opts, ...(this.onHandle ? { onHandle: this.onHandle } : {}) }));
      this.onHandle = undefined;
      if (RT_FAILURE(run.handle.rc)) return this.end(undefined);
      this.phase = 'unit';
    }
    const run = this.run!;
    try {
      for (;;) {
        let step: LoadExecStep;
        if (this.phase === 'slices') {
          this.exec!.checkCancelled();
          step = this.exec!.sliceStep();
        } else {
          if (this.phase === 'pull') run.reader.pull(this.need); // the bytes came: scan the unit again
          this.exec ??= new SsmLoadExec(run);
          const stream = this.stream;
          if (stream) {
            const extent = bufferedUnitExtent(run.reader);
            if (!extent.complete && !stream.ended) {
              this.need = extent.need;
              this.phase = 'pull';
              return { done: false, value: stream };
            }
          }
          step = this.exec.unitStep();
        }
        if (step === 'end') return this.end(undefined);
        if (step === 'slice') {
          this.phase = 'slices';
          this.turnAt = run.reader.offStream;
          return { done: false, value: undefined };
        }
        this.phase = 'unit';
        if (!this.stream && run.reader.offStream - this.turnAt >= SSM_LOAD_TURN_BYTES) {
          this.turnAt = run.reader.offStream;
          return { done: false, value: undefined };
        }
      }
    } catch (e) {
      return this.end(e);
    }
  }

  private end(failure: unknown): IteratorReturnResult<SsmLoadResult> {
    this.phase = 'done';
    return { done: true, value: loadEnd(this.run!, failure) };
  }
}
persistable('SsmLoadRun', SsmLoadRun, { transient: ['onHandle'] });

/** SSMR3Load in slices (SsmLoadRun): the engine gives others a turn at each step. */
export function ssmLoadSlices(holder: SsmRegistryHolder, source: string | SsmSource, opts: SsmLoadOptions = {}): SsmLoadRun {
  return new SsmLoadRun(holder, source, opts);
}

/** Run slices to their end in one go (a caller that has nobody to give turns to). */
export function runSlices<T>(slices: Iterator<unknown, T, void>): T {
  for (;;) {
    const step = slices.next();
    if (step.done) return step.value;
  }
}

/** SSMR3Load. Throws VBoxError (SsmLoadError with VirtualBox's message) on failure. */
export function ssmLoad(holder: SsmRegistryHolder, source: string | SsmSource, opts: SsmLoadOptions = {}): SsmLoadResult {
  return runSlices(ssmLoadSlices(holder, source, opts));
}

/**
 * The host's event loop runs before the next slice. ssmLoadStream runs outside the scheduler (it waits for a
 * socket), so it yields to the macrotask queue itself; the EMT path asks the scheduler instead (WorkSliceFrame).
 */
const hostTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** SSMR3Load over a stream that arrives in pieces (teleport), in slices: SsmLoadRun over its PushSource. */
export function ssmLoadStreamSlices(holder: SsmRegistryHolder, source: PushSource, opts: SsmLoadOptions = {}): SsmLoadRun {
  return new SsmLoadRun(holder, source, opts, source);
}

/** ssmLoadStreamSlices outside an EMT: awaits the source's bytes, and the macrotask queue between slices. */
export async function ssmLoadStream(holder: SsmRegistryHolder, source: PushSource, opts: SsmLoadOptions = {}): Promise<SsmLoadResult> {
  const slices = ssmLoadStreamSlices(holder, source, opts);
  for (let step = slices.next(); ; step = slices.next()) {
    if (step.done) return step.value;
    await (step.value ? source.wait() : hostTurn());
  }
}
