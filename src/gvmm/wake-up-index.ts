/**
 * The early wake-up pass of gvmmR0SchedDoWakeUps (vbox-facts.md §9.3) over two indexes of the halted vCPUs.
 *
 * 'scan' is VirtualBox's algorithm and the reference: three rounds over every vCPU of every VM on the used
 * list, O(VMs × vCPUs) per pass. 'heap' is ours: a min-heap keyed by expiry, so a pass costs O(k log n) for
 * the k vCPUs it wakes. Both wake the same set — round 1 wakes expiries ≤ now, round 2 (only when some expiry
 * lies in (now, now+EW1]) wakes those, round 3 (only when some lies in (now+EW1, now+EW2]) wakes those, so
 * together they wake exactly the expiries ≤ now + EW2 — and both report the same minimum of the rest.
 */
import { defineConstant, persistable } from '../persist/registry.js';
import type { GvmCpu } from './gvm.js';
import type { GvmmHandleTable } from './handle-table.js';

export type WakeUpIndexKind = 'scan' | 'heap';

/** UINT64_MAX as uNsNextEmtWakeup's "nobody halted". */
export const NS_NEVER = Number.MAX_SAFE_INTEGER;

export interface WakeUpPassResult {
  woken: number;
  /** u64Min: the earliest expiry left (NS_NEVER when none, or always with the as-written round 1). */
  minNs: number;
}

export interface WakeUpIndex {
  readonly kind: WakeUpIndexKind;
  /** A vCPU started blocking with `cpu.haltExpireNs` set. */
  halted(cpu: GvmCpu, haltedCount: number): void;
  /** One pass over `table`'s VMs; `wake` exchanges u64HaltExpire to 0 and signals, true when it did. */
  pass(table: GvmmHandleTable, nowNs: number, ew1Ns: number, ew2Ns: number, asWritten: boolean, wake: (cpu: GvmCpu) => boolean): WakeUpPassResult;
}

export function createWakeUpIndex(kind: WakeUpIndexKind): WakeUpIndex {
  return kind === 'scan' ? SCAN_INDEX : new HeapIndex();
}

/** VirtualBox's three rounds, literally. It keeps nothing: one frozen instance (SCAN_INDEX) serves every GVMM and world copy. */
class ScanIndex implements WakeUpIndex {
  readonly kind = 'scan' as const;

  halted(): void {}

  pass(table: GvmmHandleTable, nowNs: number, ew1Ns: number, ew2Ns: number, asWritten: boolean, wake: (cpu: GvmCpu) => boolean): WakeUpPassResult {
    const ew1 = nowNs + ew1Ns;
    const ew2 = nowNs + ew2Ns;
    let minNs = NS_NEVER;
    let woken = 0;
    let todo2nd = 0;
    let todo3rd = 0;
    table.forEachUsedGvm((gvm) => {
      for (const cpu of gvm.cpus) {
        const expire = cpu.haltExpireNs;
        if (expire === 0) continue;
        if (expire <= nowNs) {
          if (wake(cpu)) woken++;
        } else if (expire <= ew1) todo2nd++;
        else if (expire <= ew2) todo3rd++;
        // (as written) `u64 = u64Min` instead of `u64Min = u64`: the minimum never moves.
        else if (expire < minNs && !asWritten) minNs = expire;
      }
    });
    const round = (limit: number) =>
      table.forEachUsedGvm((gvm) => {
        for (const cpu of gvm.cpus) if (cpu.haltExpireNs !== 0 && cpu.haltExpireNs <= limit && wake(cpu)) woken++;
      });
    if (todo2nd > 0) round(ew1);
    if (todo3rd > 0) round(ew2);
    return { woken, minNs };
  }
}

/**
 * A binary min-heap on (expiry, insertion order). The keys sit in typed arrays in heap order, so a sift
 * reads dense memory along its path (64,000 halted vCPUs are 1 MB of keys); the vCPU of an entry is looked
 * up by slot only at the top. An entry goes stale when its vCPU stops halting; stale entries leave when they
 * reach the top, or in a rebuild when they pile up.
 */
class HeapIndex implements WakeUpIndex {
  readonly kind = 'heap' as const;
  /** In heap order: expiry, insertion order, slot (grown by doubling: an engine of one small VM stays small). */
  private expire = new Float64Array(16);
  private order = new Float64Array(16);
  private slot = new Int32Array(16);
  private n = 0;
  /** By slot: the vCPU and its haltSeq when it went in. */
  private readonly cpu: (GvmCpu | undefined)[] = [];
  private readonly haltSeq: number[] = [];
  private readonly freeSlots: number[] = [];
  private orderSeq = 0;

  get size(): number {
    return this.n;
  }

  halted(cpu: GvmCpu, haltedCount: number): void {
    if (this.n > 1024 && this.n > 4 * haltedCount) this.compact();
    const slot = this.freeSlots.pop() ?? this.cpu.length;
    this.cpu[slot] = cpu;
    this.haltSeq[slot] = cpu.haltSeq;
    this.push(cpu.haltExpireNs, ++this.orderSeq, slot);
  }

  pass(_table: GvmmHandleTable, nowNs: number, _ew1Ns: number, ew2Ns: number, asWritten: boolean, wake: (cpu: GvmCpu) => boolean): WakeUpPassResult {
    const limit = nowNs + ew2Ns;
    let woken = 0;
    while (this.peekLive() && this.expire[0]! <= limit) {
      const cpu = this.cpu[this.slot[0]!]!;
      this.popTop();
      if (wake(cpu)) woken++;
    }
    return { woken, minNs: asWritten || !this.peekLive() ? NS_NEVER : this.expire[0]! };
  }

  /** Still the vCPU's halt (a destroyed VM's vCPUs have their expiry cleared, so theirs are stale too). */
  private live(i: number): boolean {
    const slot = this.slot[i]!;
    const cpu = this.cpu[slot]!;
    return cpu.haltExpireNs === this.expire[i] && cpu.haltSeq === this.haltSeq[slot];
  }

  /** Drop stale entries off the top; true when a live one is left there. */
  private peekLive(): boolean {
    while (this.n > 0 && !this.live(0)) this.popTop();
    return this.n > 0;
  }

  private compact(): void {
    const live: [number, number, number][] = [];
    for (let i = 0; i < this.n; i++) {
      if (this.live(i)) live.push([this.expire[i]!, this.order[i]!, this.slot[i]!]);
      else this.release(this.slot[i]!);
    }
    this.n = 0;
    for (const [expire, order, slot] of live) this.push(expire, order, slot);
  }

  private release(slot: number): void {
    this.cpu[slot] = undefined;
    this.freeSlots.push(slot);
  }

  private push(expire: number, order: number, slot: number): void {
    if (this.n === this.expire.length) this.grow();
    const [e, o, s] = [this.expire, this.order, this.slot];
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pe = e[parent]!;
      if (pe < expire || (pe === expire && o[parent]! < order)) break;
      e[i] = pe;
      o[i] = o[parent]!;
      s[i] = s[parent]!;
      i = parent;
    }
    e[i] = expire;
    o[i] = order;
    s[i] = slot;
  }

  private popTop(): void {
    const [e, o, s] = [this.expire, this.order, this.slot];
    this.release(s[0]!);
    const n = --this.n;
    if (n === 0) return;
    const expire = e[n]!;
    const order = o[n]!;
    const slot = s[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (e[r]! < e[l]! || (e[r] === e[l] && o[r]! < o[l]!)) ? r : l;
      if (e[c]! > expire || (e[c] === expire && o[c]! > order)) break;
      e[i] = e[c]!;
      o[i] = o[c]!;
      s[i] = s[c]!;
      i = c;
    }
    e[i] = expire;
    o[i] = order;
    s[i] = slot;
  }

  private grow(): void {
    const size = this.expire.length * 2;
    const expire = new Float64Array(size);
    const order = new Float64Array(size);
    const slot = new Int32Array(size);
    expire.set(this.expire);
    order.set(this.order);
    slot.set(this.slot);
    [this.expire, this.order, this.slot] = [expire, order, slot];
  }
}

persistable('ScanIndex', ScanIndex);
const SCAN_INDEX: WakeUpIndex = defineConstant('gvmm.scanIndex', Object.freeze(new ScanIndex()));
persistable('HeapIndex', HeapIndex);
