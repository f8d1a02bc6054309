/**
 * The early wake-up pass of gvmmR0SchedDoWakeUps (vbox-facts.md §9.3) over two indexes of the halted vCPUs.
 *
 * 'scan' is VirtualBox's algorithm and the reference: three rounds over every vCPU of every VM on the used
 * list, O(VMs × vCPUs) per pass. 'heap' is ours: a min-heap keyed by expiry, so a pass costs O(k log n) for
 * the k vCPUs it wakes. Both wake the same set — round 1 wakes expiries ≤ now, round 2 (only when some expiry
 * lies in (now, now+EW1]) wakes those, round 3 (only when some lies in (now+EW1, now+EW2]) wakes those, so
 * together they wake exactly the expiries ≤ now + EW2 — and both report the same minimum of the rest.
 */
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
  /** One pass; `wake` exchanges u64HaltExpire to 0 and signals, true when it did. */
  pass(nowNs: number, ew1Ns: number, ew2Ns: number, asWritten: boolean, wake: (cpu: GvmCpu) => boolean): WakeUpPassResult;
}

export function createWakeUpIndex(kind: WakeUpIndexKind, table: GvmmHandleTable): WakeUpIndex {
  return kind === 'scan' ? new ScanIndex(table) : new HeapIndex();
}

/** VirtualBox's three rounds, literally. */
class ScanIndex implements WakeUpIndex {
  readonly kind = 'scan' as const;

  constructor(readonly table: GvmmHandleTable) {}

  halted(): void {}

  pass(nowNs: number, ew1Ns: number, ew2Ns: number, asWritten: boolean, wake: (cpu: GvmCpu) => boolean): WakeUpPassResult {
    const ew1 = nowNs + ew1Ns;
    const ew2 = nowNs + ew2Ns;
    let minNs = NS_NEVER;
    let woken = 0;
    let todo2nd = 0;
    let todo3rd = 0;
    this.table.forEachUsedGvm((gvm) => {
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
      this.table.forEachUsedGvm((gvm) => {
        for (const cpu of gvm.cpus) if (cpu.haltExpireNs !== 0 && cpu.haltExpireNs <= limit && wake(cpu)) woken++;
      });
    if (todo2nd > 0) round(ew1);
    if (todo3rd > 0) round(ew2);
    return { woken, minNs };
  }
}

interface Entry {
  expireNs: number;
  seq: number;
  haltSeq: number;
  cpu: GvmCpu;
}

/** A binary min-heap on (expiry, insertion order); entries go stale when the vCPU stops halting. */
class HeapIndex implements WakeUpIndex {
  readonly kind = 'heap' as const;
  readonly #heap: Entry[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  halted(cpu: GvmCpu, haltedCount: number): void {
    // Stale entries leave only when they reach the top; rebuild when they outnumber the live ones.
    if (this.#heap.length > 1024 && this.#heap.length > 4 * haltedCount) this.#compact();
    this.#push({ expireNs: cpu.haltExpireNs, seq: ++this.#seq, haltSeq: cpu.haltSeq, cpu });
  }

  pass(nowNs: number, _ew1Ns: number, ew2Ns: number, asWritten: boolean, wake: (cpu: GvmCpu) => boolean): WakeUpPassResult {
    const limit = nowNs + ew2Ns;
    let woken = 0;
    for (let top = this.#peekLive(); top && top.expireNs <= limit; top = this.#peekLive()) {
      this.#pop();
      if (wake(top.cpu)) woken++;
    }
    return { woken, minNs: asWritten ? NS_NEVER : (this.#peekLive()?.expireNs ?? NS_NEVER) };
  }

  #live(entry: Entry): boolean {
    const cpu = entry.cpu;
    return cpu.gvm.alive && cpu.haltExpireNs === entry.expireNs && cpu.haltSeq === entry.haltSeq;
  }

  #peekLive(): Entry | undefined {
    while (this.#heap.length > 0 && !this.#live(this.#heap[0]!)) this.#pop();
    return this.#heap[0];
  }

  #compact(): void {
    const live = this.#heap.filter((e) => this.#live(e));
    this.#heap.length = 0;
    for (const e of live) this.#push(e);
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}

const before = (a: Entry, b: Entry) => a.expireNs < b.expireNs || (a.expireNs === b.expireNs && a.seq < b.seq);
