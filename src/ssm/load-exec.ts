/**
 * The V2 unit loop of a load (ssmR3LoadExecV2, vbox-facts.md §7.6) and the directory and footer check that ends
 * it (ssmR3LoadDirectoryAndFooter, ssmR3ValidateDirectory, §8.5): every unit header is checked (magic, name,
 * header CRC, stream offset, running stream CRC, flags), matched to a registered unit and handed to its loadExec
 * with the unit's version and pass; leftover or missing data, unknown units and cancellation end the load with
 * VirtualBox's statuses and messages. A record stepped one unit (or one slice of a unit that loads in slices,
 * SsmSlices) at a time, so a streaming loader can wait for a whole unit to arrive before the unit runs and the
 * engine can give other actors and the host a turn during a long load.
 */
import {
  RT_FAILURE, VBoxError, VERR_SSM_CANCELLED, VERR_SSM_INTEGRITY_UNIT_MAGIC, VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, VERR_SSM_NO_LOAD_EXEC,
  VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, VINF_SUCCESS,
} from '../status.js';
import { persistable } from '../persist/registry.js';
import type { SsmHandle } from './handle.js';
import type { SsmFileInfo } from './header-validate.js';
import { callUnit } from './save-runs.js';
import type { SsmStreamReader } from './stream-reader.js';
import { loadDirectoryAndFooter, readUnitHeaderV2 } from './unit-header.js';
import { SsmUnitDataReader } from './unit-reader.js';
import { isSsmSlices, type SsmSlices, type SsmUnit, type SsmUnitRegistry } from './units.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A load failure carries VirtualBox's VMSetError text when there is one. */
export class SsmLoadError extends VBoxError {}
/** Saved as a VBoxError is (a teleport target's load holds its failure until the source stops sending). */
persistable('SsmLoadError', SsmLoadError);

export interface LoadExecContext {
  registry: SsmUnitRegistry;
  handle: SsmHandle;
  reader: SsmStreamReader;
  info: SsmFileInfo;
}

/** What a step of the unit loop came to: at the next unit header, inside a unit's slices, or past the footer. */
export type LoadExecStep = 'unit' | 'slice' | 'end';

/**
 * ssmR3LoadExecV2 as a record the load steps through (its position is its fields, so a load in progress is
 * data): `begin` before the first unit; then `unitStep()` reads one unit header and runs the unit's loadExec
 * (to its end, or its first slice), `sliceStep()` runs one more slice of a unit that loads in slices. Each
 * returns where the loop stands; failures throw VBoxError (SsmLoadError with a message).
 */
export class SsmLoadExec {
  readonly data: SsmUnitDataReader;
  /** The unit being loaded in slices, its slices and its header's version (for the failure message). */
  unit: SsmUnit | null = null;
  slices: SsmSlices | null = null;
  private hdr: { name: string; instance: number; version: number; pass: number } | null = null;

  constructor(readonly ctx: LoadExecContext) {
    this.data = new SsmUnitDataReader(ctx.reader, ctx.handle.progress);
    ctx.handle.state = 'LOAD_EXEC';
  }

  /** The next unit header, and the unit's loadExec (or its first slice). */
  unitStep(): LoadExecStep {
    const { registry, handle, reader, info } = this.ctx;
    const data = this.data;
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
      return 'end';
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
      return this.checkCancelled();
    }
    const loadExec = unit.callbacks.loadExec;
    if (!loadExec) throw new VBoxError(VERR_SSM_NO_LOAD_EXEC, `No load exec callback for unit '${hdr.name}'!`);
    handle.unitVersion = hdr.version;
    handle.unitPass = hdr.pass;
    this.hdr = { name: hdr.name, instance: hdr.instance, version: hdr.version, pass: hdr.pass };
    let slices: SsmSlices | null = null;
    const rc = callUnit(handle, unit, () => {
      const result = loadExec(handle, hdr.version, hdr.pass);
      if (!isSsmSlices(result)) return result;
      slices = result;
      return VINF_SUCCESS;
    });
    if (!slices) return this.unitLoaded(rc);
    this.unit = unit;
    this.slices = slices;
    return this.sliceStep();
  }

  /** One slice of the unit that loads in slices (callUnit for each: the load checks for cancellation between them). */
  sliceStep(): LoadExecStep {
    const { handle } = this.ctx;
    const running = this.slices!;
    let more = false;
    const rc = callUnit(handle, this.unit!, () => {
      const step = running.next();
      more = !step.done;
      return step.done ? step.value : VINF_SUCCESS;
    });
    if (more && !RT_FAILURE(rc)) return 'slice';
    this.unit = null;
    this.slices = null;
    return this.unitLoaded(rc);
  }

  /** The unit's loadExec returned: leftover data, the sticky status, the termination record. */
  private unitLoaded(rcExec: number): LoadExecStep {
    const { handle } = this.ctx;
    const data = this.data;
    const hdr = this.hdr!;
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
    return this.checkCancelled();
  }

  /** Between units and slices: a cancelled load ends with VERR_SSM_CANCELLED. */
  checkCancelled(): 'unit' {
    const { handle } = this.ctx;
    if (handle.isCancelled) throw new VBoxError(handle.fail(VERR_SSM_CANCELLED));
    return 'unit';
  }
}
persistable('SsmLoadExec', SsmLoadExec);

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
