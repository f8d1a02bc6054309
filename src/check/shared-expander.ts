/**
 * A worker thread's side of the shared-table search (shared-search.ts): the worker expands every state whose key
 * it added to the shared table first (shared-table.ts), from the world of the step that added it, in the order
 * it found them, with no barrier and no round trip. What it did goes to the main thread in batches of
 * expansions — the same facts per transition as the pipeline's (explore-worker.ts stepFacts), keyed by the
 * parent's id in the shared table — which the main thread merges in the single-threaded order.
 *
 * Between batches (10 ms of work each) the worker hears the main thread: states given to it, stop. A worker that
 * runs out raises its flag in the control words all share; a busy one looks at them after each expansion and,
 * with two states or more waiting, packs some for it (sent by way of the main thread). A step into a key it holds
 * unexpanded keeps its world as a spare that stands in for a copy, as the one thread's search does
 * (kept-worlds.ts), where the choice signatures agree (parked.ts) and no symmetry renames vCPUs.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import type { CoverageItem } from './coverage-recorder.js';
import type { Expansion, ExploreWorker, StepFacts, WorkTimes } from './explore-worker.js';
import { keptWorldBudget, WorldBudget } from './kept-worlds.js';
import { sameChoices } from './parked.js';
import { encodeExpansions, type WireExpansions } from './parallel-wire.js';
import { SharedKeyTable } from './shared-table.js';
import { RealClock } from '../time/real-clock.js';
import type { World } from './world.js';
import { packWorld } from './world-pack.js';
import { LIVE_PER_PACKED } from './world-snapshot.js';

/** A state this worker is to expand: its id in the shared table, the depth of the path that found it, its world. */
export interface SharedItem {
  id: number;
  depth: number;
  world: Uint8Array;
}

/**
 * The control words all workers share (sharedControl): STOP set when any worker stops the search (a violation,
 * the table full); HUNGRY counts the workers whose flag (HUNGRY + 1 + index) says they ran out of states.
 */
const STOP = 0;
const HUNGRY = 1;

export function sharedControl(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer((HUNGRY + 1 + workers) * 4);
}

/** Set the stop word (the main thread: everyone idle, the time limit). */
export function stopShared(control: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(control), STOP, 1);
}

/** Main → worker: start (worker `index`, the root's state for one of them), states given by another worker, stop. */
export type SharedMessage =
  | { kind: 'shared-start'; index: number; table: SharedArrayBuffer; control: SharedArrayBuffer; root: SharedItem | null; maxDepth: number; held: HeldBudget }
  | { kind: 'shared-take'; items: SharedItem[] }
  | { kind: 'shared-stop' };

/**
 * The live worlds a worker may hold (entries and spares; beyond, new entries are packed): as many bytes as the one
 * thread keeps (ExploreOptions.keptWorldBytes, else keptWorldBudget of this worker's heap), or a count where the
 * caller set ExploreOptions.parkedWorlds.
 */
export type HeldBudget = { bytes: number | null } | { worlds: number };

/** Why a worker stopped the search: the main thread then runs the pipeline instead (shared-search.ts). */
export type SharedStop = 'violation' | 'full';

/** Worker → main: a batch of expansions, whether the worker ran out of states, and a gift for one that did. */
export interface SharedBatch {
  kind: 'shared';
  wire: WireExpansions;
  coverage: [number, CoverageItem][];
  times: WorkTimes;
  idle: boolean;
  /** Gifts taken so far (the main thread believes `idle` once it heard of every gift it forwarded). */
  taken: number;
  stop: SharedStop | null;
  done: boolean;
  gift?: { to: number; items: SharedItem[] };
}

interface Entry {
  id: number;
  depth: number;
  world: World | Uint8Array;
  spares: World[] | null;
}

const clock = new RealClock();
/**
 * Work between batches, ns: the main thread merges as batches come, so they need not be frequent (a worker that
 * runs out is served within an expansion, by the hungry flags, not by the next batch).
 */
const BATCH_NS = 10_000_000;
/** States given to a worker that ran out, at most (packed here, unpacked there: ~3 expansions' worth each). */
const GIFT_MAX = 8;

export class SharedExpander {
  readonly #table: SharedKeyTable;
  readonly #control: Int32Array;
  readonly #queue: Entry[] = [];
  #head = 0;
  /** Entries not expanded yet, by id: a step into one of them may keep its world as a spare. */
  readonly #waiting = new Map<number, Entry>();
  /** Live worlds held (entries and spares): beyond the budget, new entries are packed. */
  #live = 0;
  readonly #fits: (world: World) => boolean;
  readonly #spares: boolean;
  #out: Expansion[] = [];
  /** Why this worker stopped the search, if it did; whether the main thread said stop. */
  #stop: SharedStop | null = null;
  #stopHeard = false;
  #wake: (() => void) | null = null;
  #taken = 0;
  readonly #maxDepth: number;
  readonly #index: number;

  constructor(
    readonly w: ExploreWorker,
    start: Extract<SharedMessage, { kind: 'shared-start' }>,
  ) {
    this.#maxDepth = start.maxDepth;
    this.#index = start.index;
    this.#table = new SharedKeyTable(start.table);
    this.#control = new Int32Array(start.control);
    this.#spares = !w.x.symmetry.active && !w.x.por;
    const held = start.held;
    if ('worlds' in held) this.#fits = () => this.#live < held.worlds;
    else {
      const budget = new WorldBudget(held.bytes ?? keptWorldBudget(getHeapStatistics().heap_size_limit), (world) => Math.ceil(packWorld(world).length * LIVE_PER_PACKED));
      this.#fits = (world) => budget.fits(this.#live, world);
    }
    if (start.root) this.#take([start.root]);
  }

  hear(message: SharedMessage): void {
    if (message.kind === 'shared-take') {
      this.#taken++;
      this.#take(message.items);
    } else if (message.kind === 'shared-stop') this.#stopHeard = true;
    this.#wake?.();
  }

  /** Expand until stopped, a batch at a time; the last batch says done. */
  async run(): Promise<void> {
    while (!this.#stopHeard) {
      const until = clock.nowNs() + BATCH_NS;
      for (let n = 1; this.#head < this.#queue.length && !this.#halted(); n++) {
        this.#expand(this.#next());
        if (Atomics.load(this.#control, HUNGRY) !== 0) this.#feed();
        if ((n & 7) === 0 && clock.nowNs() > until) break;
      }
      const idle = this.#head >= this.#queue.length;
      if (idle && !this.#halted()) this.#hungry();
      this.#post(idle, false);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        if (!idle && !this.#halted()) setImmediate(resolve);
      });
      this.#wake = null;
    }
    this.#post(true, true);
  }

  #halted(): boolean {
    return this.#stop !== null || Atomics.load(this.#control, STOP) !== 0;
  }

  #halt(why: SharedStop): void {
    this.#stop ??= why;
    Atomics.store(this.#control, STOP, 1);
  }

  /** Out of states: raise this worker's flag (the first worker with two to spare feeds it). */
  #hungry(): void {
    if (Atomics.compareExchange(this.#control, HUNGRY + 1 + this.#index, 0, 1) === 0) Atomics.add(this.#control, HUNGRY, 1);
  }

  /** A worker is hungry: with two states or more waiting, claim its flag and give it up to half of them. */
  #feed(): void {
    const flags = this.#control.length - HUNGRY - 1;
    for (let to = 0; to < flags && this.#queue.length - this.#head >= 2; to++) {
      if (to === this.#index || Atomics.compareExchange(this.#control, HUNGRY + 1 + to, 1, 0) !== 1) continue;
      Atomics.sub(this.#control, HUNGRY, 1);
      this.#give(to, GIFT_MAX);
    }
  }

  #next(): Entry {
    const entry = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as unknown as Entry; // let go of the world
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    this.#waiting.delete(entry.id);
    return entry;
  }

  #expand(entry: Entry): void {
    const spares = entry.spares ?? [];
    if (!(entry.world instanceof Uint8Array)) this.#live -= 1 + spares.length;
    if (entry.depth >= this.#maxDepth) return; // the merge finds it missing where the search wanted it
    const world = entry.world instanceof Uint8Array ? this.w.unpack(entry.world) : entry.world;
    const all = world.choiceCount();
    const steps: StepFacts[] = [];
    for (let choice = 0; choice < all; choice++) {
      const spare = choice === all - 1 ? undefined : spares.pop();
      if (spare) this.w.noteSpare();
      const from = choice === all - 1 ? world : (spare ?? this.w.copy(world));
      const facts = this.w.stepFacts(from, choice);
      steps.push(facts);
      if (facts.violation || facts.terminalViolation) this.#halt('violation');
      else if (!facts.terminal) this.#found(facts, from, entry.depth + 1);
    }
    this.#out.push({ index: entry.id, reduced: false, all, steps });
  }

  /** A step into a state that is not terminal: new here (expand it later) or known (a spare, maybe). */
  #found(facts: StepFacts, world: World, depth: number): void {
    const id = this.#table.insert(facts.hi, facts.lo);
    facts.ticket = id < 0 ? -1 - id : id;
    if (id >= 0) {
      this.#enqueue({ id, depth, world, spares: null });
      if (this.#table.full) this.#halt('full');
      return;
    }
    const waiting = this.#spares ? this.#waiting.get(facts.ticket) : undefined;
    if (!waiting || waiting.world instanceof Uint8Array || !this.#fits(world)) return;
    const spares = (waiting.spares ??= []);
    if (spares.length + 1 >= waiting.world.choiceCount() || !sameChoices(waiting.world, world)) return;
    spares.push(world);
    this.#live++;
  }

  #enqueue(entry: Entry): void {
    if (entry.world instanceof Uint8Array) {
      /* packed already (given) */
    } else if (!this.#fits(entry.world)) entry.world = this.w.pack(entry.world);
    else this.#live++;
    this.#queue.push(entry);
    this.#waiting.set(entry.id, entry);
  }

  #take(items: readonly SharedItem[]): void {
    for (const item of items) this.#enqueue({ id: item.id, depth: item.depth, world: item.world, spares: null });
  }

  /** Up to `count` of the states waiting longest (at most half), packed for worker `to`, by way of the main thread. */
  #give(to: number, count: number): void {
    const items: SharedItem[] = [];
    const waiting = this.#queue.length - this.#head;
    for (let i = 0; i < Math.min(count, waiting >> 1); i++) {
      const entry = this.#next();
      const world = entry.world instanceof Uint8Array ? entry.world : this.w.pack(entry.world);
      if (!(entry.world instanceof Uint8Array)) this.#live -= 1 + (entry.spares?.length ?? 0);
      items.push({ id: entry.id, depth: entry.depth, world });
    }
    this.#post(this.#head >= this.#queue.length, false, { to, items });
  }

  #post(idle: boolean, done: boolean, gift?: SharedBatch['gift']): void {
    const wire = encodeExpansions(this.#out);
    this.#out = [];
    const batch: SharedBatch = { kind: 'shared', wire, coverage: this.w.recorder.fresh, times: this.w.batchTimes(), idle, taken: this.#taken, stop: this.#stop, done, ...(gift ? { gift } : {}) };
    this.w.recorder.fresh = [];
    const transfers: ArrayBuffer[] = [wire.numbers.buffer as ArrayBuffer, ...(gift?.items ?? []).map((item) => item.world.buffer as ArrayBuffer)];
    parentPort!.postMessage(batch, transfers);
  }
}
