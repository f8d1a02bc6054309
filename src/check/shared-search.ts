/**
 * Multi-core breadth-first search on a shared key table, for searches without partial-order reduction. The
 * workers decide what is new among themselves (shared-table.ts) and each expands the states it found, as
 * soon as it found them, with no barrier and no round trip (shared-expander.ts); the main thread only merges
 * their batches into the table in the single-threaded order (Merger: parent by parent, choice by choice), passes
 * on the states one worker packed for another that ran out, and tells everyone to stop when all are idle.
 *
 * The merge gives the states, transitions, depth, coverage, outcomes and liveness graph of `breadthFirst`: every
 * state is expanded once, by whichever worker added its key first, and the merge takes each state's expansion
 * when its turn comes. What it cannot give the same way is a path: a state's choice indices are those of the
 * world that expanded it, and two worlds of one key may number their actors differently (parked.ts), so a
 * counterexample read off this table might not replay. So where a path is wanted — a violation, a lasso, a run
 * cut short by maxStates or maxDepth before the whole of it was expanded, outcomes past their cap — this search
 * says `redo` and the explorer runs the pipeline instead (parallel-pipeline.ts), whose paths are exact.
 * A time limit ends it with the states merged so far (a prefix in the single-threaded order, so fewer than the
 * workers found: the merge waits for each state's expansion in turn).
 */
import type { Expansion } from './explore-worker.js';
import { OUTCOMES_MAX } from './explorer.js';
import { Merger, type Place } from './parallel-merge.js';
import { decodeExpansions } from './parallel-wire.js';
import { sharedControl, stopShared, type SharedBatch, type SharedStop } from './shared-expander.js';
import { SharedKeyTable } from './shared-table.js';

/** How the shared search ended: `complete` (its result stands, bounded by time or not) or `redo`, and why. */
export type SharedEnd = { end: 'complete' } | { end: 'redo'; why: SharedStop | 'path' | 'incomplete' | 'outcomes' };

interface Worker {
  idle: boolean;
  /** Gifts forwarded to it (its idle counts once it heard them all). */
  given: number;
  done: boolean;
}

export class SharedSearch extends Merger {
  readonly #table: SharedKeyTable;
  readonly #control: SharedArrayBuffer;
  /** Per state index: its id in the shared table, and whether it is terminal (nothing to expand). */
  readonly #id: number[] = [];
  readonly #terminal: boolean[] = [];
  /** Expansions by their state's id in the shared table, waiting for the merge to reach it. */
  readonly #waiting = new Map<number, { expansion: Expansion; worker: number }>();
  readonly #workers: Worker[];
  #cursor = 0;
  #stop: SharedStop | null = null;
  /** The merge stopped at a violation or at maxStates. */
  #ended = false;
  #stopping = false;
  #timeUp = false;
  #finished: (() => void) | null = null;
  #failure: Error | null = null;

  constructor(...args: ConstructorParameters<typeof Merger>) {
    super(...args);
    this.#table = SharedKeyTable.create();
    this.#control = sharedControl(this.pool.size);
    this.#workers = Array.from({ length: this.pool.size }, () => ({ idle: true, given: 0, done: false }));
  }

  readonly place: Place = (child, _owner, ticket, _world, terminal) => {
    this.#id[child] = ticket;
    this.#terminal[child] = terminal;
  };

  /** Search from the root (state 0, already in the table; `world` packed, or null when terminal). */
  async run(world: Uint8Array | null): Promise<SharedEnd> {
    const x = this.x;
    const keys = x.table.keys();
    this.#id[0] = this.#table.insert(keys.hi[0]!, keys.lo[0]!);
    this.#terminal[0] = world === null;
    if (world === null) return { end: 'complete' };
    const done = new Promise<void>((resolve) => (this.#finished = resolve));
    const unlisten = this.pool.listen(
      (worker, batch) => this.#heard(worker, batch),
      (error) => {
        this.#failure ??= error;
        this.#finished?.();
      },
    );
    const held = x.options.parkedWorlds !== undefined ? { worlds: x.options.parkedWorlds } : { bytes: x.options.keptWorldBytes ?? null };
    try {
      for (let i = 0; i < this.pool.size; i++) {
        const root = i === 0 ? { id: this.#id[0]!, depth: 0, world } : null;
        this.#workers[i]!.idle = i !== 0;
        this.pool.post(i, { kind: 'shared-start', index: i, table: this.#table.buffer, control: this.#control, root, maxDepth: x.maxDepth, held });
      }
      await done;
    } finally {
      unlisten();
    }
    if (this.#failure) throw this.#failure;
    this.#merge();
    if (this.#stop) return { end: 'redo', why: this.#stop };
    if (this.#ended) return { end: 'redo', why: 'path' };
    if (this.#timeUp) return { end: 'complete' };
    if (this.#cursor < x.table.size) return { end: 'redo', why: 'incomplete' };
    if (x.outcomes.size >= OUTCOMES_MAX) return { end: 'redo', why: 'outcomes' };
    return { end: 'complete' };
  }

  #heard(worker: number, batch: SharedBatch): void {
    this.heard(worker, batch);
    for (const expansion of decodeExpansions(batch.wire)) this.#waiting.set(expansion.index, { expansion, worker });
    const w = this.#workers[worker]!;
    w.idle = batch.idle && batch.taken === w.given;
    w.done ||= batch.done;
    if (batch.gift) this.#forward(batch.gift);
    if (batch.stop) this.#stop ??= batch.stop;
    this.#merge();
    if (this.#stop || this.#ended) this.#stopAll();
    if (this.#workers.every((v) => v.done)) return this.#finished?.();
    // Everyone out of states and every gift heard: nothing is left anywhere (a gift is claimed by a busy worker).
    if (this.#workers.every((v) => v.idle)) this.#stopAll();
    if (this.x.pauseDue(0)) void this.x.pause().then((up) => up && ((this.#timeUp = true), this.#stopAll()));
  }

  /** Take every expansion whose turn has come, in the single-threaded order (breadthFirst's loop). */
  #merge(): void {
    const x = this.x;
    const start = x.clock.nowNs();
    while (this.#cursor < x.table.size && !this.#ended) {
      const head = this.#cursor;
      if (!this.#terminal[head] && x.table.depth[head]! >= x.maxDepth) x.bound ??= 'maxDepth';
      else if (!this.#terminal[head]) {
        const id = this.#id[head]!;
        const got = this.#waiting.get(id);
        if (!got) break;
        this.#waiting.delete(id);
        if (this.take(head, got.expansion.steps, got.worker, this.place) === null) this.#ended = true;
      }
      this.#cursor++;
    }
    x.frontier = x.table.size - this.#cursor;
    this.times.mergeUs += (x.clock.nowNs() - start) / 1000;
  }

  #forward(gift: NonNullable<SharedBatch['gift']>): void {
    const w = this.#workers[gift.to]!;
    w.idle = false;
    w.given++;
    this.times.movedStates += gift.items.length;
    this.pool.post(gift.to, { kind: 'shared-take', items: gift.items }, gift.items.map((item) => item.world.buffer as ArrayBuffer));
  }

  #stopAll(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    stopShared(this.#control);
    for (let i = 0; i < this.pool.size; i++) this.pool.post(i, { kind: 'shared-stop' });
  }
}
