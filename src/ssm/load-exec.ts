/**
 * The V2 unit loop of a load (ssmR3LoadExecV2, vbox-facts.md §7.6) and the directory and footer check that ends
 * it (ssmR3LoadDirectoryAndFooter, ssmR3ValidateDirectory, §8.5): every unit header is checked (magic, name,
 * header CRC, stream offset, running stream CRC, flags), matched to a registered unit and handed to its loadExec
 * with the unit's version and pass; leftover or missing data, unknown units and cancellation end the load with
 * VirtualBox's statuses and messages. Written as a generator that yields before each unit header, so a streaming
 * loader can wait for a whole unit to arrive before the unit runs, and between the slices of a unit that loads
 * in slices (SsmSlices), so the engine can give other actors and the host a turn during a long load.
 */
import {
  RT_FAILURE, VBoxError, VERR_SSM_CANCELLED, VERR_SSM_INTEGRITY_UNIT_MAGIC, VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, VERR_SSM_NO_LOAD_EXEC,
  VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, VINF_SUCCESS,
} from '../status.js';
import { bindCode } from '../persist/registry.js';
import type { SsmHandle } from './handle.js';
import { progressByByte } from './progress.js';
import type { SsmFileInfo } from './header-validate.js';
import { callUnit } from './save-runs.js';
import type { SsmStreamReader } from './stream-reader.js';
import { loadDirectoryAndFooter, readUnitHeaderV2 } from './unit-header.js';
import { SsmUnitDataReader } from './unit-reader.js';
import { isSsmSlices, type SsmSlices, type SsmUnit, type SsmUnitRegistry } from './units.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A load failure carries VirtualBox's VMSetError text when there is one. */
export class SsmLoadError extends VBoxError {}

export interface LoadExecContext {
  registry: SsmUnitRegistry;
  handle: SsmHandle;
  reader: SsmStreamReader;
  info: SsmFileInfo;
}

/** What the generator yields: the stream offset of the next unit header, before reading it. */
export interface UnitBoundary {
  kind: 'unit';
  offStream: number;
}

/** Or: a unit that loads in slices finished one. */
export type LoadStep = UnitBoundary | { kind: 'slice' };
const SLICE: LoadStep = { kind: 'slice' };

/** ssmR3LoadExecV2. Returns normally after the footer checks; throws VBoxError (SsmLoadError with a message) on failure. */
export function* loadExecV2(ctx: LoadExecContext): Generator<LoadStep, void, void> {
  const { registry, handle, reader, info } = ctx;
  const data = new SsmUnitDataReader(reader, bindCode(progressByByte, handle.progress));
  handle.state = 'LOAD_EXEC';
  for (;;) {
    yield { kind: 'unit', offStream: reader.offStream };
    let hdr: ReturnType<typeof readUnitHeaderV2>;
    try {
      hdr = readUnitHeaderV2(reader);
    } catch (e) {
      if (e instanceof VBoxError && e.rc === VERR_SSM_INTEGRITY_UNIT_MAGIC) throw setError(handle, e.rc, e.message);
      throw e;
    }
    if (hdr.end) {
      handle.progress.byByte(handle.progress.cbEstTotal - handle.progress.offEst);
      loadDirectoryAndFooter(reader, info);
      return;
    }

    const unit = registry.find(hdr.name, hdr.instance);
    handle.reader = data;
    data.begin();
    if (!unit) {
      if (handle.after !== 'DEBUG_IT') {
        throw setError(handle, VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, `Found no handler for unit '${hdr.name}' instance #${hdr.instance}`);
      }
      try {
        data.skipToEnd();
        data.finish();
      } catch {
        // ssmR3LoadExecV2 ignores errors while skipping a unit for the debugger.
      }
    } else {
      const loadExec = unit.callbacks.loadExec;
      if (!loadExec) throw new VBoxError(VERR_SSM_NO_LOAD_EXEC, `No load exec callback for unit '${hdr.name}'!`);
      handle.unitVersion = hdr.version;
      handle.unitPass = hdr.pass;
      let rcExec = yield* execUnit(handle, unit, hdr.version, hdr.pass);
      if (RT_FAILURE(rcExec) && !data.endOfData) rcExec = integrityBehind(data, rcExec);
      if (RT_FAILURE(rcExec)) handle.fail(rcExec);
      let rc = handle.rc;
      if (!RT_FAILURE(rc)) {
        try {
          data.finish();
        } catch (e) {
          if (!(e instanceof VBoxError)) throw e;
          rc = handle.fail(e.rc);
        }
      }
      if (RT_FAILURE(rc)) {
        const message = rc === VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION
          ? `Unsupported version ${hdr.version} of data unit '${hdr.name}' (instance #${hdr.instance}, pass ${hex(hdr.pass)})`
          : `Failed to load unit '${hdr.name}'`;
        throw setError(handle, rc, message);
      }
      handle.unit = null;
    }
    if (handle.isCancelled) {
      throw new VBoxError(handle.fail(VERR_SSM_CANCELLED));
    }
  }
}

/** callUnit for a loadExec, which may hand back slices: the load yields between them and checks for cancellation. */
function* execUnit(handle: SsmHandle, unit: SsmUnit, version: number, pass: number): Generator<LoadStep, number, void> {
  const loadExec = unit.callbacks.loadExec!;
  let slices: SsmSlices | null = null;
  let rc = callUnit(handle, unit, () => {
    const result = loadExec(handle, version, pass);
    if (!isSsmSlices(result)) return result;
    slices = result;
    return VINF_SUCCESS;
  });
  const running = slices as SsmSlices | null;
  if (!running) return rc;
  for (let more = true; ;) {
    rc = callUnit(handle, unit, () => {
      const step = running.next();
      more = !step.done;
      return step.done ? step.value : VINF_SUCCESS;
    });
    if (!more || RT_FAILURE(rc)) return rc;
    yield SLICE;
    if (handle.isCancelled) throw new VBoxError(handle.fail(VERR_SSM_CANCELLED));
  }
}

/** VMSetError for a load: the first message recorded (by a unit's setLoadError or by SSM) is the one kept. */
export function setError(handle: SsmHandle, rc: number, message: string): SsmLoadError {
  handle.errorMessage ??= message;
  return new SsmLoadError(rc, handle.errorMessage);
}

/**
 * A unit that failed on its data may have failed because the data is corrupt. Deviation from VirtualBox (which
 * reports the unit's status): read on to the termination record, and if the stream checks there fail (bad record,
 * CRC mismatch), report that integrity status instead, so corruption is always named as corruption.
 */
function integrityBehind(data: SsmUnitDataReader, rcUnit: number): number {
  try {
    data.skipToEnd();
    return rcUnit;
  } catch (e) {
    if (e instanceof VBoxError && e.name.startsWith('VERR_SSM_')) return e.rc;
    return rcUnit;
  }
}
