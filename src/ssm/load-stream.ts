/**
 * How far the next unit reaches in a stream that is still arriving: unit callbacks are synchronous, so the
 * streaming loader (ssmLoadStream, teleport) waits until a whole unit — header, records, termination record — or
 * the END unit with its directory and footer is buffered. The scan only follows record sizes; anything malformed
 * counts as "complete" so the real loader reports it with its proper status. A source that carries a
 * maxUnitBytes (the teleport target's: what the VM's RAM can justify) refuses a unit that would need more with
 * VERR_TOO_MUCH_DATA before buffering it, so a stream's junk cannot grow the target's memory without limit.
 */
import { VBoxError, VERR_TOO_MUCH_DATA } from '../status.js';
import { SSMFILEDIR_HDR_SIZE, SSMFILEDIRENTRY_SIZE, SSMFILEFTR_SIZE, SSMFILEUNITHDRV2_SIZE, SSM_MAX_NAME_SIZE, SSMRECTERM_SIZE } from './constants.js';
import type { SsmStreamReader } from './stream-reader.js';
import { isUnitMagic, magicEquals } from './structs.js';

export interface UnitExtent {
  complete: boolean;
  /** Bytes needed from the current position (a lower bound while the size is unknown). */
  need: number;
}

/** Resume state of the scan (SsmStreamReader.unitScan), so a unit arriving in many pieces is scanned once. */
export interface UnitScan {
  /** Stream offset of the unit being scanned. */
  start: number;
  /** Offset (from `start`) of the next record header to read; -1 before the first. */
  off: number;
}

export function bufferedUnitExtent(reader: SsmStreamReader): UnitExtent {
  const bytes = reader.peekBuffered();
  const start = reader.offStream;
  let scan = reader.unitScan;
  if (!scan || scan.start !== start) scan = reader.unitScan = { start, off: -1 };
  const limit = (reader.source as { maxUnitBytes?: number }).maxUnitBytes ?? Infinity;
  const done = (need: number): UnitExtent => {
    if (need > limit) throw new VBoxError(VERR_TOO_MUCH_DATA, `A saved-state unit at offset ${start} needs more than ${limit} bytes, more than this VM can take.`);
    return { complete: bytes.length >= need, need };
  };
  const malformed: UnitExtent = { complete: true, need: 0 };
  if (bytes.length < SSMFILEUNITHDRV2_SIZE) return done(SSMFILEUNITHDRV2_SIZE);
  if (!isUnitMagic(bytes)) return malformed;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (magicEquals(bytes, 0, '\nTheEnd')) {
    if (bytes.length < SSMFILEUNITHDRV2_SIZE + SSMFILEDIR_HDR_SIZE) return done(SSMFILEUNITHDRV2_SIZE + SSMFILEDIR_HDR_SIZE);
    const cEntries = view.getUint32(SSMFILEUNITHDRV2_SIZE + 12, true);
    if (cEntries >= 0x10000) return malformed;
    return done(SSMFILEUNITHDRV2_SIZE + SSMFILEDIR_HDR_SIZE + cEntries * SSMFILEDIRENTRY_SIZE + SSMFILEFTR_SIZE);
  }
  const cbName = view.getUint32(40, true);
  if (cbName > SSM_MAX_NAME_SIZE) return malformed;
  let off = scan.off >= 0 ? scan.off : SSMFILEUNITHDRV2_SIZE + cbName;
  for (;;) {
    scan.off = off;
    if (bytes.length < off + 2) return done(off + 2);
    const b0 = bytes[off]!;
    if ((b0 & 0xe0) !== 0x80 || (b0 & 0x0f) === 0 || (b0 & 0x0f) > 5) return malformed;
    if ((b0 & 0x0f) === 1) return done(off + SSMRECTERM_SIZE);
    let cb = bytes[off + 1]!;
    let cbSize = 1;
    if (cb & 0x80) {
      cbSize = !(cb & 0x20) ? 2 : !(cb & 0x10) ? 3 : !(cb & 0x08) ? 4 : !(cb & 0x04) ? 5 : !(cb & 0x02) ? 6 : 0;
      if (cbSize === 0) return malformed;
      if (bytes.length < off + 1 + cbSize) return done(off + 1 + cbSize);
      cb &= [0, 0, 0x1f, 0x0f, 0x07, 0x03, 0x01][cbSize]!;
      for (let i = 2; i <= cbSize; i++) {
        const c = bytes[off + i]!;
        if ((c & 0xc0) !== 0x80) return malformed;
        cb = cb * 64 + (c & 0x3f);
      }
    }
    off += 1 + cbSize + cb;
  }
}
