/**
 * Opening a saved-state stream for reading (ssmR3OpenFile + ssmR3HeaderAndValidate, vbox-facts.md §8.8): the magic
 * and format version, the v2.0 header CRC, reserved byte, flags and cbMaxDecompr, the footer peeked from the end of
 * a file, the header value ranges, and the optional full-file CRC; for v1.1 / v1.2 files the nil machine UUID and
 * the recorded file size. Each failure throws VBoxError with VirtualBox's status.
 */
import {
  VBoxError, VERR_EOF, VERR_SMM_INTEGRITY_MACHINE, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_FOOTER,
  VERR_SSM_INTEGRITY_HEADER, VERR_SSM_INTEGRITY_MAGIC, VERR_SSM_INTEGRITY_SIZE, VERR_SSM_INTEGRITY_VBOX_VERSION,
  VERR_SSM_INTEGRITY_VERSION,
} from '../status.js';
import {
  SSM_DATA_BUFFER_SIZE, SSMFILEFTR_MAGIC, SSMFILEFTR_SIZE, SSMFILEHDR_FLAGS_STREAM_CRC32, SSMFILEHDR_FLAGS_STREAM_LIVE_SAVE,
  SSMFILEHDR_MAGIC_BASE, SSMFILEHDR_MAGIC_V1_1, SSMFILEHDR_MAGIC_V1_2, SSMFILEHDR_MAGIC_V2_0, SSMFILEHDR_SIZE,
  SSMFILEHDRV11_SIZE, SSMFILEHDRV12_SIZE,
} from './constants.js';
import { crc32, crc32WithZeroField } from './crc.js';
import type { SsmSource } from './sources.js';
import { SsmStreamReader } from './stream-reader.js';
import { decodeFileHeader, decodeFooter, magicEquals, type SsmFileHeader, type SsmFooter } from './structs.js';

/** What ssmR3HeaderAndValidate leaves in the handle (u.Read header info): the header's fields, and more. */
export interface SsmFileInfo
  extends Pick<SsmFileHeader, 'verMajor' | 'verMinor' | 'verBuild' | 'svnRev' | 'cHostBits' | 'cbGCPhys' | 'cbGCPtr' | 'cUnits'> {
  fmtMajor: number;
  fmtMinor: number;
  cbFileHdr: number;
  fStreamCrc32: boolean;
  live: boolean;
  /** File size as the footer says (offFooter + 32), or -1 for streams. */
  cbLoadFile: number;
  /** The footer's stream CRC (files), 0 otherwise. */
  loadCrc: number;
  footer: SsmFooter | null;
}

const bad = (rc: number, msg: string): VBoxError => new VBoxError(rc, msg);
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** ssmR3ValidateFooter. */
export function validateFooter(bytes: Uint8Array, offFooter: number, cDirEntries: number | null, fStreamCrc32: boolean, streamCrc: number): SsmFooter {
  if (!magicEquals(bytes, 0, SSMFILEFTR_MAGIC)) throw bad(VERR_SSM_INTEGRITY_FOOTER, 'Bad footer magic.');
  const footer = decodeFooter(bytes);
  const actual = crc32WithZeroField(bytes, 28);
  if (actual !== footer.crc) throw bad(VERR_SSM_INTEGRITY_CRC, `Footer CRC mismatch: ${hex(footer.crc)}, correct is ${hex(actual)}.`);
  if (footer.offStream !== offFooter) throw bad(VERR_SSM_INTEGRITY_FOOTER, `SSMFILEFTR::offStream is wrong: ${footer.offStream}, expected ${offFooter}.`);
  if (footer.reserved) throw bad(VERR_SSM_INTEGRITY_FOOTER, `Reserved footer field isn't zero: ${hex(footer.reserved)}.`);
  if (cDirEntries !== null) {
    if (footer.cDirEntries !== cDirEntries) throw bad(VERR_SSM_INTEGRITY_FOOTER, `Footer: cDirEntries=${footer.cDirEntries}, expected ${cDirEntries}.`);
  } else if (footer.cDirEntries >= 0x10000) {
    throw bad(VERR_SSM_INTEGRITY_FOOTER, `Footer: cDirEntries=${footer.cDirEntries}.`);
  }
  if (!fStreamCrc32 && footer.streamCrc) throw bad(VERR_SSM_INTEGRITY_FOOTER, "u32StreamCRC isn't zero, but the header says stream checksumming is disabled.");
  if (fStreamCrc32 && footer.streamCrc !== streamCrc) throw bad(VERR_SSM_INTEGRITY_CRC, `Bad stream CRC: ${hex(footer.streamCrc)}, expected ${hex(streamCrc)}.`);
  return footer;
}

/** ssmR3ValidateHeaderInfo. */
function validateHeaderInfo(info: SsmFileInfo, haveHostBits: boolean, haveVersion: boolean): void {
  if (haveVersion) {
    if (info.verMajor === 0 || info.verMajor > 1000 || info.verMinor > 1000 || info.verBuild > 1024 * 1024 || info.svnRev === 0 || info.svnRev > 10_000_000) {
      throw bad(VERR_SSM_INTEGRITY_VBOX_VERSION, `Incorrect version values: ${info.verMajor}.${info.verMinor}.${info.verBuild}.r${info.svnRev}.`);
    }
  }
  if (haveHostBits && info.cHostBits !== 32 && info.cHostBits !== 64) throw bad(VERR_SSM_INTEGRITY_HEADER, `Incorrect cHostBits value: ${info.cHostBits}.`);
  if (info.cbGCPhys !== 4 && info.cbGCPhys !== 8) throw bad(VERR_SSM_INTEGRITY_HEADER, `Incorrect cbGCPhys value: ${info.cbGCPhys}.`);
  if (info.cbGCPtr !== 4 && info.cbGCPtr !== 8) throw bad(VERR_SSM_INTEGRITY_HEADER, `Incorrect cbGCPtr value: ${info.cbGCPtr}.`);
}

/** ssmR3CalcChecksum: CRC-32 of [off, off + cb) of a file. */
export function calcChecksum(reader: SsmStreamReader, off: number, cb: number): number {
  let crc = 0;
  const chunk = 1024 * 1024;
  for (let pos = off; pos < off + cb; pos += chunk) {
    crc = crc32(reader.peekAt(pos, Math.min(chunk, off + cb - pos)).bytes, crc);
  }
  return crc;
}

/**
 * Reads exactly n header bytes. VirtualBox returns the stream's VERR_EOF for a file shorter than its header; we
 * report the SSM status of the part that is missing instead, so every refusal carries an SSM status.
 */
function readHeaderBytes(reader: SsmStreamReader, n: number, rcShort: number): Uint8Array {
  try {
    return reader.read(n).slice();
  } catch (e) {
    if (e instanceof VBoxError && e.rc === VERR_EOF) throw bad(rcShort, `The stream ends inside the file header: ${e.message}`);
    throw e;
  }
}

/**
 * ssmR3OpenFile + ssmR3HeaderAndValidate: opens source for reading and validates it. On failure the source is
 * closed and the VBoxError thrown.
 */
export function openAndValidate(source: SsmSource, opts: { checksumIt: boolean; checksumOnRead: boolean }): { reader: SsmStreamReader; info: SsmFileInfo } {
  const reader = new SsmStreamReader(source, { checksum: opts.checksumOnRead });
  try {
    return { reader, info: headerAndValidate(reader, opts.checksumIt, opts.checksumOnRead) };
  } catch (e) {
    reader.close();
    throw e;
  }
}

function headerAndValidate(reader: SsmStreamReader, checksumIt: boolean, checksumOnRead: boolean): SsmFileInfo {
  const magic = readHeaderBytes(reader, 32, VERR_SSM_INTEGRITY_MAGIC);
  if (!Buffer.from(magic.subarray(0, SSMFILEHDR_MAGIC_BASE.length)).equals(Buffer.from(SSMFILEHDR_MAGIC_BASE, 'latin1'))) {
    throw bad(VERR_SSM_INTEGRITY_MAGIC, 'Not a saved state file.');
  }
  const versions = [
    { magic: SSMFILEHDR_MAGIC_V2_0, cbHdr: SSMFILEHDR_SIZE, major: 2, minor: 0 },
    { magic: SSMFILEHDR_MAGIC_V1_2, cbHdr: SSMFILEHDRV12_SIZE, major: 1, minor: 2 },
    { magic: SSMFILEHDR_MAGIC_V1_1, cbHdr: SSMFILEHDRV11_SIZE, major: 1, minor: 1 },
  ];
  const ver = versions.find((v) => Buffer.from(magic).equals(Buffer.concat([Buffer.from(v.magic, 'latin1'), Buffer.alloc(32 - v.magic.length)])));
  if (!ver) throw bad(VERR_SSM_INTEGRITY_VERSION, 'Unknown saved state file format version.');
  const hdr = new Uint8Array(ver.cbHdr);
  hdr.set(magic);
  hdr.set(readHeaderBytes(reader, ver.cbHdr - 32, VERR_SSM_INTEGRITY_HEADER), 32);
  const info: SsmFileInfo = {
    fmtMajor: ver.major, fmtMinor: ver.minor, cbFileHdr: ver.cbHdr, verMajor: 0, verMinor: 0, verBuild: 0, svnRev: 0,
    cHostBits: 0, cbGCPhys: 8, cbGCPtr: 8, cUnits: 0, fStreamCrc32: false, live: false, cbLoadFile: -1, loadCrc: 0, footer: null,
  };
  if (ver.major === 2) {
    const h = decodeFileHeader(hdr);
    const actual = crc32WithZeroField(hdr, 60);
    if (actual !== h.crc) throw bad(VERR_SSM_INTEGRITY_CRC, `Header CRC mismatch: ${hex(h.crc)}, correct is ${hex(actual)}.`);
    if (h.reserved) throw bad(VERR_SSM_INTEGRITY, `Reserved header field isn't zero: ${h.reserved}.`);
    if (h.flags & ~(SSMFILEHDR_FLAGS_STREAM_CRC32 | SSMFILEHDR_FLAGS_STREAM_LIVE_SAVE)) throw bad(VERR_SSM_INTEGRITY, `Unknown header flags: ${hex(h.flags)}.`);
    if (h.cbMaxDecompr > SSM_DATA_BUFFER_SIZE || h.cbMaxDecompr < 1024 || (h.cbMaxDecompr & 0xff) !== 0) {
      throw bad(VERR_SSM_INTEGRITY, `The cbMaxDecompr header field is out of range: ${hex(h.cbMaxDecompr)}.`);
    }
    Object.assign(info, {
      cHostBits: h.cHostBits, verMajor: h.verMajor, verMinor: h.verMinor, verBuild: h.verBuild, svnRev: h.svnRev, cbGCPhys: h.cbGCPhys,
      cbGCPtr: h.cbGCPtr, cUnits: h.cUnits, fStreamCrc32: !!(h.flags & SSMFILEHDR_FLAGS_STREAM_CRC32), live: !!(h.flags & SSMFILEHDR_FLAGS_STREAM_LIVE_SAVE),
    });
    if (!info.fStreamCrc32) reader.disableChecksum();
    if (reader.isFile) {
      let peek: { bytes: Uint8Array; off: number };
      try {
        peek = reader.peekAt(-SSMFILEFTR_SIZE, SSMFILEFTR_SIZE);
      } catch (e) {
        if (e instanceof VBoxError && e.rc === VERR_EOF) throw bad(VERR_SSM_INTEGRITY_FOOTER, 'The file is too short to hold a footer.');
        throw e;
      }
      const footer = decodeFooter(peek.bytes);
      validateFooter(peek.bytes, peek.off, null, info.fStreamCrc32, footer.streamCrc);
      if (peek.off < SSMFILEHDR_SIZE) throw bad(VERR_SSM_INTEGRITY_FOOTER, `Footer at ${peek.off} overlaps the header.`);
      info.footer = footer;
      info.cbLoadFile = peek.off + SSMFILEFTR_SIZE;
      info.loadCrc = footer.streamCrc;
    }
    validateHeaderInfo(info, true, true);
    if (info.fStreamCrc32 && checksumIt && !checksumOnRead && reader.isFile) {
      const crc = calcChecksum(reader, 0, info.cbLoadFile - SSMFILEFTR_SIZE);
      if (crc !== info.loadCrc) throw bad(VERR_SSM_INTEGRITY_CRC, `Invalid CRC! Calculated ${hex(crc)}, in footer ${hex(info.loadCrc)}.`);
    }
    return info;
  }
  // v1.x: no stream CRC, a recorded file size and a machine UUID that must be nil.
  reader.disableChecksum();
  const v = new DataView(hdr.buffer);
  const cbFile = Number(v.getBigUint64(32, true));
  info.loadCrc = v.getUint32(40, true);
  info.cbLoadFile = cbFile;
  if (ver.minor === 2) {
    Object.assign(info, {
      verMajor: v.getUint16(64, true), verMinor: v.getUint16(66, true), verBuild: v.getUint32(68, true), svnRev: v.getUint32(72, true),
      cHostBits: hdr[76], cbGCPhys: hdr[77], cbGCPtr: hdr[78],
    });
  }
  if (!hdr.subarray(48, 64).every((b) => b === 0)) throw bad(VERR_SMM_INTEGRITY_MACHINE, "The UUID of the saved state doesn't match the running VM.");
  const actualSize = reader.isFile ? reader.size() : -1;
  if (actualSize !== cbFile) throw bad(VERR_SSM_INTEGRITY_SIZE, `File size mismatch. hdr.cbFile=${cbFile} actual ${actualSize}.`);
  validateHeaderInfo(info, ver.minor === 2, ver.minor === 2);
  if (checksumIt || checksumOnRead) {
    const crc = calcChecksum(reader, 44, cbFile - info.cbFileHdr);
    if (crc !== info.loadCrc) throw bad(VERR_SSM_INTEGRITY_CRC, `Invalid CRC! Calculated ${hex(crc)}, in header ${hex(info.loadCrc)}.`);
  }
  return info;
}
