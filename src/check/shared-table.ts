/**
 * The set of state keys the worker threads of one exploration share (shared-search.ts): 64-bit fingerprints
 * (the explorer's own, StateTable's) in open addressing over a SharedArrayBuffer, so each worker learns at once
 * whether a step found a new state and expands it itself, with no round trip to the main thread.
 *
 * A slot is three words: a tag (empty, being written, full), then hi and lo. A worker claims an empty slot by a
 * compare-and-exchange on its tag, writes the key, and publishes it by storing the tag full; another worker
 * probing the same slot meanwhile waits the few instructions until it is published, so two workers stepping
 * into one key at once get one "new" and one "known" between them. Nothing is ever removed.
 */

const EMPTY = 0;
const WRITING = 1;
const FULL = 2;
/** The number of keys is kept in word 0; slots start at word 1. */
const HEADER = 1;
const WORDS = 3;

export class SharedKeyTable {
  readonly #words: Int32Array;
  readonly #mask: number;
  /** Keys at most: half the slots (longer probes beyond). */
  readonly limit: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer);
    const slots = (this.#words.length - HEADER) / WORDS;
    if (!Number.isInteger(slots) || slots <= 0 || (slots & (slots - 1)) !== 0) throw new Error(`shared key table: ${buffer.byteLength} bytes is not a table of 2^k slots`);
    this.#mask = slots - 1;
    this.limit = slots >>> 1;
  }

  /** A table of `2^k ≥ 2 × keys` slots (at least 4,096). */
  static create(keys: number): SharedKeyTable {
    let slots = 1 << 12;
    while (slots < 2 * keys) slots *= 2;
    return new SharedKeyTable(new SharedArrayBuffer((HEADER + slots * WORDS) * 4));
  }

  /** Keys in the table. */
  get size(): number {
    return Atomics.load(this.#words, 0);
  }

  /** Whether the table holds as many keys as it may (a search then stops: shared-search.ts). */
  get full(): boolean {
    return this.size >= this.limit;
  }

  /** Add the key: its slot when it is new, -1 - slot when it was there. */
  insert(hi: number, lo: number): number {
    const words = this.#words;
    hi |= 0;
    lo |= 0;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.#mask;
    for (;;) {
      const at = HEADER + slot * WORDS;
      let tag = Atomics.load(words, at);
      if (tag === EMPTY) {
        tag = Atomics.compareExchange(words, at, EMPTY, WRITING);
        if (tag === EMPTY) {
          words[at + 1] = hi;
          words[at + 2] = lo;
          Atomics.store(words, at, FULL);
          Atomics.add(words, 0, 1);
          return slot;
        }
      }
      while (tag === WRITING) tag = Atomics.load(words, at); // published within a few instructions
      if (words[at + 1] === hi && words[at + 2] === lo) return -1 - slot;
      slot = (slot + 1) & this.#mask;
    }
  }
}
