/**
 * Multi-core breadth-first search without a barrier between levels, for searches without partial-order
 * reduction (whose cycle proviso needs a whole level's answers before the merge: parallel.ts). The main thread
 * merges answers in the single-threaded order (state by state, as each state's answer and every earlier one
 * are in), and a merged state's new children are handed out at once: workers start on the next level while
 * the last chunks of this one are still out. The states' numbers, transitions, verdict, first counterexample
 * and coverage are those of `breadthFirst`, as with the levels.
 *
 * A worker's requests must come in level order (it lets go of the worlds held for a level when it sees the
 * next: held-worlds.ts, and keeps a step's world only for its earliest step to each key: explore-worker.ts), so
 * a worker is handed the next level only once this one is numbered and its share of it handed out, and a request
 * is posted in the same turn its states are picked. Each worker keeps its own level: one that is through with
 * its share starts on its states of the next while the other finishes (moving a state costs about twice what
 * expanding it does, so states move only when a worker has nothing of its own left to do, and none of the level at
 * all: stealing gives it a share of the next level, but never relieves the holder, who packs). The shares are kept
 * even where they can be without moving a world: a state found by one worker and also stepped into by the other
 * is expanded by the one given fewer of its level (handOver).
 */
import type { ExpandItem, Expansion, StepFacts, WorkReply } from './explore-worker.js';
import type { OwnPath } from './kept-worlds.js';
import { Merger, type Place } from './parallel-merge.js';

/**
 * States taken from another worker per request at most (packed there, unpacked here: about twice the cost of
 * expanding them where they are). A worker steals when it has nothing of its own, mostly at a level's end while the
 * merge waits for the other's answers, which then number its own states of the next level: a few states bridge
 * that wait. Race N = 6, two workers, load ~6, alternating in one process: a quarter of the ready states (≤ 64) per
 * steal moved 1,060–1,550 states, process CPU 40–52 µs per transition; 4 moved 420–700, 38–47 µs, walls no longer
 * (2: 240–380 moved, and the thief waits on more pack round trips). docs/model-checking-internals.md, stop 17.
 * Since stop 18 only a worker given none of the level steals (#readyNow): 20–50 moved a run.
 */
export const STEAL_MAX = 4;

/**
 * The states of one depth numbered and not handed out yet: per worker those whose world it holds, and packed ones;
 * and per worker how many of the depth's states it was given to hold (handed out or not).
 */
interface Ready {
  own: number[][];
  loose: number[];
  held: number[];
}

export class Pipeline extends Merger {
  /** Per state: the worker holding its world under a ticket (or -1 and the packed world), and whether it is terminal. */
  readonly #owner: number[] = [];
  readonly #ticket: number[] = [];
  readonly #world: (Uint8Array | null)[] = [];
  readonly #own: (OwnPath | undefined)[] = [];
  readonly #signature: (string | undefined)[] = [];
  /** Per state of the next level, as a bit per worker: a ticketed step of the worker into it was merged (see handOver). */
  readonly #offered: number[] = [];
  readonly #terminal: boolean[] = [];
  readonly #ready = new Map<number, Ready>();
  /** Per worker: the depth being handed out to it (never less: held-worlds.ts). The next state to merge; answers waiting for the earlier ones. */
  readonly #level: number[];
  #cursor = 0;
  readonly #answers = new Map<number, { expansion: Expansion; worker: number }>();
  #merging = false;
  /** Per worker: chunks it is taking from another (packed there): its next level waits for them to be posted. */
  readonly #stealing: number[];
  /** Per worker: requests out. */
  readonly #busy: number[];
  #stopped = false;
  readonly #sleepers: (() => void)[] = [];

  constructor(...args: ConstructorParameters<typeof Merger>) {
    super(...args);
    this.#busy = new Array<number>(this.pool.size).fill(0);
    this.#level = new Array<number>(this.pool.size).fill(0);
    this.#stealing = new Array<number>(this.pool.size).fill(0);
    this.dropping = true;
  }

  readonly place: Place = (child, owner, ticket, world, terminal, own, signature) => {
    this.#owner[child] = owner;
    this.#ticket[child] = ticket;
    this.#world[child] = world;
    this.#own[child] = own;
    this.#signature[child] = signature;
    this.#terminal[child] = terminal;
    if (terminal) return;
    const ready = this.#readyAt(this.x.table.depth[child]!);
    if (ticket >= 0) {
      this.#offered[child] = owner < 31 ? 1 << owner : 0;
      ready.own[owner]!.push(child);
      ready.held[owner]!++;
    } else ready.loose.push(child);
  };

  #readyAt(depth: number): Ready {
    let ready = this.#ready.get(depth);
    const n = this.pool.size;
    if (!ready) this.#ready.set(depth, (ready = { own: Array.from({ length: n }, () => []), loose: [], held: new Array<number>(n).fill(0) }));
    return ready;
  }

  /**
   * Balance without moving worlds: a worker's later step into a state of the next level that another worker found
   * (each state is reached ~3 times) kept its world, and where the finder was given more of that level to hold, the
   * state is handed over to it (its world's own path: this step's), the finder's world let go. Worlds with one key
   * and one choice signature step alike (parked.ts), so the results stay the single-threaded ones (not under
   * symmetry, where worlds of one key may number their vCPUs differently: workers then send no signature, as they
   * keep no spares). Left alone, the
   * worker holding the front of a level finds most of the next (its steps come first in the merge order), and a
   * growing share of every level after; the other then waits, or steals states packed (dearer than expanding them).
   */
  protected override handOver(known: number, parent: number, step: StepFacts, worker: number): boolean {
    const owner = this.#owner[known]!;
    const depth = this.x.table.depth[parent]! + 1;
    if (owner < 0 || owner === worker || worker >= 31 || this.x.table.depth[known] !== depth) return false;
    // Only the worker's first step merged into the state: its world is the worker's earliest step into the key in the
    // merge order, so still held; a later one's may have been replaced by a step of an earlier parent done after it.
    const offered = this.#offered[known] ?? 0;
    this.#offered[known] = offered | (1 << worker);
    if (offered & (1 << worker) || step.signature === undefined || step.signature !== this.#signature[known]) return false;
    const ready = this.#ready.get(depth);
    if (!ready || ready.held[worker]! + 1 >= ready.held[owner]!) return false;
    const from = ready.own[owner]!;
    const at = sortedIndex(from, known);
    if (from[at] !== known) return false; // handed out already
    from.splice(at, 1);
    const to = ready.own[worker]!;
    to.splice(sortedIndex(to, known), 0, known);
    ready.held[owner]!--;
    ready.held[worker]!++;
    this.dropped[owner]!.push(this.#ticket[known]!);
    this.#owner[known] = worker;
    this.#ticket[known] = step.ticket;
    this.#own[known] = { base: parent, tail: [step.choice] };
    this.times.handedOver++;
    return true;
  }

  async run(): Promise<void> {
    await this.#advance();
    const n = this.pool.size;
    let failure: unknown = null;
    // Two lanes per worker thread, so it starts the next chunk while the main thread reads the last.
    const workers = Array.from({ length: 2 * n }, (_, lane) => lane % n);
    const lanes = workers.map((worker) =>
      this.#lane(worker).catch((error: unknown) => {
        failure ??= error;
        this.#stop();
      }),
    );
    await Promise.all(lanes); // every request answered before the pool is let go
    if (failure) throw failure;
  }

  async #lane(worker: number): Promise<void> {
    while (!this.#stopped && this.#cursor < this.x.table.size) {
      // Checked and slept on in one turn, so no wake-up is missed. Another worker's states are taken (packed
      // there, unpacked here: dearer than expanding them there) only when this worker would otherwise idle.
      const ready = this.#readyNow(worker);
      if (!ready || (this.#busy[worker]! > 0 && ready.own[worker]!.length === 0 && ready.loose.length === 0)) {
        await new Promise<void>((wake) => this.#sleepers.push(wake));
        continue;
      }
      this.#busy[worker]!++;
      const reply = await this.#post(worker, ready).finally(() => this.#busy[worker]!--);
      for (const expansion of reply.expansions) this.#answers.set(expansion.index, { expansion, worker });
      if (await this.x.pause()) this.#stop(); // progress lines, and the time limit
      await this.#advance();
    }
  }

  /** Pick a chunk for `worker` and post it in the same turn (see the header). */
  async #post(worker: number, ready: Ready): Promise<WorkReply> {
    const level = this.#level[worker]!;
    const available = ready.loose.length + ready.own.reduce((sum, list) => sum + list.length, 0);
    const size = this.chunkSize(available, 2);
    let chunk = ready.own[worker]!.splice(0, size);
    let held = chunk.length > 0;
    if (chunk.length === 0) chunk = ready.loose.splice(0, size);
    let packed: Uint8Array[] | null = null;
    let owns: (OwnPath | undefined)[] = [];
    if (chunk.length === 0) {
      const victim = ready.own.reduce((best, list, i) => (list.length > ready.own[best]!.length ? i : best), 0);
      // From the front, as the victim takes its own: the two expand alternate chunks of the level, so each
      // discovers about half the next level (a child is held where its first parent in the merge order was
      // expanded). Taken from the back, the victim kept the front, whose children come first, and so most of
      // the next level: a growing share for the one, and more to move each level (race N = 6: a quarter more).
      chunk = ready.own[victim]!.splice(0, Math.min(size, STEAL_MAX));
      this.#stealing[worker]!++;
      try {
        ({ packed = null, owns = [] } = await this.ask(victim, { level, kind: 'pack', tickets: chunk.map((s) => this.#ticket[s]!) }));
      } finally {
        this.#stealing[worker]!--;
        this.#wake(); // this worker's next level may wait for this steal
      }
      this.times.movedStates += chunk.length;
      held = false;
    }
    const items = chunk.map((index, i): ExpandItem => {
      const world = packed ? packed[i]! : held ? null : this.#world[index]!;
      // A held world's path is the table's unless it was handed over; the worker holding it knows it only then.
      const own = (packed ? owns[i] : undefined) ?? this.#own[index];
      this.#world[index] = null;
      this.#own[index] = undefined;
      return { index, ticket: held ? this.#ticket[index]! : -1, world, ...(own ? { own } : {}) };
    });
    const drop = this.dropped[worker]!.splice(0);
    return this.ask(worker, { level, kind: 'expand', items, ...(drop.length > 0 ? { drop } : {}) });
  }

  /**
   * The states of `worker`'s level, null when none is ready for it. A worker moves to the next level once every
   * state of its own is numbered and its share handed out, without waiting for the others to finish theirs (it is
   * never more than a level ahead: the next level is numbered only as this one is merged): rather than take
   * another's states of the level (packed there, unpacked here), it starts on its own of the next, if it has any.
   */
  #readyNow(worker: number): Ready | null {
    const x = this.x;
    for (;;) {
      const level = this.#level[worker]!;
      if (this.#stopped || level >= x.maxDepth) return null;
      const ready = this.#ready.get(level);
      const mine = (r: Ready | undefined) => r !== undefined && (r.own[worker]!.length > 0 || r.loose.length > 0);
      if (mine(ready)) return ready!;
      const numbered = this.#cursor >= x.table.size || x.table.depth[this.#cursor]! >= level;
      const done = numbered && this.#stealing[worker] === 0;
      // Packing a state costs its holder ~3× expanding it, so stealing never relieves the holder: it only gives the
      // thief a share of the next level (the stolen states' children). A worker steals for that foothold only, while
      // it was given none of the level to hold; handOver keeps the shares after that, at no packing.
      const others = ready !== undefined && ready.held[worker] === 0 && ready.own.some((list) => list.length > 0);
      if (!done || (others && !mine(this.#ready.get(level + 1)))) return others ? ready! : null;
      this.#level[worker]!++;
      if (this.#level.every((l) => l > level)) this.#ready.delete(level);
      if (level + 1 > x.table.depth[x.table.size - 1]!) return null;
    }
  }

  /** Merge the answers in the single-threaded order as far as they are in. */
  async #advance(): Promise<void> {
    if (this.#merging) return;
    this.#merging = true;
    const x = this.x;
    let t0 = x.clock.nowNs();
    try {
      while (!this.#stopped && this.#cursor < x.table.size) {
        const s = this.#cursor;
        if (x.table.depth[s]! >= x.maxDepth) {
          x.bound ??= 'maxDepth';
          this.#stop();
          return;
        }
        if (!this.#terminal[s]) {
          const found = this.#answers.get(s);
          if (!found) break;
          this.#answers.delete(s);
          x.frontier = x.table.size - s;
          if (s % 256 === 0) {
            this.times.mergeUs += (x.clock.nowNs() - t0) / 1000;
            if (await x.pause()) return this.#stop();
            t0 = x.clock.nowNs();
          }
          if (found.expansion.reduced) throw new Error(`parallel: state ${s} was reduced in a search without partial-order reduction`);
          if (this.take(s, found.expansion.steps, found.worker, this.place) === null) return this.#stop();
        }
        this.#cursor++;
      }
    } finally {
      this.times.mergeUs += (x.clock.nowNs() - t0) / 1000;
      this.#merging = false;
      this.#wake();
    }
  }

  #stop(): void {
    this.#stopped = true;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#sleepers.splice(0)) wake();
  }
}

/** Where `value` is or would go in the ascending `list`. */
function sortedIndex(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
