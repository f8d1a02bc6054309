/**
 * LZF block compression (the RTZIPTYPE_LZF format of RAW_LZF records, vbox-facts.md §8.4), written from the
 * format: a control byte below 32 starts a run of ctrl+1 literals; otherwise the top 3 bits are a length (7 means
 * one more length byte follows), the low 5 bits and the next byte an offset-1 into the output already produced,
 * and length+2 bytes are copied. The compressor is a greedy single-probe hash matcher over 3-byte prefixes.
 */

const HLOG = 14;
const HSIZE = 1 << HLOG;
const MAX_LIT = 32;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * One hash table reused across calls (compression runs on one thread, block by block). Entries hold base + position;
 * anything below the current call's base is stale, so no per-block clearing is needed.
 */
const htab = new Int32Array(HSIZE);
let base = 0;

/** liblzf's IDX() over a rolling 3-byte value. */
const idx = (h: number): number => ((h >>> (24 - HLOG)) - h * 5) & (HSIZE - 1);

/**
 * Compresses src into dst; returns the compressed length, or -1 when it does not fit (the caller then stores the
 * block raw, as RTZipBlockCompress failing does in ssmR3DataWriteBig).
 */
export function lzfCompress(src: Uint8Array, dst: Uint8Array): number {
  const inEnd = src.length;
  const outEnd = dst.length;
  if (inEnd === 0) return 0;
  if (outEnd < 2) return -1;
  if (base > 0x7fff0000 - inEnd) {
    htab.fill(0);
    base = 0;
  }
  base += inEnd + 1;
  const b = base;
  let ip = 0;
  let op = 1; // dst[0] is the pending literal-run control byte
  let lit = 0;
  let hval = inEnd > 1 ? (src[0]! << 8) | src[1]! : 0;

  while (ip + 2 < inEnd) {
    hval = ((hval << 8) | src[ip + 2]!) & 0xffffff;
    const slot = idx(hval);
    const ref = htab[slot]! - b;
    htab[slot] = b + ip;
    const off = ip - ref - 1;
    if (ref >= 0 && off < MAX_OFF && src[ref + 2] === src[ip + 2] && src[ref + 1] === src[ip + 1] && src[ref] === src[ip]) {
      let maxLen = inEnd - ip;
      if (maxLen > MAX_REF) maxLen = MAX_REF;
      let len = 3;
      while (len < maxLen && src[ref + len] === src[ip + len]) len++;
      // Close the literal run (or drop its unused control byte).
      if (lit > 0) dst[op - lit - 1] = lit - 1;
      else op--;
      if (op + 4 > outEnd) return -1;
      const enc = len - 2;
      if (enc < 7) {
        dst[op++] = (off >>> 8) + (enc << 5);
      } else {
        dst[op++] = (off >>> 8) + (7 << 5);
        dst[op++] = enc - 7;
      }
      dst[op++] = off & 0xff;
      lit = 0;
      op++; // control byte of the next literal run
      ip += len;
      if (ip + 2 >= inEnd) break;
      // As liblzf: hash the last two positions of the match so the next one can refer back into it.
      hval = (src[ip - 2]! << 8) | src[ip - 1]!;
      hval = ((hval << 8) | src[ip]!) & 0xffffff;
      htab[idx(hval)] = b + ip - 2;
      hval = ((hval << 8) | src[ip + 1]!) & 0xffffff;
      htab[idx(hval)] = b + ip - 1;
      hval = (src[ip]! << 8) | src[ip + 1]!;
      continue;
    }
    if (op >= outEnd) return -1;
    dst[op++] = src[ip++]!;
    if (++lit === MAX_LIT) {
      dst[op - lit - 1] = MAX_LIT - 1;
      lit = 0;
      op++;
    }
  }
  while (ip < inEnd) {
    if (op >= outEnd) return -1;
    dst[op++] = src[ip++]!;
    if (++lit === MAX_LIT) {
      dst[op - lit - 1] = MAX_LIT - 1;
      lit = 0;
      op++;
    }
  }
  if (lit > 0) dst[op - lit - 1] = lit - 1;
  else op--;
  return op <= outEnd ? op : -1;
}

/**
 * Decompresses src into dst and returns the number of bytes produced; -1 on any malformed input (a back
 * reference before the start, a run past either end).
 */
export function lzfDecompress(src: Uint8Array, dst: Uint8Array): number {
  let ip = 0;
  let op = 0;
  const inEnd = src.length;
  const outEnd = dst.length;
  while (ip < inEnd) {
    const ctrl = src[ip++]!;
    if (ctrl < 32) {
      // Literal run (at most 32 bytes: a byte loop beats subarray + set).
      let run = ctrl + 1;
      if (op + run > outEnd || ip + run > inEnd) return -1;
      if (run >= 16) {
        dst.set(src.subarray(ip, ip + run), op);
        op += run;
        ip += run;
      } else {
        while (run-- > 0) dst[op++] = src[ip++]!;
      }
      continue;
    }
    let len = ctrl >>> 5;
    if (len === 7) {
      if (ip >= inEnd) return -1;
      len += src[ip++]!;
    }
    if (ip >= inEnd) return -1;
    let ref = op - ((ctrl & 0x1f) << 8) - src[ip++]! - 1;
    len += 2;
    if (ref < 0 || op + len > outEnd) return -1;
    if (len >= 16 && op - ref >= len) {
      dst.copyWithin(op, ref, ref + len);
      op += len;
    } else {
      // Byte by byte: overlapping references (ref + len > op) repeat the bytes just written, as LZF intends.
      while (len-- > 0) dst[op++] = dst[ref++]!;
    }
  }
  return op;
}
