/**
 * The compact encoding a state key is hashed from: a reused buffer of 32-bit integers (interned names, state
 * indices, statuses), never JSON of snapshots. The key is two independent 32-bit MurmurHash3 lanes over the
 * buffer, a 64-bit fingerprint as in Spin's hash-compact mode: with n states the chance of any collision is
 * about n² / 2^65 (under 3·10^-6 at ten million states).
 */
export class KeyWriter {
  buf = new Int32Array(512);
  length = 0;
  /** The last hash(): high and low lanes. */
  hi = 0;
  lo = 0;

  reset(): void {
    this.length = 0;
  }

  w(value: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Int32Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = value | 0;
  }

  /** Sort the last `n` words written, ascending (an unordered collection's entries, in place: few, no allocation). */
  sortLast(n: number): void {
    const buf = this.buf;
    for (let i = this.length - n + 1; i < this.length; i++) {
      const v = buf[i]!;
      let j = i;
      for (; j > this.length - n && buf[j - 1]! > v; j--) buf[j] = buf[j - 1]!;
      buf[j] = v;
    }
  }

  /** A non-negative number that may exceed 32 bits (nanoseconds). */
  wide(value: number): void {
    this.w(Math.floor(value / 0x80000000));
    this.w(value % 0x80000000);
  }

  hash(): void {
    // Two MurmurHash3 x86_32 lanes over the 32-bit words, in one pass.
    const words = this.buf;
    const length = this.length;
    let hi = 0x9747b28c | 0;
    let lo = 0x3c6ef372 | 0;
    for (let i = 0; i < length; i++) {
      let k = Math.imul(words[i]!, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      hi ^= k;
      hi = (hi << 13) | (hi >>> 19);
      hi = (Math.imul(hi, 5) + 0xe6546b64) | 0;
      lo ^= k;
      lo = (lo << 13) | (lo >>> 19);
      lo = (Math.imul(lo, 5) + 0xe6546b64) | 0;
    }
    this.hi = finish(hi, length);
    this.lo = finish(lo, length);
  }

  /** The encoding itself (tests compare encodings when they want to see why two keys differ). */
  snapshot(): number[] {
    return Array.from(this.buf.subarray(0, this.length));
  }
}

/** MurmurHash3's finaliser over `length` words. */
function finish(h: number, length: number): number {
  h ^= length * 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
