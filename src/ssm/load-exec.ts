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
  RT_FAILURE, VBoxError, VERR_EOF, VERR_SSM_CANCELLED, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_DIR,
  VERR_SSM_INTEGRITY_DIR_MAGIC, VERR_SSM_INTEGRITY_FOOTER, VERR_SSM_INTEGRITY_UNIT, VERR_SSM_INTEGRITY_UNIT_MAGIC,
  VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, VERR_SSM_NO_LOAD_EXEC, VERR_SSM_STREAM_ERROR, VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION,
  VINF_SUCCESS,
} from '../status.js';
import {
  SSM_MAX_NAME_SIZE, SSM_PASS_FINAL, SSMFILEDIR_HDR_SIZE, SSMFILEDIR_MAGIC, SSMFILEDIRENTRY_SIZE, SSMFILEFTR_SIZE,
  SSMFILEUNITHDRV2_SIZE,
} from './constants.js';
import { crc32WithZeroField } from './crc.js';
import type { SsmHandle } from './handle.js';
import { validateFooter, type SsmFileInfo } from './header-validate.js';
import { callUnit } from './save-runs.js';
import type { SsmStreamReader } from './stream-reader.js';
import { decodeDirectory, decodeUnitHeaderFixed, isUnitMagic, magicEquals, type SsmDirEntry } from './structs.js';
import { SsmUnitDataReader } from './unit-reader.js';
import { isSsmSlices, type SsmSlices, type SsmUnit, type SsmUnitRegistry } from './units.js';

const hex = (n: number): string => `0x${n.toString(16)}`;
const at = (off: number): string => `Unit at ${hex(off)} (${off})`;

/** A load failure carries VirtualBox's VMSetError text when there is one. */
export class SsmLoadError extends VBoxError {}

/** Reads n stream bytes outside unit data; a stream that ends there gives `rcShort`. */
function readOutside(reader: SsmStreamReader, n: number, rcShort: number, what: string): Uint8Array {
  try {
    return reader.read(n).slice();
  } catch (e) {
    if (e instanceof VBoxError && e.rc === VERR_EOF) throw new VBoxError(rcShort, `The stream ended inside ${what}: ${e.message}`);
    throw e;
  }
}

/** ssmR3ValidateDirectory. */
export function validateDirectory(dir: Uint8Array, offDir: number, cDirEntries: number, cbHdr: number, svnRev: number): SsmDirEntry[] {
  if (!magicEquals(dir, 0, SSMFILEDIR_MAGIC)) throw new VBoxError(VERR_SSM_INTEGRITY_DIR_MAGIC, `Invalid directory magic at ${hex(offDir)}.`);
  const d = decodeDirectory(dir);
  const actual = crc32WithZeroField(dir, 8);
  if (actual !== d.crc) throw new VBoxError(VERR_SSM_INTEGRITY_CRC, `Bad directory CRC: ${hex(d.crc)}, actual ${hex(actual)}.`);
  if (d.cEntries !== cDirEntries) {
    throw new VBoxError(VERR_SSM_INTEGRITY_DIR, `Bad directory entry count: ${d.cEntries}, expected ${cDirEntries} (from the footer).`);
  }
  if (SSMFILEDIR_HDR_SIZE + d.cEntries * SSMFILEDIRENTRY_SIZE !== dir.length) throw new VBoxError(VERR_SSM_INTEGRITY_DIR, 'Directory size mismatch.');
  for (const e of d.entries) {
    if (!((e.off >= cbHdr && e.off < offDir) || (e.off === 0 && svnRev < 53365))) {
      throw new VBoxError(VERR_SSM_INTEGRITY_DIR, `Directory entry off=${hex(e.off)} cbHdr=${hex(cbHdr)} offDir=${hex(offDir)}.`);
    }
  }
  return d.entries;
}

/** ssmR3LoadDirectoryAndFooter. */
function loadDirectoryAndFooter(reader: SsmStreamReader, info: SsmFileInfo): void {
  const offDir = reader.offStream;
  const dirHdr = readOutside(reader, SSMFILEDIR_HDR_SIZE, VERR_SSM_INTEGRITY_DIR, 'the directory');
  if (!magicEquals(dirHdr, 0, SSMFILEDIR_MAGIC)) throw new VBoxError(VERR_SSM_INTEGRITY_DIR_MAGIC, `Invalid directory magic at ${hex(offDir)} (${offDir}).`);
  const cEntries = new DataView(dirHdr.buffer).getUint32(12, true);
  if (cEntries >= 0x10000) throw new VBoxError(VERR_SSM_INTEGRITY_DIR, `Too many directory entries at ${hex(offDir)} (${offDir}): ${hex(cEntries)}.`);
  const dir = new Uint8Array(SSMFILEDIR_HDR_SIZE + cEntries * SSMFILEDIRENTRY_SIZE);
  dir.set(dirHdr);
  dir.set(readOutside(reader, dir.length - SSMFILEDIR_HDR_SIZE, VERR_SSM_INTEGRITY_DIR, 'the directory'), SSMFILEDIR_HDR_SIZE);
  validateDirectory(dir, offDir, cEntries, info.cbFileHdr, info.svnRev);
  const offFooter = reader.offStream;
  const streamCrc = reader.finalCrc();
  const footer = readOutside(reader, SSMFILEFTR_SIZE, VERR_SSM_INTEGRITY_FOOTER, 'the footer');
  validateFooter(footer, offFooter, cEntries, info.fStreamCrc32, streamCrc);
}

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
  const data = new SsmUnitDataReader(reader, (cb) => handle.progress.byByte(cb));
  handle.state = 'LOAD_EXEC';
  for (;;) {
    yield { kind: 'unit', offStream: reader.offStream };
    const offUnit = reader.offStream;
    const curStreamCrc = reader.curCrc();
    const fixed = readOutside(reader, SSMFILEUNITHDRV2_SIZE, VERR_SSM_STREAM_ERROR, 'a unit header');
    if (!isUnitMagic(fixed)) {
      throw setError(handle, VERR_SSM_INTEGRITY_UNIT_MAGIC, `${at(offUnit)}: Invalid unit magic`);
    }
    const hdr = decodeUnitHeaderFixed(fixed);
    if (hdr.cbName > SSM_MAX_NAME_SIZE) throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at(offUnit)}: UnitHdr.cbName=${hdr.cbName} > ${SSM_MAX_NAME_SIZE}`);
    const whole = new Uint8Array(SSMFILEUNITHDRV2_SIZE + hdr.cbName);
    whole.set(fixed);
    if (hdr.cbName) {
      const name = readOutside(reader, hdr.cbName, VERR_SSM_STREAM_ERROR, 'a unit name');
      if (name[hdr.cbName - 1] !== 0) throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at(offUnit)}: Name was not properly terminated.`);
      whole.set(name, SSMFILEUNITHDRV2_SIZE);
      hdr.name = Buffer.from(name.subarray(0, hdr.cbName - 1)).toString('utf8');
    }
    const actualCrc = crc32WithZeroField(whole, 20);
    if (actualCrc !== hdr.crc) throw new VBoxError(VERR_SSM_INTEGRITY_CRC, `${at(offUnit)}: CRC mismatch: ${hex(hdr.crc)}, correct is ${hex(actualCrc)}`);
    if (hdr.offStream !== offUnit) throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at(offUnit)}: offStream=${hex(hdr.offStream)}, expected ${hex(offUnit)}`);
    if (reader.checksummed && hdr.curStreamCrc !== curStreamCrc) {
      throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at(offUnit)}: Stream CRC mismatch: ${hex(hdr.curStreamCrc)}, correct is ${hex(curStreamCrc)}`);
    }
    if (hdr.flags) throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at(offUnit)}: fFlags=${hex(hdr.flags)}`);
    if (hdr.end) {
      if (hdr.cbName !== 0 || hdr.instance !== 0 || hdr.version !== 0 || hdr.pass !== SSM_PASS_FINAL) {
        throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at(offUnit)}: Malformed END unit`);
      }
      handle.progress.byByte(handle.progress.cbEstTotal - handle.progress.offEst);
      loadDirectoryAndFooter(reader, info);
      return;
    }
    if (hdr.cbName <= 1) throw new VBoxError(VERR_SSM_INTEGRITY, `${at(offUnit)}: No name`);

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
