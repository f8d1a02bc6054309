/**
 * Breadth-first search on several cores, level by level. Rebuilding worlds is what costs (a world cannot be
 * cloned, so every choice past the first at a state rebuilds it and replays the prefix), and rebuilds of
 * different states are independent: worker threads (explore-worker.ts) expand a level's states and answer
 * with plain data; the main thread keeps the state table, liveness graph, coverage, outcomes and violations,
 * and merges the answers in the single-threaded order (by parent index, then choice). So the states' numbers,
 * the transitions, the verdict and the first, shortest counterexample are those of `breadthFirst` whatever
 * the workers' timing; only the rebuild counts differ.
 *
 * Per level: (1) expand every state: all its choices, or the one partial-order reduction picks; (2) the cycle
 * proviso wants the other choices of a reduced state whose one successor was already known when merged — in
 * the table, or found earlier in the level — and those are expanded in further parallel rounds (an earlier
 * state's other choices can make a later successor known, so rounds repeat until none is missing; usually
 * one); (3) merge. Work goes out in chunks as workers finish, a worker first getting the states whose worlds
 * it parked (the world of the very step that found the state, as the single-threaded search uses).
 */
import type { ExploreOptions } from './explore.js';
import type { CoverageItem, Expansion, RestItem, StepFacts, WorkerInit, WorkReply } from './explore-worker.js';
import { OUTCOMES_MAX, type Explorer } from './explorer.js';
import { WorkerPool } from './parallel-pool.js';
import type { Violation } from './property.js';
import { PARKED_WORLDS_MAX } from './search.js';
import { StateTable } from './state-table.js';
import { World } from './world.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';
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
  const functions = 'are functions, which cannot be sent to worker threads; use workers: 1';
  if (options.invariants?.length) refuse(`user invariants ${functions}`);
  if (options.properties?.length) refuse(`extra properties ${functions}`);
  if (options.engine) {
    // An engine variant holds provide()d actions: a worker resolves it again from the mutant table by name.
    const { MUTANTS } = await import('./mutants.js');
    if (MUTANTS.find((m) => m.name === options.mutant)?.engine !== options.engine) {
      refuse(`a broken engine holds functions, which cannot be sent to worker threads; pass a mutant of src/check/mutants.ts as { engine, mutant: name }`);
    }
  }
}

/** Chunks of work per request: at most this many states (fewer as a round runs out, to end it evenly). */
const CHUNK_MAX = 64;

/** A state to expand (with the ticket of its parked world, or -1). */
interface Task {
  index: number;
  ticket: number;
}

/** A worker's expansion of a state, and which worker answered (its coverage ids and parked worlds are its own). */
interface Answer {
  expansion: Expansion;
  worker: number;
}

/** Where the states of a level came from, by offset in the level: the worker holding the world and its ticket. */
class Origin {
  owner = new Int32Array(64).fill(-1);
  ticket = new Int32Array(64).fill(-1);
  terminal = new Uint8Array(64);

  note(offset: number, owner: number, ticket: number, terminal: boolean): void {
    if (offset >= this.owner.length) {
      const size = offset * 2;
      this.owner = grown(this.owner, size, -1);
      this.ticket = grown(this.ticket, size, -1);
      this.terminal = grown(this.terminal, size, 0);
    }
    this.owner[offset] = owner;
    this.ticket[offset] = ticket;
    this.terminal[offset] = terminal ? 1 : 0;
  }
}

function grown<T extends Int32Array | Uint8Array>(array: T, size: number, fill: number): T {
  const bigger = (array instanceof Int32Array ? new Int32Array(size) : new Uint8Array(size)) as T;
  bigger.fill(fill);
  bigger.set(array);
  return bigger;
}

export async function parallelBreadthFirst(x: Explorer, workers: number): Promise<void> {
  const root = World.build(x.scenario, { ...x.worldOptions, observeCreation: true });
  x.discover(root, -1, 0, 0);
  if (x.check(root, () => [])) return;
  const parkedMax = Math.ceil((x.options.parkedWorlds ?? PARKED_WORLDS_MAX) / workers);
  // A mutant name without an engine only labels traces; the workers run a broken engine only when the main does.
  const mutant = x.options.engine ? (x.options.mutant ?? null) : null;
  const init: WorkerInit = { scenario: x.scenario, por: x.por, symmetry: x.options.symmetry ?? true, mutant, parkedMax };
  const pool = await WorkerPool.open(workers, init);
  try {
    await new Levels(x, pool).run();
  } finally {
    await pool.close();
  }
}

class Levels {
  /** Per worker: coverage id → item, and whether the main sink has it. */
  readonly #items: CoverageItem[][];
  readonly #applied: Uint8Array[];
  #origin = new Origin();
  #start = 0;
  /** The time limit struck during a round: the level is incomplete and is not merged. */
  #timeUp = false;
  /** Per worker, the tickets of the level's states it holds worlds for, until its first request of the level. */
  #keep: (number[] | undefined)[] = [];

  constructor(
    readonly x: Explorer,
    readonly pool: WorkerPool,
  ) {
    this.#items = Array.from({ length: pool.size }, () => []);
    this.#applied = Array.from({ length: pool.size }, () => new Uint8Array(0));
  }

  async run(): Promise<void> {
    const x = this.x;
    while (this.#start < x.table.size) {
      const start = this.#start;
      const end = x.table.size;
      x.frontier = end - start;
      if (await x.pause()) return;
      if (x.table.depth[start]! >= x.maxDepth) {
        x.bound ??= 'maxDepth';
        return;
      }
      const next = new Origin();
      const expansions = await this.#expand(start, end);
      const rests = this.#timeUp ? null : await this.#rests(start, end, expansions);
      if (!rests || this.#timeUp || (await this.#merge(start, end, expansions, rests, next))) return;
      this.#origin = next;
      this.#start = end;
    }
  }

  /** Round 1: every state of the level that can step, each preferably to the worker holding its world. */
  #expand(start: number, end: number): Promise<Map<number, Answer>> {
    const own: Task[][] = Array.from({ length: this.pool.size }, () => []);
    const loose: Task[] = [];
    for (let s = start; s < end; s++) {
      if (this.#origin.terminal[s - start]) continue;
      const owner = this.#origin.owner[s - start]!;
      if (owner >= 0) own[owner]!.push({ index: s, ticket: this.#origin.ticket[s - start]! });
      else loose.push({ index: s, ticket: -1 });
    }
    this.#keep = own.map((list) => list.map((task) => task.ticket));
    return this.#round(this.x.table.depth[start]!, own, loose, null);
  }

  /**
   * Round 2: the proviso's other choices, for every reduced state whose one successor will be known when it is
   * merged: in the table, or found earlier in the level (by an earlier state's steps, including the other
   * choices of earlier states that need them — hence rounds until nothing more is wanted, usually one).
   */
  async #rests(start: number, end: number, expansions: Map<number, Answer>): Promise<Map<number, Answer>> {
    const rests = new Map<number, Answer>();
    for (;;) {
      const wanted = this.#wanted(start, end, expansions, rests);
      if (wanted.length === 0 || this.#timeUp) return rests;
      const own = Array.from({ length: this.pool.size }, () => []);
      for (const [index, answer] of await this.#round(this.x.table.depth[start]!, own, wanted, expansions)) rests.set(index, answer);
    }
  }

  /**
   * Hand out a round's tasks in chunks as workers finish (a worker slowed by the machine's other load then
   * takes fewer): first the worker's own tasks, then loose ones, then another worker's (whose parked world is
   * then left unused). With `expansions`, the tasks are the other choices of those reduced states.
   */
  async #round(level: number, own: Task[][], loose: Task[], expansions: Map<number, Answer> | null): Promise<Map<number, Answer>> {
    const n = this.pool.size;
    let remaining = loose.length + own.reduce((sum, list) => sum + list.length, 0);
    const take = (w: number): Task[] => {
      if (this.#timeUp) return [];
      const size = Math.max(1, Math.min(CHUNK_MAX, Math.ceil(remaining / (4 * n))));
      let chunk = own[w]!.splice(0, size);
      if (chunk.length === 0) chunk = loose.splice(0, size);
      if (chunk.length === 0) {
        const victim = own.reduce((best, list, i) => (list.length > own[best]!.length ? i : best), 0);
        chunk = own[victim]!.splice(-size, size).map((task) => ({ index: task.index, ticket: -1 }));
      }
      remaining -= chunk.length;
      return chunk;
    };
    const answers = new Map<number, Answer>();
    const table = this.x.table;
    // Two requests in flight per worker, so it starts the next chunk while the main thread reads the last.
    await Promise.all(
      Array.from({ length: 2 * n }, async (_, lane) => {
        const worker = lane % n;
        for (let chunk = take(worker); chunk.length > 0; chunk = take(worker)) {
          // A worker keeps only the parked worlds of the states it owns; its first request of the level says which.
          const keep = this.#keep[worker];
          this.#keep[worker] = undefined;
          const header = { level, ...(keep ? { keep } : {}) };
          const reply = expansions
            ? await this.#ask(worker, { ...header, kind: 'rest', items: chunk.map((t) => this.#restItem(expansions.get(t.index)!.expansion)) })
            : await this.#ask(worker, { ...header, kind: 'expand', items: chunk.map((t) => ({ index: t.index, prefix: table.prefix(t.index), ticket: t.ticket })) });
          for (const expansion of reply.expansions) answers.set(expansion.index, { expansion, worker });
          if (await this.x.pause()) this.#timeUp = true; // progress lines, and the time limit
        }
      }),
    );
    return answers;
  }

  /** The reduced states that need their other choices and do not have them yet, replaying the merge's order. */
  #wanted(start: number, end: number, expansions: Map<number, Answer>, rests: Map<number, Answer>): Task[] {
    const level = new StateTable();
    const add = (steps: readonly StepFacts[]) => {
      for (const step of steps) if (level.get(step.hi, step.lo) < 0) level.add(step.hi, step.lo, 0, 0, 0);
    };
    const wanted: Task[] = [];
    for (let s = start; s < end; s++) {
      const expansion = expansions.get(s)?.expansion;
      if (!expansion) continue;
      const first = expansion.steps[0];
      const known = expansion.reduced && first !== undefined && (this.x.table.get(first.hi, first.lo) >= 0 || level.get(first.hi, first.lo) >= 0);
      add(expansion.steps);
      if (!known) continue;
      const rest = rests.get(s);
      if (rest) add(rest.expansion.steps);
      else wanted.push({ index: s, ticket: -1 });
    }
    return wanted;
  }

  /** Round 3: add the level's transitions in the single-threaded order; true when the search stops. */
  async #merge(start: number, end: number, expansions: Map<number, Answer>, rests: Map<number, Answer>, next: Origin): Promise<boolean> {
    const x = this.x;
    for (let s = start; s < end; s++) {
      const found = expansions.get(s);
      if (!found) continue;
      x.frontier = x.table.size - s;
      if (await x.pause()) return true;
      const { expansion } = found;
      const child = this.#take(s, expansion.steps, found.worker, end, next);
      if (child === null) return true;
      // Proviso: a reduced state whose one successor is already known is expanded fully.
      if (expansion.reduced && child < 0) {
        const rest = rests.get(s);
        if (!rest) throw new Error(`parallel: state ${s} needs its other choices, which round 2 did not expand`);
        if (this.#take(s, rest.expansion.steps, rest.worker, end, next) === null) return true;
      }
    }
    return false;
  }

  /** Accept a state's steps in order; null when the search stops, else what the first step found. */
  #take(parent: number, steps: readonly StepFacts[], worker: number, end: number, next: Origin): number | null {
    const x = this.x;
    const depth = x.table.depth[parent]! + 1;
    let first = 0;
    for (let k = 0; k < steps.length; k++) {
      const step = steps[k]!;
      const child = this.#accept(parent, step, worker, depth);
      if (child === null) return null;
      if (k === 0) first = child;
      if (child >= 0) next.note(child - end, step.ticket >= 0 ? worker : -1, step.ticket, step.terminal);
      if (x.table.size >= x.maxStates) {
        x.bound = 'maxStates';
        return null;
      }
    }
    return first;
  }

  /**
   * Explorer.discover and Explorer.check for a transition taken in a worker: the child's index (new),
   * -1 - index (known), or null when a property failed and the search stops.
   */
  #accept(parent: number, step: StepFacts, worker: number, depth: number): number | null {
    const x = this.x;
    x.transitions++;
    this.#cover(worker, step.coverage);
    const known = x.table.get(step.hi, step.lo);
    let violation: Violation | null = step.violation;
    let result: number;
    if (known >= 0) {
      x.liveness?.addEdge(parent, known, step.choice, step.slot);
      result = -1 - known;
    } else {
      result = x.table.add(step.hi, step.lo, parent, step.choice, depth);
      x.liveness?.addState(result, step.hot, step.enabled);
      x.liveness?.addEdge(parent, result, step.choice, step.slot);
      if (depth > x.depthReached) x.depthReached = depth;
      if (step.outcome !== null && x.outcomes.size < OUTCOMES_MAX) x.outcomes.add(step.outcome);
      violation ??= step.terminalViolation;
    }
    if (violation && !x.violation) {
      x.violation = { violation, choices: step.path ?? [...x.table.prefix(parent), step.choice] };
      return null;
    }
    return result;
  }

  #cover(worker: number, ids: readonly number[]): void {
    const applied = this.#applied[worker]!;
    for (const id of ids) {
      if (applied[id]) continue;
      applied[id] = 1;
      const item = this.#items[worker]![id]!;
      if ('rendezvousType' in item) this.x.coverage.noteRendezvousType(item.rendezvousType);
      else this.x.coverage.onEvent(item as unknown as VmTraceEvent);
    }
  }

  #restItem(expansion: Expansion): RestItem {
    return { index: expansion.index, prefix: this.x.table.prefix(expansion.index), skip: expansion.steps[0]!.choice, all: expansion.all };
  }

  /** One request to a worker; its counts and new coverage ids are taken in here. */
  async #ask(worker: number, request: Parameters<WorkerPool['request']>[1]): Promise<WorkReply> {
    const reply = await this.pool.request(worker, request);
    this.x.rebuilds += reply.rebuilds;
    this.x.replayedSteps += reply.replayedSteps;
    const items = this.#items[worker]!;
    for (const [id, item] of reply.coverage) items[id] = item;
    if (items.length > this.#applied[worker]!.length) {
      const bigger = new Uint8Array(items.length * 2);
      bigger.set(this.#applied[worker]!);
      this.#applied[worker] = bigger;
    }
    return reply;
  }
}
