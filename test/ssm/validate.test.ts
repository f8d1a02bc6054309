/**
 * Goal: every integrity check of ssmR3HeaderAndValidate / ssmR3ValidateFooter (vbox-facts.md §8.8) and of the
 * load's unit loop, directory and footer (§7.6, §8.5) answers with VirtualBox's status.
 *
 * Method: one pristine file, one targeted damage per row (CRC fields recomputed where the row is about the field
 * behind the CRC), then SSMR3ValidateFile with and without the full checksum and SSMR3Load, each with its
 * expected status.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  VERR_SMM_INTEGRITY_MACHINE, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_DIR, VERR_SSM_INTEGRITY_DIR_MAGIC,
  VERR_SSM_INTEGRITY_FOOTER, VERR_SSM_INTEGRITY_HEADER, VERR_SSM_INTEGRITY_MAGIC, VERR_SSM_INTEGRITY_REC_HDR,
  VERR_SSM_INTEGRITY_REC_TERM_CRC, VERR_SSM_INTEGRITY_SIZE, VERR_SSM_INTEGRITY_UNIT, VERR_SSM_INTEGRITY_VBOX_VERSION,
  VERR_SSM_INTEGRITY_VERSION,
} from '../../src/status.js';
import { loadBytes, pristineFile, unitSpans, validateBytes, type Outcome } from './damage-fixture.js';

const file = pristineFile();
const spans = unitSpans(file);
const footerOff = file.length - 32;
const dirOff = footerOff - 16 - file.readUInt32LE(footerOff + 20) * 16;

/** Recomputes the u32CRC field at crcOff of the structure [start, end). */
function fixCrc(b: Buffer, start: number, end: number, crcOff: number): void {
  b.writeUInt32LE(0, crcOff);
  b.writeUInt32LE(crc32(b.subarray(start, end)) >>> 0, crcOff);
}
const edit = (fn: (b: Buffer) => void): Buffer => {
  const b = Buffer.from(file);
  fn(b);
  return b;
};
const fixHeader = (b: Buffer): void => fixCrc(b, 0, 64, 60);
const fixFooter = (b: Buffer): void => fixCrc(b, footerOff, footerOff + 32, footerOff + 28);
const rc = (o: Outcome): number => (o.ok ? 0 : o.rc);

const [unitA, unitB] = spans;
const table: [string, Buffer, number, number, number][] = [
  // what, bytes, validate(no checksum), validate(checksum), load
  ['pristine', file, 0, 0, 0],
  ['the base magic', edit((b) => { b[1] = 0x76; }), VERR_SSM_INTEGRITY_MAGIC, VERR_SSM_INTEGRITY_MAGIC, VERR_SSM_INTEGRITY_MAGIC],
  ['the version in the magic', edit((b) => { b[26] = 0x39; }), VERR_SSM_INTEGRITY_VERSION, VERR_SSM_INTEGRITY_VERSION, VERR_SSM_INTEGRITY_VERSION],
  ['the header CRC', edit((b) => { b[60] ^= 1; }), VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_CRC],
  ['the VirtualBox major version (0)', edit((b) => { b.writeUInt16LE(0, 32); fixHeader(b); }), VERR_SSM_INTEGRITY_VBOX_VERSION, VERR_SSM_INTEGRITY_VBOX_VERSION, VERR_SSM_INTEGRITY_VBOX_VERSION],
  ['the SVN revision (0)', edit((b) => { b.writeUInt32LE(0, 40); fixHeader(b); }), VERR_SSM_INTEGRITY_VBOX_VERSION, VERR_SSM_INTEGRITY_VBOX_VERSION, VERR_SSM_INTEGRITY_VBOX_VERSION],
  ['cHostBits 16', edit((b) => { b[44] = 16; fixHeader(b); }), VERR_SSM_INTEGRITY_HEADER, VERR_SSM_INTEGRITY_HEADER, VERR_SSM_INTEGRITY_HEADER],
  ['cbGCPhys 2', edit((b) => { b[45] = 2; fixHeader(b); }), VERR_SSM_INTEGRITY_HEADER, VERR_SSM_INTEGRITY_HEADER, VERR_SSM_INTEGRITY_HEADER],
  ['the reserved header byte', edit((b) => { b[47] = 1; fixHeader(b); }), VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY],
  ['an unknown header flag', edit((b) => { b.writeUInt32LE(5, 52); fixHeader(b); }), VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY],
  ['cbMaxDecompr 8192', edit((b) => { b.writeUInt32LE(8192, 56); fixHeader(b); }), VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY],
  ['cbMaxDecompr 1000 (not a multiple of 256)', edit((b) => { b.writeUInt32LE(1000, 56); fixHeader(b); }), VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY],
  ['one byte cut off', file.subarray(0, file.length - 1), VERR_SSM_INTEGRITY_FOOTER, VERR_SSM_INTEGRITY_FOOTER, VERR_SSM_INTEGRITY_FOOTER],
  ['the footer CRC', edit((b) => { b[footerOff + 28] ^= 0x80; }), VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_CRC],
  ['the footer offStream', edit((b) => { b.writeUInt32LE(footerOff + 1, footerOff + 8); fixFooter(b); }), VERR_SSM_INTEGRITY_FOOTER, VERR_SSM_INTEGRITY_FOOTER, VERR_SSM_INTEGRITY_FOOTER],
  ['the footer reserved field', edit((b) => { b.writeUInt32LE(1, footerOff + 24); fixFooter(b); }), VERR_SSM_INTEGRITY_FOOTER, VERR_SSM_INTEGRITY_FOOTER, VERR_SSM_INTEGRITY_FOOTER],
  ['the footer stream CRC', edit((b) => { b[footerOff + 16] ^= 1; fixFooter(b); }), 0, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_CRC],
  ['a bit in unit data', edit((b) => { b[unitA![1] - 20] ^= 4; }), 0, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_REC_TERM_CRC],
  ['a unit name byte', edit((b) => { b[unitB![0] + 45] ^= 1; }), 0, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_CRC],
  ['a unit offStream (header CRC fixed)', edit((b) => { b[unitB![0] + 8] ^= 1; fixCrc(b, unitB![0], unitB![0] + 44 + b.readUInt32LE(unitB![0] + 40), unitB![0] + 20); }), 0, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_UNIT],
  ['a record type byte', edit((b) => { b[unitB![0] + 44 + b.readUInt32LE(unitB![0] + 40)] = 0x20; }), 0, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_REC_HDR],
  ['the directory magic', edit((b) => { b[dirOff + 1] ^= 1; }), 0, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_DIR_MAGIC],
  ['a directory offset (CRC fixed)', edit((b) => { b.writeUInt32LE(3, dirOff + 16); fixCrc(b, dirOff, footerOff, dirOff + 8); }), 0, VERR_SSM_INTEGRITY_CRC, VERR_SSM_INTEGRITY_DIR],
  ['an empty file', Buffer.alloc(0), VERR_SSM_INTEGRITY_MAGIC, VERR_SSM_INTEGRITY_MAGIC, VERR_SSM_INTEGRITY_MAGIC],
  ['a file that ends inside the header', file.subarray(0, 40), VERR_SSM_INTEGRITY_HEADER, VERR_SSM_INTEGRITY_HEADER, VERR_SSM_INTEGRITY_HEADER],
];

describe('SSMR3ValidateFile and SSMR3Load integrity checks', () => {
  it.each(table)('%s', (_what, bytes, rcPlain, rcChecksum, rcLoad) => {
    expect(rc(validateBytes(bytes, false))).toBe(rcPlain);
    expect(rc(validateBytes(bytes, true))).toBe(rcChecksum);
    expect(rc(loadBytes(bytes))).toBe(rcLoad);
  });
});

describe('v1.x headers (ssmR3HeaderAndValidate)', () => {
  const v11 = (uuidByte: number, cbFile: number, crc = 0): Buffer => {
    const b = Buffer.alloc(64);
    b.writeUInt32LE(crc, 40);
    b.write('\x7fVirtualBox SavedState V1.1\n', 0, 'latin1');
    b.writeBigUInt64LE(BigInt(cbFile), 32);
    b[48] = uuidByte;
    return b;
  };
  it.each([
    ['a machine UUID that is not nil', v11(1, 64), VERR_SMM_INTEGRITY_MACHINE],
    ['a recorded size that is not the file size', v11(0, 65), VERR_SSM_INTEGRITY_SIZE],
    ['a CRC that does not match', v11(0, 64, 1), VERR_SSM_INTEGRITY_CRC],
    ['nothing (a header-only v1.1 file is valid)', v11(0, 64), 0],
  ])('refuses %s', (_what, bytes, expected) => {
    expect(rc(validateBytes(bytes, true))).toBe(expected);
  });
});
