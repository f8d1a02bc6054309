/**
 * Crafting hostile saved-state files with the project's own writer plus byte patching: drop the stream CRC (so a
 * patch does not have to recompute the running CRC of everything after it), find and re-checksum unit headers,
 * and write a `pgm` unit whose records a test scripts.
 */
import { SSMFILEHDR_FLAGS_STREAM_CRC32, SSMFILEUNITHDR_END, SSMFILEUNITHDR_MAGIC, SSMFILEUNITHDRV2_SIZE } from '../../src/ssm/constants.js';
import { crc32WithZeroField } from '../../src/ssm/crc.js';
import type { SsmHandle } from '../../src/ssm/handle.js';

/** The file without SSMFILEHDR_FLAGS_STREAM_CRC32: header and footer CRCs fixed, footer stream CRC zero. */
export function withoutStreamCrc(file: Buffer): Buffer {
  const b = Buffer.from(file);
  b.writeUInt32LE(b.readUInt32LE(52) & ~SSMFILEHDR_FLAGS_STREAM_CRC32, 52);
  b.writeUInt32LE(crc32WithZeroField(b.subarray(0, 64), 60), 60);
  const ftr = b.length - 32;
  b.writeUInt32LE(0, ftr + 16);
  b.writeUInt32LE(crc32WithZeroField(b.subarray(ftr, ftr + 32), 28), ftr + 28);
  return b;
}

/** Offsets of every unit header (END included), in stream order. */
export function unitHeaders(file: Buffer): number[] {
  const out: number[] = [];
  for (const magic of [SSMFILEUNITHDR_MAGIC, SSMFILEUNITHDR_END].map((m) => Buffer.from(`${m}\0`, 'latin1'))) {
    for (let at = file.indexOf(magic, 64); at >= 0; at = file.indexOf(magic, at + 1)) {
      if (Number(file.readBigUInt64LE(at + 8)) === at) out.push(at);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Recompute a unit header's CRC after a patch (name bytes included). */
export function fixUnitHeaderCrc(b: Buffer, at: number): void {
  const cbName = b.readUInt32LE(at + 40);
  const whole = b.subarray(at, at + SSMFILEUNITHDRV2_SIZE + Math.min(cbName, b.length - at - SSMFILEUNITHDRV2_SIZE));
  b.writeUInt32LE(crc32WithZeroField(whole, 20), at + 20);
}

export const PGM_REC_END = 0;
export const PGM_REC_RAW = 1;
export const PGM_REC_ZERO_RUN = 2;

/** A `pgm` saveExec that writes the header of `pageCount` pages, then `records` as given, then END. */
export function pgmWriter(pageCount: number, records: (ssm: SsmHandle) => void): (ssm: SsmHandle) => void {
  return (ssm) => {
    ssm.putU32(pageCount);
    ssm.putU32(4096);
    records(ssm);
    ssm.putU8(PGM_REC_END);
  };
}

/** `repeats` ZERO_RUN records over pages [first, first + count), as one putMem (so LZF compresses them). */
export const zeroRuns = (repeats: number, first: number, count: number) => (ssm: SsmHandle) => {
  const records = Buffer.alloc(repeats * 9);
  for (let i = 0; i < repeats; i++) {
    records.writeUInt8(PGM_REC_ZERO_RUN, i * 9);
    records.writeUInt32LE(first, i * 9 + 1);
    records.writeUInt32LE(count, i * 9 + 5);
  }
  ssm.putMem(records);
};
