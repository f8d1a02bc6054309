/** Where a 64-bit key starts probing in a table of 2^k slots (masked by the caller): StateTable's and SharedKeyTable's. */
export const keySlot = (hi: number, lo: number): number => lo ^ Math.imul(hi, 0x9e3779b1);

/**
 * The explorer's memory: a 64-bit fingerprint set (open addressing over typed arrays) mapping each state key
 * to its index, and per-state columns (parent, choice, depth) from which a state's choice prefix is rebuilt.
 * About 24 bytes per state for the set at load ≤ 0.5, plus 11 for the columns.
 */
export class StateTable {
  #hi = new Uint32Array(1 << 12);
  #lo = new Uint32Array(1 << 12);
  #index = new Int32Array(1 << 12).fill(-1);
  #mask = (1 << 12) - 1;
  size = 0;
  parent = new Int32Array(1 << 10);
  choice = new Uint8Array(1 << 10);
  depth = new Uint16Array(1 << 10);

  /** The state's index, or -1. */
  get(hi: number, lo: number): number {
    let slot = keySlot(hi, lo) & this.#mask;
    for (;;) {
      const index = this.#index[slot]!;
      if (index < 0) return -1;
      if (this.#hi[slot] === hi && this.#lo[slot] === lo) return index;
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Add a new state (the caller checked get() first); returns its index. */
  add(hi: number, lo: number, parent: number, choice: number, depth: number): number {
    if ((this.size + 1) * 2 > this.#index.length) this.#grow();
    const index = this.size++;
    this.#insert(hi, lo, index);
    if (index >= this.parent.length) this.#growColumns();
    this.parent[index] = parent;
    this.choice[index] = choice;
    this.depth[index] = Math.min(depth, 0xffff);
    return index;
  }

  /** The choices from the root to `index`. */
  prefix(index: number): number[] {
    const path: number[] = [];
    for (let i = index; i > 0; i = this.parent[i]!) path.push(this.choice[i]!);
    return path.reverse();
  }

  /** Each state's key by index (a checkpoint's visited set: checkpoint/). */
  keys(): { hi: Uint32Array; lo: Uint32Array } {
    const hi = new Uint32Array(this.size);
    const lo = new Uint32Array(this.size);
    for (let slot = 0; slot <= this.#mask; slot++) {
      const index = this.#index[slot]!;
      if (index < 0) continue;
      hi[index] = this.#hi[slot]!;
      lo[index] = this.#lo[slot]!;
    }
    return { hi, lo };
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.#hi.byteLength + this.#lo.byteLength + this.#index.byteLength + this.parent.byteLength + this.choice.byteLength + this.depth.byteLength;
  }

  #insert(hi: number, lo: number, index: number): void {
    let slot = keySlot(hi, lo) & this.#mask;
    while (this.#index[slot]! >= 0) slot = (slot + 1) & this.#mask;
    this.#hi[slot] = hi;
    this.#lo[slot] = lo;
    this.#index[slot] = index;
  }

  #grow(): void {
    const { hi, lo, index } = { hi: this.#hi, lo: this.#lo, index: this.#index };
    const size = index.length * 2;
    this.#hi = new Uint32Array(size);
    this.#lo = new Uint32Array(size);
    this.#index = new Int32Array(size).fill(-1);
    this.#mask = size - 1;
    for (let slot = 0; slot < index.length; slot++) if (index[slot]! >= 0) this.#insert(hi[slot]!, lo[slot]!, index[slot]!);
  }

  #growColumns(): void {
    const size = this.parent.length * 2;
    const parent = new Int32Array(size);
    parent.set(this.parent);
    const choice = new Uint8Array(size);
    choice.set(this.choice);
    const depth = new Uint16Array(size);
    depth.set(this.depth);
    this.parent = parent;
    this.choice = choice;
    this.depth = depth;
  }
}
