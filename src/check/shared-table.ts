/**
 * The set of state keys the worker threads of one exploration share (shared-search.ts): 64-bit fingerprints
 * (the explorer's own, StateTable's) in open addressing over a SharedArrayBuffer, so each worker learns at once
 * whether a step found a new state and expands it itself, with no round trip to the main thread. A key's id is
 * the order it came in (0, 1, 2 …), the same whatever the table's size.
 *
 * A slot is four words: a tag (empty, being written, full), hi, lo and the id. A worker claims an empty slot by a
 * compare-and-exchange on its tag, writes the key, and publishes it by storing the tag full; another worker
 * probing the same slot meanwhile waits the few instructions until it is published, so two workers stepping
 * into one key at once get one "new" and one "known" between them. Nothing is ever removed.
 *
 * The table grows: one buffer holds regions of 4,096, 8,192 … 2^20 slots, of which one is in use, so a search of
 * a few thousand states touches a few pages of it (a fresh page costs ~18 µs on the machine we measure on, and a
 * table larger than the caches costs a miss per probe). An insert that fills its region to half moves every key
 * into the next one, while the others wait: inserts announce themselves (ACTIVE) and stand back while GROWING is
 * set, and the grower waits for those already inside. Past the last region's half the table is full.
 */

import { keySlot } from './state-table.js';

const EMPTY = 0;
const WRITING = 1;
const FULL = 2;
/** Header words: keys, the region in use, a grow under way, inserts under way. */
const COUNT = 0;
const REGION = 1;
const GROWING = 2;
const ACTIVE = 3;
const HEADER = 4;
const WORDS = 4;
const FIRST_SLOTS = 1 << 12;
const REGIONS = 9; // 2^12 … 2^20 slots

/** Where region r starts, in words, and its slots. */
const slotsOf = (r: number): number => FIRST_SLOTS << r;
const startOf = (r: number): number => HEADER + (slotsOf(r) - FIRST_SLOTS) * WORDS;

export class SharedKeyTable {
  readonly #words: Int32Array;
  /** Keys at most: half the last region's slots (longer probes beyond). */
  readonly limit: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer);
    if (this.#words.length !== startOf(REGIONS)) throw new Error(`shared key table: ${buffer.byteLength} bytes is not a table's ${startOf(REGIONS) * 4}`);
    this.limit = slotsOf(REGIONS - 1) >>> 1;
  }

  /** An empty table (its pages are touched only as regions come into use). */
  static create(): SharedKeyTable {
    return new SharedKeyTable(new SharedArrayBuffer(startOf(REGIONS) * 4));
  }

  /** Keys in the table. */
  get size(): number {
    return Atomics.load(this.#words, COUNT);
  }

  /** Whether the table holds as many keys as it may (a search then stops: shared-search.ts). */
  get full(): boolean {
    return this.size >= this.limit;
  }

  /** Slots of the region in use (4,096 · 2^k). */
  get slots(): number {
    return slotsOf(Atomics.load(this.#words, REGION));
  }

  /** Add the key: its id when it is new, -1 - id when it was there. */
  insert(hi: number, lo: number): number {
    const words = this.#words;
    for (;;) {
      Atomics.add(words, ACTIVE, 1);
      if (Atomics.load(words, GROWING) !== 0) {
        Atomics.sub(words, ACTIVE, 1);
        while (Atomics.load(words, GROWING) !== 0); // a few keys per microsecond move meanwhile
        continue;
      }
      const region = Atomics.load(words, REGION);
      const id = this.#probe(region, hi | 0, lo | 0);
      const grow = id >= 0 && region + 1 < REGIONS && Atomics.load(words, COUNT) >= slotsOf(region) >>> 1;
      Atomics.sub(words, ACTIVE, 1);
      if (grow) this.#grow(region);
      return id;
    }
  }

  #probe(region: number, hi: number, lo: number): number {
    const words = this.#words;
    const mask = slotsOf(region) - 1;
    const start = startOf(region);
    let slot = keySlot(hi, lo) & mask;
    for (;;) {
      const at = start + slot * WORDS;
      let tag = Atomics.load(words, at);
      if (tag === EMPTY) {
        tag = Atomics.compareExchange(words, at, EMPTY, WRITING);
        if (tag === EMPTY) {
          const id = Atomics.add(words, COUNT, 1);
          words[at + 1] = hi;
          words[at + 2] = lo;
          words[at + 3] = id;
          Atomics.store(words, at, FULL);
          return id;
        }
      }
      while (tag === WRITING) tag = Atomics.load(words, at); // published within a few instructions
      if (words[at + 1] === hi && words[at + 2] === lo) return -1 - words[at + 3]!;
      slot = (slot + 1) & mask;
    }
  }

  /** Move every key of `region` into the next, unless another insert is doing it or did. */
  #grow(region: number): void {
    const words = this.#words;
    if (Atomics.compareExchange(words, GROWING, 0, 1) !== 0) return;
    while (Atomics.load(words, ACTIVE) !== 0); // inserts that came in before the flag finish in the old region
    if (Atomics.load(words, REGION) === region) {
      const from = startOf(region);
      const to = startOf(region + 1);
      const mask = slotsOf(region + 1) - 1;
      for (let s = 0; s < slotsOf(region); s++) {
        const at = from + s * WORDS;
        if (words[at] !== FULL) continue;
        let slot = keySlot(words[at + 1]!, words[at + 2]!) & mask;
        while (words[to + slot * WORDS] !== EMPTY) slot = (slot + 1) & mask;
        words.set(words.subarray(at, at + WORDS), to + slot * WORDS);
      }
      Atomics.store(words, REGION, region + 1);
    }
    Atomics.store(words, GROWING, 0);
  }
}
