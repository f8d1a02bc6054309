/**
 * CRC-32 in the two forms SSM uses (vbox-facts.md §8): the finished value RTCrc32() gives (node:zlib crc32) and
 * the unfinished running value RTCrc32Process() keeps, which is the one unit headers store as u32CurStreamCRC.
 * Finished = ~running, so one running CRC serves both.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

/** RTCrc32: the finished CRC-32 of bytes, optionally continuing a finished value. */
export function crc32(bytes: Uint8Array, finished = 0): number {
  return zlibCrc32(bytes, finished) >>> 0;
}

/** RTCrc32Finish of a running value. */
export const crcFinish = (running: number): number => (~running) >>> 0;

/** The running (unfinished) value that corresponds to a finished CRC. */
export const crcRunning = (finished: number): number => (~finished) >>> 0;

/** CRC of a structure with its 4-byte CRC field (at offCrc) taken as zero. */
export function crc32WithZeroField(bytes: Uint8Array, offCrc: number): number {
  let crc = crc32(bytes.subarray(0, offCrc));
  crc = crc32(ZERO4, crc);
  return crc32(bytes.subarray(offCrc + 4), crc);
}

const ZERO4 = new Uint8Array(4);
