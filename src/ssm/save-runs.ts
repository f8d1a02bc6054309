/**
 * The runs every save shares (vbox-facts.md §7.3): calling a unit callback, writing one unit (header with its
 * pass, the callback, flush, termination record), the pfnSavePrep run, the final pfnSaveExec run with its
 * progress and SSMLiveControl records, finalization and the pfnSaveDone run — ssmR3SaveDoCommon, which both
 * SSMR3Save (save.ts) and SSMR3LiveDoStep2 (the live driver) use.
 */
import { isVBoxError, RT_FAILURE, VERR_INTERNAL_ERROR, VERR_SSM_CANCELLED, VINF_SUCCESS } from '../status.js';
import { SSM_LIVE_CONTROL_NAME, SSM_LIVE_CONTROL_VERSION, SSM_PASS_FINAL } from './constants.js';
import type { SsmHandle } from './handle.js';
import type { SsmStreamWriter } from './stream-writer.js';
import type { SsmStatus, SsmUnit } from './units.js';
import { callUser, isUserCallbackError, statusOrVoid } from '../vmm/user-callback.js';

const statusOf = (e: unknown): number => (isVBoxError(e) ? e.rc : VERR_INTERNAL_ERROR);

/** Runs one unit callback through callUser (src/vmm/user-callback.ts): its status, or its failure's (reported to the unit's owner). */
export function callUnit(handle: SsmHandle, unit: SsmUnit, fn: () => SsmStatus): number {
  handle.unit = unit;
  const result = callUser(() => `SSM unit '${unit.name}' #${unit.instance} callback`, statusOrVoid, fn);
  const rc = isUserCallbackError(result) ? (unit.onCallbackError?.(result), result.rc) : (result ?? VINF_SUCCESS);
  unit.called = true;
  // A put that failed inside the callback left its status on the handle even if the callback swallowed it.
  return RT_FAILURE(handle.rc) && !RT_FAILURE(rc) ? handle.rc : rc;
}

/**
 * One unit in the stream (ssmR3SaveDoExecRun / ssmR3LiveDoExecRun body): header with `pass`, the callback,
 * data flush and termination record. Returns the callback's status (a failure leaves no termination record).
 */
export function writeUnit(handle: SsmHandle, writer: SsmStreamWriter, unit: SsmUnit, pass: number, fn: () => SsmStatus): number {
  try {
    unit.offStream = writer.beginUnit(unit, pass);
  } catch (e) {
    return handle.fail(statusOf(e));
  }
  const rc = callUnit(handle, unit, fn);
  if (RT_FAILURE(rc)) return handle.fail(rc);
  try {
    writer.endUnit();
  } catch (e) {
    return handle.fail(statusOf(e));
  }
  return rc;
}

/** ssmR3LiveControlEmit: an "SSMLiveControl" unit holding u16 parts per ten thousand. */
export function liveControlEmit(handle: SsmHandle, writer: SsmStreamWriter, pct: number, pass: number): number {
  const parts = Math.min(10000, Math.floor(pct * (100 - handle.progress.percentDone)));
  try {
    writer.beginUnit({ name: SSM_LIVE_CONTROL_NAME, instance: 0, version: SSM_LIVE_CONTROL_VERSION }, pass);
    writer.writeData(Uint8Array.of(parts & 0xff, parts >>> 8));
    writer.endUnit();
    return VINF_SUCCESS;
  } catch (e) {
    return handle.fail(statusOf(e));
  }
}

/** ssmR3ProgressByUnit: during the final exec of a live save, per-unit percentages with SSMLiveControl records. */
export function progressByUnit(handle: SsmHandle, writer: SsmStreamWriter, iUnit: number, cUnits: number): void {
  const p = handle.progress;
  if (!handle.live) return;
  const uPctExec = Math.floor((iUnit * 100) / cUnits);
  const cPctExec = 100 - p.percentDone - p.percentPrepare - p.percentLive;
  const pct = (uPctExec * cPctExec) / 100 + p.percentPrepare + p.percentLive;
  const uPct = Math.floor(pct);
  if (uPct !== p.percent) {
    liveControlEmit(handle, writer, pct, SSM_PASS_FINAL);
    p.percent = uPct;
    p.report(uPct);
  }
}

/** ssmR3SaveDoPrepRun: pfnSavePrep in list order; the first failure stops the run. */
export function saveDoPrepRun(handle: SsmHandle, units: readonly SsmUnit[]): number {
  handle.state = 'SAVE_PREP';
  for (const unit of units) {
    const savePrep = unit.callbacks.savePrep;
    if (savePrep) {
      const rc = callUnit(handle, unit, () => savePrep(handle));
      if (RT_FAILURE(rc)) return handle.fail(rc);
    }
    handle.progress.cbEstTotal += unit.cbGuess;
  }
  const p = handle.progress;
  p.report(p.percentPrepare + p.percentLive - 1);
  p.percent = p.percentPrepare + p.percentLive;
  return VINF_SUCCESS;
}

/** ssmR3SaveDoExecRun: every unit with pfnSaveExec writes its final pass; cancellation is checked per unit. */
export function saveDoExecRun(handle: SsmHandle, writer: SsmStreamWriter, units: readonly SsmUnit[]): number {
  handle.state = 'SAVE_EXEC';
  const p = handle.progress;
  for (const [iUnit, unit] of units.entries()) {
    progressByUnit(handle, writer, iUnit, units.length);
    p.offEstUnitEnd += unit.cbGuess;
    const saveExec = unit.callbacks.saveExec;
    if (!saveExec) {
      unit.called = true;
      if (unit.cbGuess) p.byByte(p.offEstUnitEnd - p.offEst);
      continue;
    }
    if (handle.isCancelled) return handle.fail(VERR_SSM_CANCELLED);
    const rc = writeUnit(handle, writer, unit, SSM_PASS_FINAL, () => saveExec(handle));
    if (RT_FAILURE(rc)) return rc;
    p.byByte(p.offEstUnitEnd - p.offEst);
  }
  progressByUnit(handle, writer, units.length, units.length);
  return VINF_SUCCESS;
}

/** ssmR3SaveDoFinalization: END unit, directory and footer (not yet committed). */
export function saveDoFinalization(handle: SsmHandle, writer: SsmStreamWriter, units: readonly SsmUnit[]): number {
  try {
    writer.finish(units.map((u) => ({ name: u.name, instance: u.instance, offStream: u.offStream })), { commit: false });
    return VINF_SUCCESS;
  } catch (e) {
    return handle.fail(statusOf(e));
  }
}

/** ssmR3SaveDoDoneRun: pfnSaveDone for units that were called or have neither prep nor exec; keeps the first failure. */
export function saveDoDoneRun(handle: SsmHandle, units: readonly SsmUnit[]): number {
  handle.state = 'SAVE_DONE';
  for (const unit of units) {
    const saveDone = unit.callbacks.saveDone;
    if (!saveDone) continue;
    if (!unit.called && (unit.callbacks.savePrep || unit.callbacks.saveExec)) continue;
    const rcOld = handle.rc;
    let rc = callUnit(handle, unit, () => saveDone(handle));
    if (!RT_FAILURE(rc) && handle.rc !== rcOld) rc = handle.rc;
    if (RT_FAILURE(rc)) handle.fail(rc);
  }
  return handle.rc;
}

/** ssmR3SaveDoCommon: prep, exec, finalization, then the done run (always). Returns the handle status. */
export function saveDoCommon(handle: SsmHandle, writer: SsmStreamWriter, units: readonly SsmUnit[]): number {
  let rc = saveDoPrepRun(handle, units);
  if (!RT_FAILURE(rc)) {
    rc = saveDoExecRun(handle, writer, units);
    if (!RT_FAILURE(rc)) rc = saveDoFinalization(handle, writer, units);
  }
  saveDoDoneRun(handle, units);
  return handle.rc;
}
