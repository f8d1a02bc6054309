/**
 * The framing around unit data, as the loader and the read-only tools both read it (ssmR3LoadExecV2's header
 * checks, ssmR3LoadDirectoryAndFooter, ssmR3ValidateDirectory, vbox-facts.md §7.6, §8.5): a unit header with its
 * magic, bounded name, header CRC, stream offset, running stream CRC, flags and the END unit's shape; then the
 * directory and footer read in order. Every read is bounded by the format (a name of at most SSM_MAX_NAME_SIZE
 * bytes, fewer than 0x10000 directory entries), so a hostile file costs no more than it holds, and every
 * failure is a VERR_SSM_* status.
 */
import {
  VBoxError, VERR_EOF, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_DIR, VERR_SSM_INTEGRITY_DIR_MAGIC,
  VERR_SSM_INTEGRITY_FOOTER, VERR_SSM_INTEGRITY_UNIT, VERR_SSM_INTEGRITY_UNIT_MAGIC, VERR_SSM_STREAM_ERROR,
} from '../status.js';
import {
  SSM_MAX_NAME_SIZE, SSM_PASS_FINAL, SSMFILEDIR_HDR_SIZE, SSMFILEDIR_MAGIC, SSMFILEDIRENTRY_SIZE, SSMFILEFTR_SIZE,
  SSMFILEUNITHDRV2_SIZE,
} from './constants.js';
import { crc32WithZeroField } from './crc.js';
import { validateFooter, type SsmFileInfo } from './header-validate.js';
import type { SsmStreamReader } from './stream-reader.js';
import { decodeDirectory, decodeUnitHeaderFixed, isUnitMagic, magicEquals, type SsmDirEntry, type SsmUnitHeader } from './structs.js';

const hex = (n: number): string => `0x${n.toString(16)}`;
export const unitAt = (off: number): string => `Unit at ${hex(off)} (${off})`;

/** Reads n stream bytes outside unit data; a stream that ends there gives `rcShort`. */
export function readOutside(reader: SsmStreamReader, n: number, rcShort: number, what: string): Uint8Array {
  try {
    return reader.read(n).slice();
  } catch (e) {
    if (e instanceof VBoxError && e.rc === VERR_EOF) throw new VBoxError(rcShort, `The stream ended inside ${what}: ${e.message}`);
    throw e;
  }
}

/** One unit header, checked; `offUnit` is where it starts. END comes back with `end` set (and no name). */
export function readUnitHeaderV2(reader: SsmStreamReader): SsmUnitHeader & { offUnit: number } {
  const offUnit = reader.offStream;
  const at = unitAt(offUnit);
  const curStreamCrc = reader.curCrc();
  const fixed = readOutside(reader, SSMFILEUNITHDRV2_SIZE, VERR_SSM_STREAM_ERROR, 'a unit header');
  if (!isUnitMagic(fixed)) throw new VBoxError(VERR_SSM_INTEGRITY_UNIT_MAGIC, `${at}: Invalid unit magic`);
  const hdr = decodeUnitHeaderFixed(fixed);
  if (hdr.cbName > SSM_MAX_NAME_SIZE) throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at}: UnitHdr.cbName=${hdr.cbName} > ${SSM_MAX_NAME_SIZE}`);
  const whole = new Uint8Array(SSMFILEUNITHDRV2_SIZE + hdr.cbName);
  whole.set(fixed);
  if (hdr.cbName) {
    const name = readOutside(reader, hdr.cbName, VERR_SSM_STREAM_ERROR, 'a unit name');
    if (name[hdr.cbName - 1] !== 0) throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at}: Name was not properly terminated.`);
    whole.set(name, SSMFILEUNITHDRV2_SIZE);
    hdr.name = Buffer.from(name.subarray(0, hdr.cbName - 1)).toString('utf8');
  }
  const actualCrc = crc32WithZeroField(whole, 20);
  if (actualCrc !== hdr.crc) throw new VBoxError(VERR_SSM_INTEGRITY_CRC, `${at}: CRC mismatch: ${hex(hdr.crc)}, correct is ${hex(actualCrc)}`);
  if (hdr.offStream !== offUnit) throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at}: offStream=${hex(hdr.offStream)}, expected ${hex(offUnit)}`);
  if (reader.checksummed && hdr.curStreamCrc !== curStreamCrc) {
    throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at}: Stream CRC mismatch: ${hex(hdr.curStreamCrc)}, correct is ${hex(curStreamCrc)}`);
  }
  if (hdr.flags) throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at}: fFlags=${hex(hdr.flags)}`);
  if (hdr.end) {
    if (hdr.cbName !== 0 || hdr.instance !== 0 || hdr.version !== 0 || hdr.pass !== SSM_PASS_FINAL) {
      throw new VBoxError(VERR_SSM_INTEGRITY_UNIT, `${at}: Malformed END unit`);
    }
  } else if (hdr.cbName <= 1) throw new VBoxError(VERR_SSM_INTEGRITY, `${at}: No name`);
  return Object.assign(hdr, { offUnit });
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

/** ssmR3LoadDirectoryAndFooter: the directory right after the END unit, then the footer; returns the entries. */
export function loadDirectoryAndFooter(reader: SsmStreamReader, info: SsmFileInfo): SsmDirEntry[] {
  const offDir = reader.offStream;
  const dirHdr = readOutside(reader, SSMFILEDIR_HDR_SIZE, VERR_SSM_INTEGRITY_DIR, 'the directory');
  if (!magicEquals(dirHdr, 0, SSMFILEDIR_MAGIC)) throw new VBoxError(VERR_SSM_INTEGRITY_DIR_MAGIC, `Invalid directory magic at ${hex(offDir)} (${offDir}).`);
  const cEntries = new DataView(dirHdr.buffer).getUint32(12, true);
  if (cEntries >= 0x10000) throw new VBoxError(VERR_SSM_INTEGRITY_DIR, `Too many directory entries at ${hex(offDir)} (${offDir}): ${hex(cEntries)}.`);
  const dir = new Uint8Array(SSMFILEDIR_HDR_SIZE + cEntries * SSMFILEDIRENTRY_SIZE);
  dir.set(dirHdr);
  dir.set(readOutside(reader, dir.length - SSMFILEDIR_HDR_SIZE, VERR_SSM_INTEGRITY_DIR, 'the directory'), SSMFILEDIR_HDR_SIZE);
  const entries = validateDirectory(dir, offDir, cEntries, info.cbFileHdr, info.svnRev);
  const offFooter = reader.offStream;
  const streamCrc = reader.finalCrc();
  const footer = readOutside(reader, SSMFILEFTR_SIZE, VERR_SSM_INTEGRITY_FOOTER, 'the footer');
  validateFooter(footer, offFooter, cEntries, info.fStreamCrc32, streamCrc);
  return entries;
}

