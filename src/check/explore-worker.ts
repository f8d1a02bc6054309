/**
 * The worker side of multi-core breadth-first search (parallel.ts). A worker holds no state table and no
 * worlds between requests: each frontier state arrives as a packed snapshot (world-pack.ts) — whichever
 * worker or thread found it — and is unpacked once per choice; the worker picks the choices with the
 * explorer's own partial-order logic, steps each and answers with plain data per transition (the child's key,
 * what liveness needs, violations, the outcome where a run ends, coverage as interned ids) and the child's
 * snapshot where the main thread may need it to expand the child. The main thread decides what is new, in the
 * order the single-threaded search would, so the result does not depend on which worker was faster.
 */
import { parentPort } from 'node:worker_threads';
import { CoverageSink } from './coverage.js';
import { enabledSlots, endOfRun, Explorer } from './explorer.js';
import type { ExploreOptions } from './explore.js';
import { StateTable } from './state-table.js';
import { packWorld, unpackWorld } from './world-pack.js';
import type { EngineVariant, World } from './world.js';
import { copyGraph } from '../persist/graph.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';
import type { Violation } from './property.js';
import type { ScenarioSpec } from './scenario.js';

export interface WorkerInit {
  scenario: ScenarioSpec;
  por: boolean;
  symmetry: boolean;
  stateKey: ExploreOptions['stateKey'];
  /** A mutant of src/check/mutants.ts, by name (an engine variant holds functions, which cannot be sent). */
  mutant: string | null;
}

/** Expand a state (its packed world): all its choices, or the one partial-order reduction picked. */
export interface ExpandItem { index: number; world: Uint8Array }
/** The cycle proviso asked for the rest of a reduced state: every choice below `all` but `skip`. */
export interface RestItem { index: number; world: Uint8Array; skip: number; all: number }
/**
 * `level`: the depth of the states. Within a level the main thread hands out states in increasing order, so a
 * worker's first step into a key is its earliest in the merge order (see ExploreWorker.wants).
 */
export type WorkRequest = { level: number } & ({ kind: 'expand'; items: ExpandItem[] } | { kind: 'rest'; items: RestItem[] });

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
  /** The child's packed world, where the main thread may expand it (else null: see ExploreWorker.wants). */
  world: Uint8Array | null;
  /** Coverage ids of this step (see WorkReply.coverage). */
  coverage: number[];
}

export interface Expansion { index: number; reduced: boolean; all: number; steps: StepFacts[] }

/** What a coverage id stands for: an engine event's kind and edge, or a rendezvous type seen on the direct path. */
export type CoverageItem = { kind: string; from: string; to: string; flags?: number } | { rendezvousType: string };

export interface WorkReply {
  expansions: Expansion[];
  /** Ids first used in this reply. */
  coverage: [number, CoverageItem][];
  /** Microseconds this request spent unpacking, copying, stepping (with the key) and packing, and its packs. */
  times: WorkTimes;
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
    if (!this.current) return;
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(text, id);
      this.fresh.push([id, item]);
    }
    if (!this.current.includes(id)) this.current.push(id);
  }
}

export interface WorkTimes { unpackUs: number; copyUs: number; stepUs: number; packUs: number; packs: number }

const nowUs = (): number => performance.now() * 1000;
const noTimes = (): WorkTimes => ({ unpackUs: 0, copyUs: 0, stepUs: 0, packUs: 0, packs: 0 });

export class ExploreWorker {
  readonly recorder = new CoverageRecorder();
  readonly x: Explorer;
  /** Keys this worker has stepped into, with the level it first did (in the table's depth column). */
  readonly seen = new StateTable();
  level = -1;
  #times = noTimes();

  constructor(
    readonly init: WorkerInit,
    engine: EngineVariant | undefined,
  ) {
    // The explorer supplies the key (encoding + symmetry) and the choices (partial-order reduction) unchanged.
    this.x = new Explorer(init.scenario, { por: init.por, symmetry: init.symmetry, liveness: false, ...(init.stateKey ? { stateKey: init.stateKey } : {}), ...(engine ? { engine } : {}) });
  }

  handle(request: WorkRequest): WorkReply {
    this.recorder.fresh = [];
    this.#times = noTimes();
    this.level = request.level;
    const expansions = request.kind === 'expand' ? request.items.map((item) => this.expand(item)) : request.items.map((item) => this.rest(item));
    return { expansions, coverage: this.recorder.fresh, times: this.#times };
  }

  expand(item: ExpandItem): Expansion {
    const world = this.#unpack(item.world);
    const choices = this.x.choices(world);
    const all = world.choiceCount();
    const reduced = choices[1] === -1;
    const steps = this.#steps(world, reduced ? choices.slice(0, 1) : choices, true);
    return { index: item.index, reduced, all, steps };
  }

  rest(item: RestItem): Expansion {
    const choices: number[] = [];
    for (let choice = 0; choice < item.all; choice++) if (choice !== item.skip) choices.push(choice);
    return { index: item.index, reduced: false, all: item.all, steps: this.#steps(this.#unpack(item.world), choices, false) };
  }

  /** Step `world` by each choice: copies of it (cheaper than unpacking again) for all but the last, which takes it. */
  #steps(world: World, choices: readonly number[], ordered: boolean): StepFacts[] {
    return choices.map((choice, k) => this.step(k === choices.length - 1 ? world : this.#copy(world), choice, ordered));
  }

  #unpack(bytes: Uint8Array): World {
    const t0 = nowUs();
    const world = unpackWorld(bytes, this.recorder);
    this.#times.unpackUs += nowUs() - t0;
    return world;
  }

  #copy(world: World): World {
    const t0 = nowUs();
    const copy = copyGraph(world);
    copy.attachCoverage(this.recorder);
    this.#times.copyUs += nowUs() - t0;
    return copy;
  }

  /**
   * Does the main thread need this child's world? Not for a key this worker stepped into in an earlier level
   * (the table has it by now) nor, within an expand round, for one it already stepped into in this level: the
   * main thread hands a worker its states in increasing order, so that earlier step comes first in the merge
   * order and carries the world the state is expanded from (the discovering step's, as in one thread).
   */
  wants(hi: number, lo: number, ordered: boolean): boolean {
    const at = this.seen.get(hi, lo);
    if (at < 0) {
      this.seen.add(hi, lo, 0, 0, this.level);
      return true;
    }
    return this.seen.depth[at] === this.level && !ordered;
  }

  /** Take one choice and describe the child as Explorer.discover would see it. */
  step(world: World, choice: number, ordered: boolean): StepFacts {
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
    const t1 = nowUs();
    this.#times.stepUs += t1 - t0;
    const wanted = !terminal && !world.violation && this.wants(hi, lo, ordered);
    const packed = wanted ? packWorld(world) : null;
    if (wanted) {
      this.#times.packUs += nowUs() - t1;
      this.#times.packs++;
    }
    return { choice, hi, lo, slot: world.lastSlot, hot, enabled, terminal, violation, terminalViolation, outcome, world: packed, coverage };
  }
}

/** The packed worlds of a reply: transferred to the main thread, not copied. */
export function replyTransfers(reply: WorkReply): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const expansion of reply.expansions) for (const step of expansion.steps) if (step.world) list.push(step.world.buffer as ArrayBuffer);
  return list;
}

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
          const reply = worker.handle(message);
          port.postMessage({ kind: 'reply', ...reply } satisfies WorkerAnswer, replyTransfers(reply));
        }
      } catch (error) {
        answer({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    });
  });
}

serve();
