/**
 * A worker thread's coverage, by id (explore-worker.ts): each engine event's kind and edge, or rendezvous type, gets
 * an id on its first use, sent once with the reply that first uses it; a step lists the ids it covered.
 */
import { CoverageSink, coversKind } from './coverage.js';
import { at } from './map-at.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';

/** What a coverage id stands for: an engine event's kind and edge, or a rendezvous type seen on the direct path. */
export type CoverageItem = { kind: string; from: string; to: string; flags?: number } | { rendezvousType: string };

/**
 * Coverage by transition: the main thread adds a transition's items only when it accepts the transition, so a
 * run stopped by a violation covers exactly what the single-threaded search covered.
 */
export class CoverageRecorder extends CoverageSink {
  /** Ids by kind, from, to and flags (nested maps: this runs for every event of every step, so no key string is built). */
  readonly #ids = new Map<string, Map<unknown, Map<unknown, Map<number | undefined, number>>>>();
  readonly #types = new Map<string, number>();
  #next = 0;
  fresh: [number, CoverageItem][] = [];
  current: number[] | null = null;

  override onEvent(event: VmTraceEvent): void {
    const e = event as { kind: string; from?: unknown; to?: unknown; flags?: unknown };
    if (e.from === undefined || e.to === undefined || !this.current || !coversKind(event.kind)) return;
    const flags = typeof e.flags === 'number' ? e.flags : undefined;
    const froms = at(this.#ids, e.kind, () => new Map());
    const ids = at(at(froms, e.from, () => new Map()), e.to, () => new Map<number | undefined, number>());
    // The item is made only for an id's first use.
    this.#note(at(ids, flags, () => this.#fresh({ kind: e.kind, from: String(e.from), to: String(e.to), ...(flags !== undefined ? { flags } : {}) })));
  }

  override noteRendezvousType(type: string): void {
    if (this.current) this.#note(at(this.#types, type, () => this.#fresh({ rendezvousType: type })));
  }

  #fresh(item: CoverageItem): number {
    const id = this.#next++;
    this.fresh.push([id, item]);
    return id;
  }

  #note(id: number): void {
    if (!this.current!.includes(id)) this.current!.push(id);
  }
}

