/**
 * Breadth-first search on several cores, level by level. Frontier states are packed worlds (world-pack.ts):
 * the main thread keeps the state table, liveness graph, coverage, outcomes and violations and a packed world
 * per frontier state; worker threads (explore-worker.ts, parallel-pool.ts) take states in small chunks as they finish the last
 * (whichever worker is free: any worker expands any state, no world is tied to the thread that found it),
 * unpack, step every choice and answer with plain data per transition and the children's packed worlds. No
 * world is rebuilt or replayed. The main thread merges the answers in the single-threaded order (by parent
 * index, then choice), so the states' numbers, the transitions, the verdict and the first, shortest
 * counterexample are those of `breadthFirst` whatever the workers' timing.
 *
 * Per level: (1) expand every state: all its choices, or the one partial-order reduction picks; (2) the cycle
 * proviso (proviso.ts) wants the other choices of a reduced state whose one step is a call's and whose successor
 * was already known when merged — in the table, or found earlier in the level — and those are expanded in further
 * parallel rounds (an earlier state's other choices can make a later successor known, so rounds repeat until none
 * is missing; usually one); (3) merge: a new state keeps the packed world of the step that discovered it, for the
 * next level. The merge applies the proviso in the single-threaded order; a reduced state whose step closes a
 * cycle of reduced steps (none in the suites) has its other choices expanded then, in a round of its own.
 *
 * Without partial-order reduction the workers first search on a shared key table (shared-search.ts): each expands
 * what it found, with no barrier and no chunks handed out. Where that search cannot give a path (a violation, a
 * lasso, a bound) the explorer runs again here, on the pipeline (parallel-pipeline.ts), as `sharedTable: false` does.
 */
import { crossing } from './crossing.js';
import type { ExploreOptions } from './explore.js';
import type { ExpandItem, Expansion, RestItem, StepFacts, WorkerInit, WorkTimes } from './explore-worker.js';
import type { Explorer } from './explorer.js';
import { Merger, type Place } from './parallel-merge.js';
import { Pipeline } from './parallel-pipeline.js';
import { SharedSearch, type SharedEnd } from './shared-search.js';
import { WorkerPool } from './parallel-pool.js';
import { CycleProviso } from './proviso.js';
import { PARKED_WORLDS_MAX } from './search.js';
import { StateTable } from './state-table.js';
import { threadCpuUs } from './thread-cpu.js';
import { World } from './world.js';
import { packWorld } from './world-pack.js';
import { VBoxError, VERR_INVALID_PARAMETER } from '../status.js';

/** Refuse options that cannot reach a worker thread: a VBoxError VERR_INVALID_PARAMETER whose message says why. */
export async function checkParallelOptions(options: ExploreOptions): Promise<void> {
  const workers = options.workers ?? 1;
  const refuse = (why: string): never => {
    throw new VBoxError(VERR_INVALID_PARAMETER, `explore: workers: ${workers}: ${why}`);
  };
  if (!Number.isInteger(workers) || workers < 1) refuse('must be an integer ≥ 1');
  if (workers === 1) return;
  if ((options.mode ?? 'bfs') !== 'bfs') refuse(`several workers run breadth-first search only, not mode '${options.mode}'`);
  const crossed = await crossing(options);
  if ('stays' in crossed && crossed.stays !== 'a broken engine') refuse(`${crossed.stays} are functions, which cannot be sent to worker threads; use workers: 1`);
  if (options.verifyOwnership) refuse('verifyOwnership checks the copies one thread makes; use workers: 1');
  // An engine variant holds provide()d actions: a worker makes it again from the mutant table by name.
  if ('stays' in crossed) {
    refuse(`a broken engine holds functions, which cannot be sent to worker threads; pass a mutant of src/check/mutants.ts as { engine, mutant: name }`);
  }
}

/** A worker's expansion of a state, and which worker answered (its coverage ids are its own). */
interface Answer {
  expansion: Expansion;
  worker: number;
}

/**
 * A level's states by offset: where each state's world is — held by a worker under a ticket, or packed here
 * (the root, or a world a worker had no room to hold) — and which are terminal (nothing to expand).
 */
class Level {
  readonly owner: number[] = [];
  readonly ticket: number[] = [];
  readonly world: (Uint8Array | null)[] = [];
  readonly terminal: boolean[] = [];

  note(offset: number, owner: number, ticket: number, world: Uint8Array | null, terminal: boolean): void {
    this.owner[offset] = owner;
    this.ticket[offset] = ticket;
    this.world[offset] = world;
    this.terminal[offset] = terminal;
  }
}

/** Where the time of the workers went, in µs summed over workers (ExploreResult.parallel). */
export interface ParallelTimes extends WorkTimes {
  /** Main thread: merging answers into the table (everything but waiting for workers). */
  mergeUs: number;
  /** States expanded by a worker other than the one whose step found them (the root counts as the main thread's). */
  movedStates: number;
  /** States expanded from the world of a later step into them, held by another worker than the finder (parallel-pipeline.ts). */
  handedOver: number;
  /**
   * CPU µs per worker (cpuUs is their sum) and of the
   * main thread, from the root's build to the end (thread-cpu.ts).
   */
  workerCpuUs: number[];
  mainCpuUs: number;
  /** How the shared-table search ended, where it ran (shared-search.ts): a redo runs the pipeline instead. */
  shared?: SharedEnd;
}

/**
 * `workers` worker threads expanding beside a main thread that only merges. Worker threads expand cheaper: they
 * get a young generation large enough for the worlds they hold (parallel-pool.ts), the main thread cannot, so even
 * on 2 cores a merging main thread (~10 % busy) beside 2 worker threads beat the main thread expanding beside one
 * (figures: docs/model-checking-internals.md, "Later in stop 15").
 */
export async function parallelBreadthFirst(x: Explorer, workers: number): Promise<ParallelTimes> {
  const cpu0 = threadCpuUs();
  const times: ParallelTimes = { unpackUs: 0, copyUs: 0, stepUs: 0, packUs: 0, packs: 0, cpuUs: 0, handleCpuUs: 0, copies: 0, spares: 0, mergeUs: 0, movedStates: 0, handedOver: 0, workerCpuUs: [], mainCpuUs: 0 };
  try {
    await search(x, workers, times);
  } finally {
    times.mainCpuUs = threadCpuUs() - cpu0;
  }
  return times;
}

async function search(x: Explorer, workers: number, times: ParallelTimes): Promise<void> {
  const root = World.build(x.scenario, { ...x.worldOptions, observeCreation: true });
  x.discover(root, -1, 0, 0);
  if (x.check(root, () => [])) return;
  // The workers run a broken engine only when the main does (checkParallelOptions: a named mutant's).
  const mutant = x.options.engine ? (await import('./mutants.js')).engineCrossing(x.options)! : null;
  // parkedWorlds per worker, as for the one thread (each holds them in its own heap): a share of it (parkedWorlds / n
  // before stop 17) filled at the widest levels, and children then travelled packed (race N = 6, 2 workers: ~350 packs).
  const heldMax = x.options.parkedWorlds ?? PARKED_WORLDS_MAX;
  const init: WorkerInit = { scenario: x.scenario, por: x.por, symmetry: x.options.symmetry ?? true, stateKey: x.options.stateKey, mutant, heldMax };
  const pool = await WorkerPool.open(workers, init);
  const world = root.terminal ? null : packWorld(root);
  try {
    if (!x.por && x.options.sharedTable !== false) {
      // Workers that decide what is new themselves (shared-search.ts); where a path is wanted, the pipeline again.
      times.shared = await new SharedSearch(x, pool, times).run(world);
      return;
    }
    if (!x.por) {
      // No proviso rounds: no barrier between levels (parallel-pipeline.ts).
      const pipeline = new Pipeline(x, pool, times);
      pipeline.place(0, -1, -1, world, root.terminal, undefined);
      await pipeline.run();
      return;
    }
    const first = new Level();
    first.note(0, -1, -1, world, root.terminal);
    await new Levels(x, pool, times).run(first);
  } finally {
    await pool.close();
  }
}

class Levels extends Merger {
  #start = 0;
  /** The time limit struck during a round: the level is incomplete and is not merged. */
  #timeUp = false;
  readonly #proviso = new CycleProviso();

  async run(first: Level): Promise<void> {
    const x = this.x;
    let level = first;
    while (this.#start < x.table.size) {
      const start = this.#start;
      const end = x.table.size;
      x.frontier = end - start;
      if (await x.pause()) return;
      if (x.table.depth[start]! >= x.maxDepth) {
        x.bound ??= 'maxDepth';
        return;
      }
      const next = new Level();
      const expansions = await this.#expand(start, end, level);
      const rests = this.#timeUp ? null : await this.#rests(start, end, level, expansions);
      if (!rests || this.#timeUp || (await this.#merge(start, end, expansions, rests, level, next))) return;
      level = next;
      this.#start = end;
    }
  }

  /** Round 1: every state of the level that can step, each preferably by the worker holding its world. */
  #expand(start: number, end: number, level: Level): Promise<Map<number, Answer>> {
    const own: number[][] = Array.from({ length: this.pool.size }, () => []);
    const loose: number[] = [];
    for (let s = start; s < end; s++) {
      const at = s - start;
      if (level.terminal[at]) continue;
      if (level.ticket[at]! >= 0) own[level.owner[at]!]!.push(s);
      else loose.push(s);
    }
    return this.#round(start, own, loose, level, null);
  }

  /**
   * Round 2: the proviso's other choices, for every reduced state whose one step is a call's and whose successor
   * will be known when it is merged: in the table, or found earlier in the level (by an earlier state's steps,
   * including the other choices of earlier states that need them — hence rounds until nothing more is wanted,
   * usually one); or (`only`) for one state the merge found closing a cycle. The worker that expanded a reduced
   * state kept its world: it takes the rest.
   */
  async #rests(start: number, end: number, level: Level, expansions: Map<number, Answer>, rests = new Map<number, Answer>(), only?: number): Promise<Map<number, Answer>> {
    for (;;) {
      const wanted = only === undefined ? this.#wanted(start, end, expansions, rests) : rests.has(only) ? [] : [only];
      if (wanted.length === 0 || this.#timeUp) return rests;
      const own: number[][] = Array.from({ length: this.pool.size }, () => []);
      const loose: number[] = [];
      for (const s of wanted) {
        const answer = expansions.get(s)!;
        if (answer.expansion.rest!.ticket >= 0) own[answer.worker]!.push(s);
        else loose.push(s);
      }
      for (const [index, answer] of await this.#round(start, own, loose, level, expansions)) rests.set(index, answer);
    }
  }

  /**
   * Hand out a round's states in chunks as workers ask (a worker slowed by the machine's other load then takes
   * fewer; chunks shrink as the round runs out, to end it evenly): first the states whose worlds the worker
   * holds, then packed ones, then — any worker expands any state — another worker's, asked of it packed. With
   * `expansions`, the tasks are the other choices of those reduced states (never moved: each is one state).
   */
  async #round(start: number, own: number[][], loose: number[], level: Level, expansions: Map<number, Answer> | null): Promise<Map<number, Answer>> {
    const n = this.pool.size;
    const depth = this.x.table.depth[start]!;
    let remaining = loose.length + own.reduce((sum, list) => sum + list.length, 0);
    const take = async (w: number): Promise<(ExpandItem | RestItem)[]> => {
      if (this.#timeUp) return [];
      const size = this.chunkSize(remaining, 4);
      let chunk = own[w]!.splice(0, size);
      let packed: Uint8Array[] | null = null;
      if (chunk.length === 0) chunk = loose.splice(0, size);
      if (chunk.length === 0 && !expansions) {
        const victim = own.reduce((best, list, i) => (list.length > own[best]!.length ? i : best), 0);
        chunk = own[victim]!.splice(-size, size);
        if (chunk.length > 0) {
          packed = (await this.ask(victim, { level: depth, kind: 'pack', tickets: chunk.map((s) => level.ticket[s - start]!) })).packed!;
          this.times.movedStates += chunk.length;
        }
      }
      remaining -= chunk.length;
      return chunk.map((index, i) => {
        const at = index - start;
        const held = packed === null && own[w] !== undefined && (expansions ? expansions.get(index)!.expansion.rest!.ticket >= 0 : level.ticket[at]! >= 0);
        if (!expansions) return { index, ticket: held ? level.ticket[at]! : -1, world: packed ? packed[i]! : held ? null : level.world[at]! };
        const { expansion } = expansions.get(index)!;
        return { index, ticket: expansion.rest!.ticket, world: expansion.rest!.world, skip: expansion.steps[0]!.choice, all: expansion.all };
      });
    };
    const answers = new Map<number, Answer>();
    // Two requests in flight per worker, so it starts the next chunk while the main thread reads the last.
    await Promise.all(
      Array.from({ length: 2 * n }, async (_, lane) => {
        const worker = lane % n;
        for (let items = await take(worker); items.length > 0; items = await take(worker)) {
          const reply = expansions
            ? await this.ask(worker, { level: depth, kind: 'rest', items: items as RestItem[] })
            : await this.ask(worker, { level: depth, kind: 'expand', items: items as ExpandItem[] });
          for (const expansion of reply.expansions) answers.set(expansion.index, { expansion, worker });
          if (await this.x.pause()) this.#timeUp = true; // progress lines, and the time limit
        }
      }),
    );
    return answers;
  }

  /** The reduced states that need their other choices and do not have them yet, replaying the merge's order. */
  #wanted(start: number, end: number, expansions: Map<number, Answer>, rests: Map<number, Answer>): number[] {
    const level = new StateTable();
    const add = (steps: readonly StepFacts[]) => {
      for (const step of steps) if (level.get(step.hi, step.lo) < 0) level.add(step.hi, step.lo, 0, 0, 0);
    };
    const wanted: number[] = [];
    for (let s = start; s < end; s++) {
      const expansion = expansions.get(s)?.expansion;
      if (!expansion) continue;
      const first = expansion.steps[0];
      const call = first !== undefined && CycleProviso.callStep(first.slot, this.x.scenario.cpus);
      const known = expansion.reduced && call && (this.x.table.get(first.hi, first.lo) >= 0 || level.get(first.hi, first.lo) >= 0);
      add(expansion.steps);
      if (!known) continue;
      const rest = rests.get(s);
      if (rest) add(rest.expansion.steps);
      else wanted.push(s);
    }
    return wanted;
  }

  /** Round 3: add the level's transitions in the single-threaded order; true when the search stops. */
  async #merge(start: number, end: number, expansions: Map<number, Answer>, rests: Map<number, Answer>, level: Level, next: Level): Promise<boolean> {
    const x = this.x;
    let t0 = x.clock.nowNs();
    const place: Place = (child, owner, ticket, world, terminal) => next.note(child - end, owner, ticket, world, terminal);
    try {
      for (let s = start; s < end; s++) {
        const found = expansions.get(s);
        if (!found?.expansion.reduced) this.#proviso.expandedFully(s);
        if (!found) continue;
        x.frontier = x.table.size - s;
        if (s % 256 === 0) {
          this.times.mergeUs += (x.clock.nowNs() - t0) / 1000;
          if (await x.pause()) return true;
          t0 = x.clock.nowNs();
        }
        const { expansion } = found;
        const child = this.take(s, expansion.steps, found.worker, place);
        if (child === null) return true;
        // Proviso: a reduced state whose one step closes a cycle of reduced steps, or a call's into a known state.
        const call = expansion.reduced && CycleProviso.callStep(expansion.steps[0]!.slot, x.scenario.cpus);
        if (expansion.reduced && this.#proviso.reducedStep(s, child < 0 ? -1 - child : child, child < 0, call)) {
          const rest = (await this.#rests(start, end, level, expansions, rests, s)).get(s);
          if (!rest) return true; // the time limit struck
          if (this.take(s, rest.expansion.steps, rest.worker, place) === null) return true;
        }
      }
      return false;
    } finally {
      this.times.mergeUs += (x.clock.nowNs() - t0) / 1000;
    }
  }
}
