/**
 * The main thread's side of multi-core breadth-first search, shared by its two schedules (parallel.ts: level
 * by level; parallel-pipeline.ts: without a barrier): asking a worker, and accepting its answers into the
 * table, liveness graph, coverage, outcomes and violations as Explorer.discover and Explorer.check would.
 */
import type { CoverageItem } from './coverage-recorder.js';
import type { StepFacts, WorkReply } from './explore-worker.js';
import { OUTCOMES_MAX, showsViolation, type Explorer } from './explorer.js';
import type { OwnPath } from './kept-worlds.js';
import { OwnSteps, plainOwn } from './own-steps.js';
import type { WorkerPool } from './parallel-pool.js';
import type { ParallelTimes } from './parallel.js';
import type { Violation } from './property.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';

/**
 * Where a new state's world is: held by `owner` under `ticket` (and its choice signature), or packed (owner and
 * ticket -1, and the packed world's path when not the table's).
 */
export type Place = (child: number, owner: number, ticket: number, world: Uint8Array | null, terminal: boolean, own: OwnPath | undefined, signature?: string) => void;

/** States per request to a worker thread at most (fewer as the ready ones run out, to share them). */
const CHUNK_MAX = 64;

export class Merger {
  /** Per worker: coverage id → item, and whether the main sink has it. */
  readonly #items: CoverageItem[][];
  readonly #applied: Uint8Array[];
  /**
   * Per worker, when collected (`dropping`): tickets of worlds it holds for steps into states that were known by
   * the time they merged (another worker's step came first), which it may let go of at once (held-worlds.ts).
   */
  readonly dropped: number[][];
  dropping = false;

  constructor(
    readonly x: Explorer,
    readonly pool: WorkerPool,
    readonly times: ParallelTimes,
  ) {
    this.#items = Array.from({ length: pool.size }, () => []);
    this.#applied = Array.from({ length: pool.size }, () => new Uint8Array(0));
    this.dropped = Array.from({ length: pool.size }, () => []);
  }

  /** Accept a state's steps in order; null when the search stops, else what the first step found. */
  take(parent: number, steps: readonly StepFacts[], worker: number, place: Place): number | null {
    const x = this.x;
    const depth = x.table.depth[parent]! + 1;
    let first = 0;
    for (let k = 0; k < steps.length; k++) {
      const step = steps[k]!;
      const child = this.#accept(parent, step, worker, depth);
      if (child === null) return null;
      if (k === 0) first = child;
      if (child >= 0) {
        if (!step.terminal && step.ticket < 0 && !step.world) throw new Error(`parallel: state ${child} was found by a step that kept no world`);
        const own = step.world && step.own ? plainOwn(OwnSteps.extend(step.own, parent, step.choice)) : undefined;
        place(child, step.ticket >= 0 ? worker : -1, step.ticket, step.world, step.terminal, own, step.signature);
      } else if (step.ticket >= 0 && this.dropping && !this.handOver(-1 - child, parent, step, worker)) this.dropped[worker]!.push(step.ticket);
      if (x.table.size >= x.maxStates) {
        x.bound = 'maxStates';
        return null;
      }
    }
    return first;
  }

  /**
   * A step of `worker` into the known state `known` kept its world under a ticket: true when the state is to be
   * expanded from that world (parallel-pipeline.ts), false to let the worker drop it.
   */
  protected handOver(_known: number, _parent: number, _step: StepFacts, _worker: number): boolean {
    return false;
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
      x.violation = { violation, choices: this.#path(parent, step, violation) };
      return null;
    }
    return result;
  }

  /**
   * The choices to report a violation by: the table's path, unless the step came from a world that took another
   * (a spare's, held-worlds.ts) and the table's path does not show the same violation (search.ts's reportExactly:
   * it always does when the state key is complete), then the world's own path. The check replays, uncounted.
   */
  #path(parent: number, step: StepFacts, violation: Violation): number[] {
    const own = step.own;
    if (own && !showsViolation(this.x.replay(this.x.table.prefix(parent)), step.choice, violation)) return [...this.x.table.prefix(own.base), ...own.tail, step.choice];
    return [...this.x.table.prefix(parent), step.choice];
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

  /** A chunk out of `available` states, shared among `share` chunks per worker (its requests in flight, or more). */
  chunkSize(available: number, share: number): number {
    return Math.max(1, Math.min(CHUNK_MAX, Math.ceil(available / (share * this.pool.size))));
  }

  /** One request to a worker; its times and new coverage ids are taken in here. */
  async ask(worker: number, request: Parameters<WorkerPool['request']>[1]): Promise<WorkReply> {
    const reply = await this.pool.request(worker, request);
    this.heard(worker, reply);
    return reply;
  }

  /** A worker's times and its new coverage ids, from a reply or a batch (shared-search.ts). */
  heard(worker: number, { times, coverage }: Pick<WorkReply, 'times' | 'coverage'>): void {
    for (const key of ['unpackUs', 'copyUs', 'stepUs', 'packUs', 'packs', 'cpuUs', 'handleCpuUs', 'copies', 'spares'] as const) this.times[key] += times[key];
    this.times.workerCpuUs[worker] = (this.times.workerCpuUs[worker] ?? 0) + times.cpuUs;
    const items = this.#items[worker]!;
    for (const [id, item] of coverage) items[id] = item;
    if (items.length > this.#applied[worker]!.length) {
      const bigger = new Uint8Array(items.length * 2);
      bigger.set(this.#applied[worker]!);
      this.#applied[worker] = bigger;
    }
  }
}
