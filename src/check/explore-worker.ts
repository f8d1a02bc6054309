/**
 * The worker side of multi-core breadth-first search (parallel.ts). A worker holds worlds, never the state
 * table: for each frontier state it is sent (index, choice prefix), it takes the world it parked when it
 * stepped into that state (and spare worlds that stepped into it too, with the same choice signature) or
 * rebuilds one, picks the choices with the explorer's own partial-order logic, steps each and answers with
 * plain data per transition (the child's key, what liveness needs, violations, the outcome where a run ends,
 * coverage as interned ids). The main thread decides what is new, in the order the single-threaded search
 * would, so the result does not depend on which worker was faster.
 */
import { parentPort } from 'node:worker_threads';
import { CoverageSink } from './coverage.js';
import { enabledSlots, endOfRun, Explorer, showsViolation } from './explorer.js';
import { choiceSignature } from './parked.js';
import { StateTable } from './state-table.js';
import { World, type EngineVariant, type WorldOptions } from './world.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';
import type { Violation } from './property.js';
import type { ScenarioSpec } from './scenario.js';

export interface WorkerInit {
  scenario: ScenarioSpec;
  por: boolean;
  symmetry: boolean;
  /** A mutant of src/check/mutants.ts, by name (an engine variant holds functions, which cannot be sent). */
  mutant: string | null;
  /** Worlds this worker may keep at states it found (its share of ExploreOptions.parkedWorlds). */
  parkedMax: number;
}

/** Expand a state: all its choices, or the one partial-order reduction picked. ticket: a parked world, or -1. */
export interface ExpandItem { index: number; prefix: number[]; ticket: number }
/** The cycle proviso asked for the rest of a reduced state: every choice below `all` but `skip`. */
export interface RestItem { index: number; prefix: number[]; skip: number; all: number }
/**
 * `level`: the depth of the states. Worlds parked while working on the level before are claimed in this one;
 * the level's first request says which (`keep`): the others led to states found first elsewhere.
 */
export type WorkRequest = { level: number; keep?: number[] } & ({ kind: 'expand'; items: ExpandItem[] } | { kind: 'rest'; items: RestItem[] });

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
  /** The parked child world, or -1. */
  ticket: number;
  /** Coverage ids of this step (see WorkReply.coverage). */
  coverage: number[];
  /** The choices to report with this step's violation when the state's table prefix does not show it. */
  path?: number[];
}

export interface Expansion { index: number; reduced: boolean; all: number; steps: StepFacts[] }

/** What a coverage id stands for: an engine event's kind and edge, or a rendezvous type seen on the direct path. */
export type CoverageItem = { kind: string; from: string; to: string; flags?: number } | { rendezvousType: string };

export interface WorkReply {
  expansions: Expansion[];
  /** Ids first used in this reply. */
  coverage: [number, CoverageItem][];
  rebuilds: number;
  replayedSteps: number;
}

/**
 * Coverage by transition: the main thread adds a transition's items only when it accepts the transition, so a
 * run stopped by a violation covers exactly what the single-threaded search covered.
 */
class CoverageRecorder extends CoverageSink {
  readonly #ids = new Map<string, number>();
  fresh: [number, CoverageItem][] = [];
  current: number[] | null = null;

  override onEvent(event: VmTraceEvent): void {
    const e = event as { kind: string; from?: unknown; to?: unknown; flags?: unknown };
    if (e.from === undefined || e.to === undefined) return;
    const flags = typeof e.flags === 'number' ? e.flags : undefined;
    const item: CoverageItem = { kind: e.kind, from: String(e.from), to: String(e.to), ...(flags !== undefined ? { flags } : {}) };
    this.#note(`${e.kind}\t${item.from}\t${item.to}\t${flags ?? ''}`, item);
  }

  override noteRendezvousType(type: string): void {
    this.#note(`type\t${type}`, { rendezvousType: type });
  }

  #note(text: string, item: CoverageItem): void {
    if (!this.current) return; // replayed steps were covered when first taken
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(text, id);
      this.fresh.push([id, item]);
    }
    if (!this.current.includes(id)) this.current.push(id);
  }
}

/** A world a worker keeps at a state it stepped into, with the choices it really took from the root. */
interface Parked {
  world: World;
  path: number[];
}

class ExploreWorker {
  readonly recorder = new CoverageRecorder();
  readonly x: Explorer;
  readonly worldOptions: WorldOptions;
  /** Worlds left at children, by ticket: those made in this level, and those of the level before (claimable). */
  parked = new Map<number, Parked>();
  previous = new Map<number, Parked>();
  /**
   * Other worlds that stepped into a child this level (by the seen table's index), and, once claimed, those of a
   * claimed state whose choice signature is its world's (parked.ts): they expand it as well as that world would.
   */
  spares = new Map<number, Parked[]>();
  previousSpares = new Map<number, Parked[]>();
  #spareCount = 0;
  level = -1;
  tickets = 0;
  /** Keys this worker has stepped into, where its earliest step to each sits in the merge order, and its ticket. */
  readonly seen = new StateTable();
  readonly seenTicket: number[] = [];
  readonly #ticketAt = new Map<number, number>();
  rebuilds = 0;
  replayedSteps = 0;

  constructor(
    readonly init: WorkerInit,
    engine: EngineVariant | undefined,
  ) {
    // The explorer supplies the key (encoding + symmetry) and the choices (partial-order reduction) unchanged.
    this.x = new Explorer(init.scenario, { por: init.por, symmetry: init.symmetry, liveness: false, ...(engine ? { engine } : {}) });
    this.worldOptions = { ...this.x.worldOptions, coverage: this.recorder };
  }

  handle(request: WorkRequest): WorkReply {
    this.rebuilds = 0;
    this.replayedSteps = 0;
    this.recorder.fresh = [];
    if (request.level !== this.level) {
      this.previous = new Map();
      this.previousSpares = new Map();
      for (const ticket of request.keep ?? []) this.#keep(ticket);
      this.parked = new Map();
      this.spares = new Map();
      this.#spareCount = [...this.previousSpares.values()].reduce((sum, list) => sum + list.length, 0);
      this.#ticketAt.clear();
      this.level = request.level;
    }
    let expansions: Expansion[];
    if (request.kind === 'expand') {
      expansions = request.items.map((item) => {
        const world = this.previous.get(item.ticket);
        const spares = this.previousSpares.get(item.ticket) ?? [];
        this.previous.delete(item.ticket);
        this.previousSpares.delete(item.ticket);
        this.#spareCount -= spares.length;
        return this.expand(item, world ? [world, ...spares] : []);
      });
    } else {
      expansions = request.items.map((item) => this.rest(item));
    }
    return { expansions, coverage: this.recorder.fresh, rebuilds: this.rebuilds, replayedSteps: this.replayedSteps };
  }

  /**
   * Park the child's world, or not (-1). The main thread claims a world only for a state's discovering step, the
   * first in its merge order, and expands that world first (another path to the same key may order the ready
   * actors differently, and choices are positions). So: never for a key stepped into in an earlier level (known
   * by now); within a level the world of this worker's earliest step to the key in merge order gets the ticket,
   * and the others are kept as spares, used with it when their choice signature matches.
   */
  #park(parked: Parked, hi: number, lo: number, parent: number, position: number): number {
    const seen = this.seen;
    let at = seen.get(hi, lo);
    if (at >= 0) {
      if (seen.depth[at]! < this.level) return -1;
      // The table's columns hold where the earliest step sits: level in depth, parent, position in choice.
      const earlier = seen.parent[at]! < parent || (seen.parent[at] === parent && seen.choice[at]! < position);
      if (earlier) {
        this.#spare(at, parked);
        return -1;
      }
      const ticket = this.seenTicket[at]!;
      const old = this.parked.get(ticket);
      this.parked.delete(ticket);
      this.#ticketAt.delete(ticket);
      if (old) this.#spare(at, old);
      seen.parent[at] = parent;
      seen.choice[at] = position;
    } else {
      at = seen.add(hi, lo, parent, position, this.level);
    }
    const ticket = this.#room() ? this.tickets++ : -1;
    if (ticket >= 0) {
      this.parked.set(ticket, parked);
      this.#ticketAt.set(ticket, at);
    }
    this.seenTicket[at] = ticket;
    return ticket;
  }

  #room(): boolean {
    return this.parked.size + this.previous.size + this.#spareCount < this.init.parkedMax;
  }

  #spare(at: number, parked: Parked): void {
    if (this.x.symmetry.active || !this.#room()) return; // a renamed world numbers its vCPUs differently
    let list = this.spares.get(at);
    if (!list) this.spares.set(at, (list = []));
    list.push(parked);
    this.#spareCount++;
  }

  #keep(ticket: number): void {
    const parked = this.parked.get(ticket);
    if (!parked) return;
    this.previous.set(ticket, parked);
    const spares = this.spares.get(this.#ticketAt.get(ticket)!);
    if (!spares) return;
    const signature = choiceSignature(parked.world);
    this.previousSpares.set(ticket, spares.filter((spare) => choiceSignature(spare.world) === signature));
  }

  /** Expand a state with the worlds kept for it (the claimed one first), then rebuilt ones. */
  expand(item: ExpandItem, worlds: Parked[]): Expansion {
    const first = worlds[0] ?? this.#rebuilt(item.prefix);
    const choices = this.x.choices(first.world);
    const all = first.world.choiceCount();
    const reduced = choices[1] === -1;
    const steps: StepFacts[] = [];
    for (const [position, choice] of (reduced ? choices.slice(0, 1) : choices).entries()) {
      steps.push(this.step(position === 0 ? first : (worlds[position] ?? this.#rebuilt(item.prefix)), choice, item, position));
    }
    return { index: item.index, reduced, all, steps };
  }

  rest(item: RestItem): Expansion {
    const steps: StepFacts[] = [];
    for (let choice = 0; choice < item.all; choice++) {
      if (choice !== item.skip) steps.push(this.step(this.#rebuilt(item.prefix), choice, item, 1 + steps.length));
    }
    return { index: item.index, reduced: false, all: item.all, steps };
  }

  /** Explorer.rebuild from a prefix (this worker has no table). */
  rebuild(prefix: readonly number[]): World {
    const world = World.build(this.init.scenario, this.worldOptions);
    world.replaying = true;
    for (const choice of prefix) world.step(choice);
    world.replaying = false;
    this.replayedSteps += world.depth;
    this.rebuilds++;
    return world;
  }

  #rebuilt(prefix: readonly number[]): Parked {
    return { world: this.rebuild(prefix), path: [...prefix] };
  }

  /**
   * Take one choice and describe the child as Explorer.discover would see it. `position` places the step in the
   * main thread's merge order (a parent's steps in order; the proviso's other choices after its one).
   */
  step({ world, path }: Parked, choice: number, item: { index: number; prefix: readonly number[] }, position: number): StepFacts {
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
    const taken = [...path, choice];
    // A violation met by a world that came by another path than the state's table prefix: that prefix (as short)
    // is reported when a rebuild along it shows the same violation, as it must when the key is complete;
    // otherwise the path the world took, which replays (search.ts's reportExactly, here).
    const offPath = world.violation !== null && !samePath(path, item.prefix);
    const own = offPath && !showsViolation(this.rebuild(item.prefix), choice, world.violation!) ? taken : undefined;
    const ticket = terminal || world.violation ? -1 : this.#park({ world, path: taken }, hi, lo, item.index, position);
    return { choice, hi, lo, slot: world.lastSlot, hot, enabled, terminal, violation, terminalViolation, outcome, ticket, coverage, ...(own ? { path: own } : {}) };
  }
}

const samePath = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** Messages in: a scenario to work on (workers are reused across explorations), its work, or "drop it all". */
export type WorkerMessage = { kind: 'init'; init: WorkerInit } | { kind: 'reset' } | WorkRequest;
/** Answers: to init, to work, or the error that stopped either. */
export type WorkerAnswer = { kind: 'ready' } | ({ kind: 'reply' } & WorkReply) | { kind: 'error'; message: string };

async function create(init: WorkerInit): Promise<ExploreWorker> {
  if (init.mutant === null) return new ExploreWorker(init, undefined);
  const { MUTANTS } = await import('./mutants.js');
  const engine = MUTANTS.find((m) => m.name === init.mutant)?.engine;
  if (!engine) throw new Error(`explore-worker: no mutant named '${init.mutant}'`);
  return new ExploreWorker(init, engine);
}

function serve(): void {
  const port = parentPort;
  if (!port) throw new Error('explore-worker: not running in a worker thread');
  let worker: ExploreWorker | null = null;
  let queue = Promise.resolve();
  const answer = (message: WorkerAnswer) => port.postMessage(message);
  // One message at a time, in order: an init may await the mutant table.
  port.on('message', (message: WorkerMessage) => {
    queue = queue.then(async () => {
      try {
        if (message.kind === 'init') {
          worker = await create(message.init);
          answer({ kind: 'ready' });
        } else if (message.kind === 'reset') {
          worker = null;
        } else {
          if (!worker) throw new Error('explore-worker: work before init');
          answer({ kind: 'reply', ...worker.handle(message) });
        }
      } catch (error) {
        answer({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    });
  });
}

serve();
