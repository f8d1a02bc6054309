/**
 * The worker side of multi-core breadth-first search (parallel.ts). A worker holds no state table: it is sent
 * frontier states — a world it holds (a child of one of its own steps, by ticket) or a packed world
 * (world-pack.ts) from whichever thread found it — picks the choices with the explorer's own partial-order
 * logic, steps each (copies of the world for all but the last choice) and answers with plain data per
 * transition (the child's key, what liveness needs, violations, the outcome where a run ends, coverage as
 * interned ids). A child that may be a new state is held under a ticket (packed when no room is left), and
 * a later step into the same key is kept with it as a spare that stands in for a copy (held-worlds.ts), as
 * one thread's search does; the main thread asks for held worlds packed when it moves them to another worker. The main thread decides what
 * is new, in the order the single-threaded search would, so the result does not depend on which worker was
 * faster. Nothing is rebuilt or replayed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CoverageRecorder, type CoverageItem } from './coverage-recorder.js';
import { enabledSlots, endOfRun, Explorer } from './explorer.js';
import type { ExploreOptions } from './explore.js';
import { HeldWorlds, type Lineage } from './held-worlds.js';
import type { OwnPath } from './kept-worlds.js';
import { OwnSteps, plainOwn } from './own-steps.js';
import { choiceSignature } from './parked.js';
import { toWire, wireTransfers, type WireReply } from './parallel-wire.js';
import { StateTable } from './state-table.js';
import { threadCpuUs } from './thread-cpu.js';
import { errorAnswer, type ErrorAnswer } from './thread-errors.js';
import { SharedExpander, type SharedBatch, type SharedMessage } from './shared-expander.js';
import { packWorld, unpackWorld } from './world-pack.js';
import type { EngineVariant, World } from './world.js';
import { copyGraph } from '../persist/graph.js';
import { RealClock } from '../time/real-clock.js';
import type { Violation } from './property.js';
import { refrozenScenario, type ScenarioSpec } from './scenario.js';

export interface WorkerInit {
  scenario: ScenarioSpec;
  por: boolean;
  symmetry: boolean;
  stateKey: ExploreOptions['stateKey'];
  /** A mutant of src/check/mutants.ts, by name (an engine variant holds functions, which cannot be sent). */
  mutant: string | null;
  /** Worlds this worker may hold, spares included (ExploreOptions.parkedWorlds: as many as the one thread keeps). */
  heldMax: number;
}

/**
 * A state to expand: the world this worker holds under `ticket`, or (ticket -1) a packed one; and the world's path
 * when not the table's (a held world only when it was handed over: parallel-pipeline.ts).
 */
export interface ExpandItem { index: number; ticket: number; world: Uint8Array | null; own?: OwnPath }
/** The cycle proviso asked for the rest of a reduced state (its world as Expansion.rest gave it): every choice below `all` but `skip`. */
export interface RestItem { index: number; ticket: number; world: Uint8Array | null; skip: number; all: number }
/** `level`: the depth of the states. `drop`: held worlds no longer wanted (their steps' states were known). `pack`: held worlds, packed to move them to another worker. */
export type WorkRequest = { level: number } & ({ kind: 'expand'; items: ExpandItem[]; drop?: number[] } | { kind: 'rest'; items: RestItem[] } | { kind: 'pack'; tickets: number[] });

/** One transition, as data. */
export interface StepFacts {
  choice: number;
  hi: number;
  lo: number;
  /** Fairness slot of the step, the liveness monitor's hot flag and the enabled-slot mask at the child. */
  slot: number;
  hot: boolean;
  enabled: number;
  terminal: boolean;
  /** A property failed during the step. */
  violation: Violation | null;
  /** The end-of-run checks failed (they count only where the child is a new state, as in Explorer.discover). */
  terminalViolation: Violation | null;
  /** outcomeOf the child where a run ends (terminal or quiescent, as in Explorer.discover), else null. */
  outcome: string | null;
  /**
   * The child's world, where the main thread may expand it: held under this ticket, or packed (else -1 and null).
   * In the shared-table search (shared-expander.ts) no world travels: the child's id in the shared table, for
   * every child not terminal.
   */
  ticket: number;
  world: Uint8Array | null;
  /** Coverage ids of this step (see WorkReply.coverage). */
  coverage: number[];
  /**
   * The path of the world that took the step, when not the table's (a spare's: held-worlds.ts), given where the
   * main thread needs it: with a violation (reported exactly, as search.ts does) or a packed child (it travels along).
   */
  own?: OwnPath;
  /**
   * A held child's choice signature (parked.ts), where the worker keeps spares (no symmetry, no partial-order
   * reduction): the main thread may have it expand a state another worker found.
   */
  signature?: string;
}

/** A reduced state's world is kept for the proviso's other choices: held under `rest.ticket` or packed. */
export interface Expansion { index: number; reduced: boolean; all: number; steps: StepFacts[]; rest?: { ticket: number; world: Uint8Array | null } }


export interface WorkReply {
  expansions: Expansion[];
  /** Ids first used in this reply. */
  coverage: [number, CoverageItem][];
  /** Microseconds this request spent unpacking, copying, stepping (with the key) and packing, and its packs. */
  times: WorkTimes;
  /** A pack request's worlds, in its tickets' order, and their paths where not the table's. */
  packed?: Uint8Array[];
  owns?: (OwnPath | undefined)[];
}

/**
 * Per phase, µs of wall time; CPU µs of the thread: all of it since its last reply (messages included), and handling
 * requests only; copies made and spares used in their place.
 */
export interface WorkTimes { unpackUs: number; copyUs: number; stepUs: number; packUs: number; packs: number; cpuUs: number; handleCpuUs: number; copies: number; spares: number }

/** Where the time goes (--breakdown), read off the real-time port like the explorer's own clock. */
const clock = new RealClock();
const nowUs = (): number => clock.nowNs() / 1000;
const noTimes = (): WorkTimes => ({ unpackUs: 0, copyUs: 0, stepUs: 0, packUs: 0, packs: 0, cpuUs: 0, handleCpuUs: 0, copies: 0, spares: 0 });

export class ExploreWorker {
  readonly recorder = new CoverageRecorder();
  readonly x: Explorer;
  /**
   * Keys this worker has stepped into: the level it last did (depth column) and its earliest step to each in
   * that level, in the merge order (parent index, position), with the ticket of that step's world.
   */
  readonly seen = new StateTable();
  readonly seenTicket: number[] = [];
  /** The choice of that earliest step (its world's path, should a step earlier in the merge order make it a spare). */
  readonly seenChoice: number[] = [];
  readonly held: HeldWorlds;
  level = -1;
  #times = noTimes();
  #cpuUs = threadCpuUs();

  constructor(
    readonly init: WorkerInit,
    engine: EngineVariant | undefined,
  ) {
    // The explorer supplies the key (encoding + symmetry) and the choices (partial-order reduction) unchanged.
    this.x = new Explorer(refrozenScenario(init.scenario), { por: init.por, symmetry: init.symmetry, liveness: false, ...(init.stateKey ? { stateKey: init.stateKey } : {}), ...(engine ? { engine } : {}) });
    // Spares as one thread keeps them: not under symmetry (a renamed world numbers its vCPUs differently), nor
    // with partial-order reduction (a reduced state's world travels for the proviso without its path).
    this.held = new HeldWorlds(init.heldMax, !init.por && !this.x.symmetry.active);
  }

  handle(request: WorkRequest): WorkReply {
    this.recorder.fresh = [];
    this.#times = noTimes();
    this.#times.handleCpuUs = -threadCpuUs();
    // A pack request may come from a worker behind this one (parallel-pipeline.ts): it does not move the level.
    if (request.kind !== 'pack' && request.level !== this.level) {
      this.held.forget(request.level);
      this.level = request.level;
    }
    if (request.kind === 'pack') {
      const worlds = request.tickets.map((t) => this.held.take(t).held); // its spares are let go: they cannot travel
      const packed = worlds.map((w) => this.pack(w.world));
      return { expansions: [], coverage: [], times: this.#cpuSpent(this.#times), packed, owns: worlds.map((w) => (w.own ? plainOwn(w.own) : undefined)) };
    }
    // Worlds held for steps into states known when they merged: no later step of this worker comes earlier in the
    // merge order (every state before them was merged), so none will replace them (#keep).
    if (request.kind === 'expand') for (const ticket of request.drop ?? []) this.held.drop(ticket);
    const expansions = request.kind === 'expand' ? request.items.map((item) => this.expand(item)) : request.items.map((item) => this.rest(item));
    return { expansions, coverage: this.recorder.fresh, times: this.#cpuSpent(this.#times) };
  }

  /** A spare stood in for a copy (shared-expander.ts; #steps counts its own). */
  noteSpare(): void {
    this.#times.spares++;
  }

  /** The times since the last reply or batch, all of the thread's CPU since then counted as handling (shared-expander.ts). */
  batchTimes(): WorkTimes {
    const times = this.#times;
    this.#times = noTimes();
    times.handleCpuUs = -this.#cpuUs;
    return this.#cpuSpent(times);
  }

  /** The thread's CPU since the last reply was ready: that reply's sending, this request's receiving and handling. */
  #cpuSpent(times: WorkTimes): WorkTimes {
    const cpuUs = threadCpuUs();
    times.handleCpuUs += cpuUs;
    times.cpuUs += cpuUs - this.#cpuUs;
    this.#cpuUs = cpuUs;
    return times;
  }

  expand(item: ExpandItem): Expansion {
    const { held, spares } = this.#world(item);
    const world = held.world;
    const choices = this.x.choices(world);
    const all = world.choiceCount();
    if (choices[1] !== -1) return { index: item.index, reduced: false, all, steps: this.#steps(item.index, 0, held, choices, spares) };
    // Reduced: the world stays (held or packed) for the proviso's other choices, should they be wanted.
    const steps = this.#steps(item.index, 0, { world: this.copy(world), own: held.own }, choices.slice(0, 1));
    const ticket = this.held.hold(held, this.level);
    return { index: item.index, reduced: true, all, steps, rest: { ticket, world: ticket < 0 ? this.pack(world) : null } };
  }

  rest(item: RestItem): Expansion {
    const choices: number[] = [];
    for (let choice = 0; choice < item.all; choice++) if (choice !== item.skip) choices.push(choice);
    return { index: item.index, reduced: false, all: item.all, steps: this.#steps(item.index, 1, this.#world(item).held, choices) };
  }

  /**
   * Step by each choice: the spares kept with the world first, then copies of the world (cheaper than unpacking
   * again), and the world itself for the last choice.
   */
  #steps(parent: number, first: number, world: Lineage, choices: readonly number[], spares: Lineage[] = []): StepFacts[] {
    return choices.map((choice, k) => {
      const spare = k === choices.length - 1 ? undefined : spares.pop();
      if (spare) this.#times.spares++;
      const from = k === choices.length - 1 ? world : (spare ?? { world: this.copy(world.world), own: world.own });
      return this.step(from, choice, parent, first + k);
    });
  }

  #world(item: { ticket: number; world: Uint8Array | null; own?: OwnPath }): { held: Lineage; spares: Lineage[] } {
    if (item.ticket >= 0) {
      // A world held for a step that did not discover the state (handed over: parallel-pipeline.ts) took its own path.
      const taken = this.held.take(item.ticket);
      if (item.own && !taken.held.own) taken.held.own = item.own;
      return taken;
    }
    return { held: { world: this.unpack(item.world!), own: item.own }, spares: [] };
  }

  unpack(bytes: Uint8Array): World {
    const t0 = nowUs();
    const world = unpackWorld(bytes, this.recorder);
    this.#times.unpackUs += nowUs() - t0;
    return world;
  }

  copy(world: World): World {
    const t0 = nowUs();
    const copy = copyGraph(world);
    copy.attachCoverage(this.recorder);
    this.#times.copyUs += nowUs() - t0;
    this.#times.copies++;
    return copy;
  }

  pack(world: World): Uint8Array {
    const t0 = nowUs();
    const bytes = packWorld(world);
    this.#times.packUs += nowUs() - t0;
    this.#times.packs++;
    return bytes;
  }

  /**
   * Keep the child's world if the main thread may expand it, or not (-1, null). Not for a key this worker
   * stepped into in an earlier level (the table has it by now); within the level, for the worker's earliest
   * step to the key in the merge order (the discovering step, whose world one thread would expand, is some
   * worker's earliest), with the worlds of its later steps as spares (held-worlds.ts): a step earlier than the
   * held one takes its place, and the world it replaces becomes a spare. `own`: the path of the stepped world.
   */
  #keep(world: World, hi: number, lo: number, parent: number, choice: number, position: number, own: OwnPath | undefined): { ticket: number; world: Uint8Array | null } {
    const seen = this.seen;
    const next = (): OwnPath => OwnSteps.extend(own, parent, choice);
    let spares: Lineage[] = [];
    let at = seen.get(hi, lo);
    if (at < 0) at = seen.add(hi, lo, parent, position, this.level);
    else if (seen.depth[at]! !== this.level) {
      // A key stepped into from the last level is a state of this one: while its world is still held here (not
      // expanded yet), this world is a spare for it, as one thread keeps one for any state not yet expanded.
      const ticket = seen.depth[at] === this.level - 1 ? this.seenTicket[at]! : -1;
      if (ticket >= 0 && this.held.spares) this.held.spare(ticket, world, next);
      if (seen.depth[at]! < this.level) return { ticket: -1, world: null };
      seen.depth[at] = this.level; // a level stopped early (never today: a stopped search ends)
    } else if (parent < seen.parent[at]! || (parent === seen.parent[at] && position < seen.choice[at]!)) {
      const old = this.seenTicket[at]!;
      if (old >= 0) {
        const replaced = this.held.take(old);
        spares = [{ world: replaced.held.world, own: replaced.held.own ?? OwnSteps.extend(undefined, seen.parent[at]!, this.seenChoice[at]!) }, ...replaced.spares];
      }
      seen.parent[at] = parent;
      seen.choice[at] = position;
    } else {
      const ticket = this.seenTicket[at]!;
      if (ticket >= 0 && this.held.spares) this.held.spare(ticket, world, next);
      return { ticket: -1, world: null };
    }
    const ticket = this.held.hold({ world, own: own ? next() : undefined }, this.level + 1);
    this.seenTicket[at] = ticket;
    this.seenChoice[at] = choice;
    if (ticket >= 0) for (const spare of spares) this.held.spare(ticket, spare.world, () => spare.own!);
    return { ticket, world: ticket < 0 ? this.pack(world) : null };
  }

  /** Take one choice and describe the child as Explorer.discover would see it (its world kept nowhere yet: ticket -1). */
  stepFacts(world: World, choice: number): StepFacts {
    const t0 = nowUs();
    this.recorder.current = [];
    world.step(choice);
    const coverage = this.recorder.current;
    this.recorder.current = null;
    this.x.hash(world);
    const { hi, lo } = this.x.key;
    const hot = world.clients.some((c) => c.pending !== null);
    const enabled = enabledSlots(world);
    const terminal = world.terminal;
    const violation = world.violation;
    const outcome = endOfRun(world);
    const terminalViolation = violation ? null : world.violation;
    this.#times.stepUs += nowUs() - t0;
    return { choice, hi, lo, slot: world.lastSlot, hot, enabled, terminal, violation, terminalViolation, outcome, ticket: -1, world: null, coverage };
  }

  /** stepFacts, and the child's world kept where the main thread may expand it; `position` orders it among the parent's steps. */
  step(from: Lineage, choice: number, parent: number, position: number): StepFacts {
    const world = from.world;
    const facts = this.stepFacts(world, choice);
    if (!facts.terminal && !world.violation) ({ ticket: facts.ticket, world: facts.world } = this.#keep(world, facts.hi, facts.lo, parent, choice, position, from.own));
    if (from.own && (world.violation || facts.world)) facts.own = plainOwn(from.own);
    // Where spares are kept, a held child's world may stand in for another's of its key (handOver): not under symmetry.
    if (facts.ticket >= 0 && this.held.spares) facts.signature = choiceSignature(world);
    return facts;
  }
}

/** Messages in: a scenario to work on (workers are reused across explorations), its work, or "drop it all"; the shared-table search's. */
export type WorkerMessage = { kind: 'init'; init: WorkerInit } | { kind: 'reset' } | WorkRequest | SharedMessage;
/** Answers: to init, to work, or the error that stopped either; the shared-table search's batches, unasked. */
export type WorkerAnswer = { kind: 'ready' } | ({ kind: 'reply' } & WireReply) | ErrorAnswer | SharedBatch;

async function create(init: WorkerInit): Promise<ExploreWorker> {
  if (init.mutant === null) return new ExploreWorker(init, undefined);
  const { engineByName } = await import('./mutants.js');
  return new ExploreWorker(init, engineByName(init.mutant));
}

function serve(): void {
  const port = parentPort;
  if (!port) throw new Error('explore-worker: not running in a worker thread');
  let worker: ExploreWorker | null = null;
  let shared: SharedExpander | null = null;
  let queue = Promise.resolve();
  const answer = (message: WorkerAnswer) => port.postMessage(message);
  // One message at a time, in order: an init may await the mutant table. The shared-table search's messages are
  // heard between its batches (its run does not hold up the queue).
  port.on('message', (message: WorkerMessage) => {
    if (message.kind !== 'shared-start' && message.kind.startsWith('shared-')) return shared?.hear(message as SharedMessage);
    queue = queue.then(async () => {
      try {
        if (message.kind === 'shared-start') {
          if (!worker) throw new Error('explore-worker: work before init');
          shared = new SharedExpander(worker, message);
          shared.run().catch((error: unknown) => answer(errorAnswer(error)));
        } else if (message.kind === 'init') {
          worker = await create(message.init);
          answer({ kind: 'ready' });
        } else if (message.kind === 'reset') {
          worker = null;
          shared = null;
        } else {
          if (!worker) throw new Error('explore-worker: work before init');
          const reply = toWire(worker.handle(message as WorkRequest));
          port.postMessage({ kind: 'reply', ...reply } satisfies WorkerAnswer, wireTransfers(reply));
        }
      } catch (error) {
        answer(errorAnswer(error));
      }
    });
  });
}

/** The workerData of a thread started to serve (parallel-pool.ts, which imports this file for it). */
export const EXPLORE_WORKER = 'vmm-actors explore worker';

if (parentPort && workerData === EXPLORE_WORKER) serve();
