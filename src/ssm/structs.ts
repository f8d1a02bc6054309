/**
 * The fixed structures of the v2.0 saved-state format, byte for byte (vbox-facts.md §8.2–§8.6): SSMFILEHDR,
 * SSMFILEUNITHDRV2, SSMRECTERM, SSMFILEDIR and SSMFILEFTR, little-endian, plus the UTF-8-style record size
 * encoding of ssmR3DataWriteRecHdr. Encoders fill in the CRC fields; decoders only parse (checks live in the
 * reader and validator, so each failure keeps VirtualBox's status).
 */
import { crc32, crc32WithZeroField } from './crc.js';
import {
  SSM_PASS_FINAL, SSMFILEDIR_HDR_SIZE, SSMFILEDIR_MAGIC, SSMFILEDIRENTRY_SIZE, SSMFILEFTR_MAGIC, SSMFILEFTR_SIZE,
  SSMFILEHDR_SIZE, SSMFILEUNITHDR_END, SSMFILEUNITHDR_MAGIC, SSMFILEUNITHDRV2_SIZE, SSMRECTERM_FLAGS_CRC32, SSMRECTERM_SIZE,
} from './constants.js';

const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
/**
 * The same little-endian stores as DataView.setUint32(at, value, true) (a byte keeps its value modulo 256), for
 * the structures written every live pass: a DataView per header costs more than the header.
 */
const putU32 = (b: Uint8Array, at: number, value: number): void => {
  b[at] = value;
  b[at + 1] = value >>> 8;
  b[at + 2] = value >>> 16;
  b[at + 3] = value >>> 24;
};
/** A u64 below 2^53 as two u32 (no BigInt: unit headers and termination records are written every pass). */
const putU64 = (b: Uint8Array, at: number, value: number): void => {
  putU32(b, at, value >>> 0);
  putU32(b, at + 4, Math.floor(value / 0x1_0000_0000));
};
const UNIT_MAGIC = latin1(SSMFILEUNITHDR_MAGIC);
const UNIT_END_MAGIC = latin1(SSMFILEUNITHDR_END);
/** Compares a magic including its terminating NUL (every SSM magic fills its field exactly). */
export const magicEquals = (b: Uint8Array, off: number, magic: string): boolean =>
  b.length - off >= magic.length + 1 && Buffer.from(b.buffer, b.byteOffset + off, magic.length + 1).equals(latin1(`${magic}\0`));

/** SSMFILEHDR (64 bytes). */
export interface SsmFileHeader {
  magic: Uint8Array;
  verMajor: number;
  verMinor: number;
  verBuild: number;
  svnRev: number;
  cHostBits: number;
  cbGCPhys: number;
  cbGCPtr: number;
  reserved: number;
  cUnits: number;
  flags: number;
  cbMaxDecompr: number;
  crc: number;
}

export function encodeFileHeader(h: Omit<SsmFileHeader, 'crc' | 'magic'> & { magic: string }): Uint8Array {
  const b = new Uint8Array(SSMFILEHDR_SIZE);
  b.set(latin1(h.magic), 0);
  const v = view(b);
  v.setUint16(32, h.verMajor, true);
  v.setUint16(34, h.verMinor, true);
  v.setUint32(36, h.verBuild, true);
  v.setUint32(40, h.svnRev, true);
  v.setUint8(44, h.cHostBits);
  v.setUint8(45, h.cbGCPhys);
  v.setUint8(46, h.cbGCPtr);
  v.setUint8(47, h.reserved);
  v.setUint32(48, h.cUnits, true);
  v.setUint32(52, h.flags, true);
  v.setUint32(56, h.cbMaxDecompr, true);
  v.setUint32(60, crc32(b), true);
  return b;
}

export function decodeFileHeader(b: Uint8Array): SsmFileHeader {
  const v = view(b);
  return {
    magic: b.subarray(0, 32),
    verMajor: v.getUint16(32, true), verMinor: v.getUint16(34, true), verBuild: v.getUint32(36, true), svnRev: v.getUint32(40, true),
    cHostBits: v.getUint8(44), cbGCPhys: v.getUint8(45), cbGCPtr: v.getUint8(46), reserved: v.getUint8(47),
    cUnits: v.getUint32(48, true), flags: v.getUint32(52, true), cbMaxDecompr: v.getUint32(56, true), crc: v.getUint32(60, true),
  };
}

/** SSMFILEUNITHDRV2: 44 bytes, then cbName name bytes (NUL included). */
export interface SsmUnitHeader {
  end: boolean;
  offStream: number;
  curStreamCrc: number;
  crc: number;
  version: number;
  instance: number;
  pass: number;
  flags: number;
  cbName: number;
  name: string;
}

export interface SsmUnitHeaderFields {
  end?: boolean;
  offStream: number;
  curStreamCrc: number;
  version: number;
  instance: number;
  pass: number;
  name: string;
}

export function encodeUnitHeader(h: SsmUnitHeaderFields): Uint8Array {
  const cbName = h.end ? 0 : Buffer.byteLength(h.name, 'utf8') + 1;
  const b = Buffer.alloc(SSMFILEUNITHDRV2_SIZE + cbName);
  b.set(h.end ? UNIT_END_MAGIC : UNIT_MAGIC, 0);
  putU64(b, 8, h.offStream);
  putU32(b, 16, h.curStreamCrc);
  putU32(b, 24, h.version);
  putU32(b, 28, h.instance);
  putU32(b, 32, h.pass);
  putU32(b, 36, 0);
  putU32(b, 40, cbName);
  if (cbName > 0) b.write(h.name, SSMFILEUNITHDRV2_SIZE, 'utf8'); // the NUL after it is the zero fill
  putU32(b, 20, crc32(b));
  return b;
}

/** Parses the fixed 44 bytes; the name is filled in by `unitHeaderName`. */
export function decodeUnitHeaderFixed(b: Uint8Array): SsmUnitHeader {
  const v = view(b);
  return {
    end: magicEquals(b, 0, SSMFILEUNITHDR_END),
    offStream: Number(v.getBigUint64(8, true)),
    curStreamCrc: v.getUint32(16, true), crc: v.getUint32(20, true), version: v.getUint32(24, true),
    instance: v.getUint32(28, true), pass: v.getUint32(32, true), flags: v.getUint32(36, true), cbName: v.getUint32(40, true),
    name: '',
  };
}

/** The header CRC as VirtualBox computes it: over the header up to the end of the name, CRC field zeroed. */
export const unitHeaderCrc = (whole: Uint8Array): number => crc32WithZeroField(whole, 20);

export const isUnitMagic = (b: Uint8Array): boolean => magicEquals(b, 0, SSMFILEUNITHDR_MAGIC) || magicEquals(b, 0, SSMFILEUNITHDR_END);

/** SSMRECTERM with the CRC over the stream up to and including its first two bytes. */
export function encodeTermRecord(crcBefore: number, cbUnit: number): Uint8Array {
  const b = new Uint8Array(SSMRECTERM_SIZE);
  b[0] = 0x91;
  b[1] = SSMRECTERM_SIZE - 2;
  b[2] = SSMRECTERM_FLAGS_CRC32; // fFlags, a u16
  b[3] = 0;
  putU32(b, 4, crc32(b.subarray(0, 2), crcBefore));
  putU64(b, 8, cbUnit);
  return b;
}

/** The 14 bytes after a TERM record's type and size bytes. */
export function decodeTermRest(b: Uint8Array): { flags: number; streamCrc: number; cbUnit: number } {
  const v = view(b);
  return { flags: v.getUint16(0, true), streamCrc: v.getUint32(2, true), cbUnit: Number(v.getBigUint64(6, true)) };
}

export interface SsmDirEntry {
  off: number;
  instance: number;
  nameCrc: number;
}

/** SSMFILEDIR: magic, CRC, count, then 16-byte entries (offset, instance, CRC of the name without NUL). */
export function encodeDirectory(entries: readonly { offStream: number; instance: number; name: string }[]): Uint8Array {
  const b = new Uint8Array(SSMFILEDIR_HDR_SIZE + entries.length * SSMFILEDIRENTRY_SIZE);
  b.set(latin1(SSMFILEDIR_MAGIC), 0);
  const v = view(b);
  v.setUint32(12, entries.length, true);
  entries.forEach((e, i) => {
    const at = SSMFILEDIR_HDR_SIZE + i * SSMFILEDIRENTRY_SIZE;
    v.setBigUint64(at, BigInt(e.offStream), true);
    v.setUint32(at + 8, e.instance, true);
    v.setUint32(at + 12, crc32(Buffer.from(e.name, 'utf8')), true);
  });
  v.setUint32(8, crc32(b), true);
  return b;
}

export function decodeDirectory(b: Uint8Array): { crc: number; cEntries: number; entries: SsmDirEntry[] } {
  const v = view(b);
  const cEntries = v.getUint32(12, true);
  const entries: SsmDirEntry[] = [];
  for (let at = SSMFILEDIR_HDR_SIZE; at + SSMFILEDIRENTRY_SIZE <= b.length; at += SSMFILEDIRENTRY_SIZE) {
    entries.push({ off: Number(v.getBigUint64(at, true)), instance: v.getUint32(at + 8, true), nameCrc: v.getUint32(at + 12, true) });
  }
  return { crc: v.getUint32(8, true), cEntries, entries };
}

export interface SsmFooter {
  offStream: number;
  streamCrc: number;
  cDirEntries: number;
  reserved: number;
  crc: number;
}

export function encodeFooter(f: { offStream: number; streamCrc: number; cDirEntries: number }): Uint8Array {
  const b = new Uint8Array(SSMFILEFTR_SIZE);
  b.set(latin1(SSMFILEFTR_MAGIC), 0);
  const v = view(b);
  v.setBigUint64(8, BigInt(f.offStream), true);
  v.setUint32(16, f.streamCrc, true);
  v.setUint32(20, f.cDirEntries, true);
  v.setUint32(24, 0, true);
  v.setUint32(28, crc32(b), true);
  return b;
}

export function decodeFooter(b: Uint8Array): SsmFooter {
  const v = view(b);
  return {
    offStream: Number(v.getBigUint64(8, true)), streamCrc: v.getUint32(16, true), cDirEntries: v.getUint32(20, true),
    reserved: v.getUint32(24, true), crc: v.getUint32(28, true),
  };
}

/** ssmR3DataWriteRecHdr: type byte plus the shortest UTF-8-style size (1..7 bytes total header). */
export function encodeRecordHeader(typeAndFlags: number, cb: number): Uint8Array {
  if (cb < 0x80) return Uint8Array.of(typeAndFlags, cb);
  if (cb < 0x800) return Uint8Array.of(typeAndFlags, 0xc0 | (cb >>> 6), 0x80 | (cb & 0x3f));
  if (cb < 0x10000) return Uint8Array.of(typeAndFlags, 0xe0 | (cb >>> 12), 0x80 | ((cb >>> 6) & 0x3f), 0x80 | (cb & 0x3f));
  if (cb < 0x200000) {
    return Uint8Array.of(typeAndFlags, 0xf0 | (cb >>> 18), 0x80 | ((cb >>> 12) & 0x3f), 0x80 | ((cb >>> 6) & 0x3f), 0x80 | (cb & 0x3f));
  }
  if (cb < 0x4000000) {
    return Uint8Array.of(typeAndFlags, 0xf8 | (cb >>> 24), 0x80 | ((cb >>> 18) & 0x3f), 0x80 | ((cb >>> 12) & 0x3f),
      0x80 | ((cb >>> 6) & 0x3f), 0x80 | (cb & 0x3f));
  }
  return Uint8Array.of(typeAndFlags, 0xfc | (cb >>> 30), 0x80 | ((cb >>> 24) & 0x3f), 0x80 | ((cb >>> 18) & 0x3f),
    0x80 | ((cb >>> 12) & 0x3f), 0x80 | ((cb >>> 6) & 0x3f), 0x80 | (cb & 0x3f));
}

export { SSM_PASS_FINAL };
