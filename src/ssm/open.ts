/**
 * The read-only tools (vbox-facts.md §8.8): SSMR3ValidateFile (header, footer and, when asked, the full CRC; unit
 * contents are not inspected), and SSMR3Open / SSMR3Seek / SSMR3Close, which find a unit by (name, instance)
 * through the directory, check its header and leave a handle in OPEN_READ whose getters read that unit.
 */
import {
  RT_FAILURE, VBoxError, VERR_EOF, VERR_INVALID_PARAMETER, VERR_NOT_SUPPORTED, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY_CRC,
  VERR_SSM_INTEGRITY_UNIT, VERR_SSM_UNIT_NOT_FOUND,
} from '../status.js';
import {
  SSMFILEDIR_HDR_SIZE, SSMFILEDIRENTRY_SIZE, SSMFILEFTR_MAGIC, SSMFILEFTR_SIZE, SSMFILEUNITHDR_MAGIC, SSMFILEUNITHDRV2_SIZE,
} from './constants.js';
import { crc32, crc32WithZeroField, crcRunning } from './crc.js';
import { SsmHandle } from './handle.js';
import { openAndValidate, type SsmFileInfo } from './header-validate.js';
import { validateDirectory } from './unit-header.js';
import { namingFile } from './file-errors.js';
import { FileSource, type SsmSource } from './sources.js';
import type { SsmStreamReader } from './stream-reader.js';
import { decodeFooter, decodeUnitHeaderFixed, magicEquals } from './structs.js';
import { SsmUnitDataReader } from './unit-reader.js';

const toSource = (file: string | SsmSource): SsmSource => (typeof file === 'string' ? new FileSource(file) : file);

/** SSMR3ValidateFile. Throws VBoxError with the first integrity failure; returns the header information. */
export function validate(file: string | SsmSource, opts: { checksum?: boolean } = {}): SsmFileInfo {
  const { reader, info } = namingFile(file, () => openAndValidate(toSource(file), { checksumIt: opts.checksum ?? false, checksumOnRead: false }));
  reader.close();
  return info;
}

/** SSMR3Open: a handle in OPEN_READ (after OPENED) for seek() and the getters. */
export class SsmOpenFile {
  readonly handle: SsmHandle;
  readonly info: SsmFileInfo;
  readonly #reader: SsmStreamReader;
  readonly #data: SsmUnitDataReader;
  #closed = false;

  constructor(file: string | SsmSource) {
    const { reader, info } = namingFile(file, () => openAndValidate(toSource(file), { checksumIt: false, checksumOnRead: true }));
    this.#reader = reader;
    this.info = info;
    this.handle = new SsmHandle({ after: 'OPENED' });
    this.handle.state = 'OPEN_READ';
    this.handle.hostBits = info.cHostBits;
    this.#data = new SsmUnitDataReader(reader);
  }

  /**
   * SSMR3Seek: finds (name, instance) in the directory, checks the unit header, positions the stream on its data
   * and returns the unit's version. VERR_SSM_UNIT_NOT_FOUND when the pair is not in the directory.
   */
  seek(name: string, instance: number): { version: number; pass: number } {
    this.#assertOpen();
    this.handle.rc = 0;
    this.handle.reader = null;
    try {
      const found = this.#seekV2(name, instance);
      this.handle.reader = this.#data;
      return found;
    } catch (e) {
      if (e instanceof VBoxError) this.handle.rc = e.rc;
      throw e;
    }
  }

  #seekV2(name: string, instance: number): { version: number; pass: number } {
    if (this.info.fmtMajor !== 2) throw new VBoxError(VERR_NOT_SUPPORTED, 'SSMR3Seek on a v1 file is not supported.');
    const reader = this.#reader;
    const { bytes: ftr, off: offFooter } = reader.peekAt(-SSMFILEFTR_SIZE, SSMFILEFTR_SIZE);
    if (!magicEquals(ftr, 0, SSMFILEFTR_MAGIC)) throw new VBoxError(VERR_SSM_INTEGRITY, 'Bad footer magic.');
    const footer = decodeFooter(ftr);
    if (crc32WithZeroField(ftr, 28) !== footer.crc) throw new VBoxError(VERR_SSM_INTEGRITY_CRC, 'Bad footer CRC.');
    const cbDir = SSMFILEDIR_HDR_SIZE + footer.cDirEntries * SSMFILEDIRENTRY_SIZE;
    const offDir = offFooter - cbDir;
    const dir = this.#peek(offDir, cbDir);
    const entries = validateDirectory(dir, offDir, footer.cDirEntries, this.info.cbFileHdr, this.info.svnRev);
    const cbUnitNm = Buffer.byteLength(name, 'utf8') + 1;
    const nameCrc = crc32(Buffer.from(name, 'utf8'));
    for (const [i, e] of entries.entries()) {
      if (e.nameCrc !== nameCrc || e.instance !== instance || e.off === 0) continue;
      const cbToRead = Math.min(SSMFILEUNITHDRV2_SIZE + 48, offDir - e.off);
      const hdrBytes = new Uint8Array(SSMFILEUNITHDRV2_SIZE + 48);
      hdrBytes.set(this.#peek(e.off, cbToRead));
      const bad = (what: string): VBoxError => new VBoxError(VERR_SSM_INTEGRITY_UNIT, `Bad unit header: i=${i} off=${e.off} ${what}.`);
      if (!magicEquals(hdrBytes, 0, SSMFILEUNITHDR_MAGIC)) throw bad('magic');
      const hdr = decodeUnitHeaderFixed(hdrBytes);
      if (hdr.offStream !== e.off) throw bad(`offStream=${hdr.offStream}`);
      if (hdr.instance !== e.instance) throw bad(`u32Instance=${hdr.instance} Dir.u32Instance=${e.instance}`);
      const cbUnitHdr = SSMFILEUNITHDRV2_SIZE + hdr.cbName;
      if (hdr.cbName === 0 || hdr.cbName >= SSMFILEUNITHDRV2_SIZE + 48 || cbUnitHdr > cbToRead) throw bad(`cbName=${hdr.cbName}`);
      const whole = hdrBytes.subarray(0, cbUnitHdr);
      const actual = crc32WithZeroField(whole, 20);
      if (actual !== hdr.crc) throw new VBoxError(VERR_SSM_INTEGRITY_CRC, `Bad unit header CRC: i=${i} off=${e.off}.`);
      const unitName = Buffer.from(whole.subarray(SSMFILEUNITHDRV2_SIZE, cbUnitHdr));
      if (hdr.cbName === cbUnitNm && unitName.equals(Buffer.from(`${name}\0`, 'utf8'))) {
        // ssmR3StrmSeek with the running CRC just past the header.
        reader.seek(e.off + cbUnitHdr, crcRunning(crc32(whole, (~hdr.curStreamCrc) >>> 0)));
        this.#data.begin();
        this.handle.unitVersion = hdr.version;
        this.handle.unitPass = hdr.pass;
        return { version: hdr.version, pass: hdr.pass };
      }
    }
    throw new VBoxError(VERR_SSM_UNIT_NOT_FOUND, `Unit '${name}' instance #${instance} is not in the saved state.`);
  }

  #peek(off: number, cb: number): Uint8Array {
    if (off < 0) throw new VBoxError(VERR_SSM_INTEGRITY, `Directory offset ${off} before the start of the file.`);
    try {
      return this.#reader.peekAt(off, cb).bytes;
    } catch (e) {
      if (e instanceof VBoxError && e.rc === VERR_EOF) throw new VBoxError(VERR_SSM_INTEGRITY, e.message);
      throw e;
    }
  }

  /** SSMR3Close. */
  close(): void {
    this.#assertOpen();
    this.#closed = true;
    this.handle.state = 'END';
    this.#reader.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new VBoxError(VERR_INVALID_PARAMETER, 'The saved state is closed.');
  }

  /** The status of the last seek or read (SSMR3HandleGetStatus). */
  get rc(): number {
    return RT_FAILURE(this.handle.rc) ? this.handle.rc : 0;
  }
}

/** SSMR3Open. */
export function open(file: string | SsmSource): SsmOpenFile {
  return new SsmOpenFile(file);
}
