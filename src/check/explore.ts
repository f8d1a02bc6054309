/**
 * explore(scenario, options): every interleaving of every actor step of a scenario, over the engine's own
 * machines. A state is identified by the choice prefix that reaches it and remembered by its 64-bit key; a state
 * is expanded from the world that discovered it and copies of it (search.ts), never by replaying its prefix
 * (unless a copyDepth > 0 asks for that nearer the root). Breadth-first is the default, so the first
 * counterexample is a shortest one. A run cut short by maxStates, maxDepth or the time limit is "bounded",
 * never "ok".
 */
import { CPUS_MAX, CPUS_MAX_SAMPLING, isParsedScenario, parseScenario, ScenarioError, type ScenarioSpec, type Scenario } from './scenario.js';
import type { Coverage } from './coverage.js';
import type { PropertyDef, UserInvariant } from './property.js';
import type { Counterexample } from './trace.js';
import type { EngineVariant } from './world.js';
import { Explorer } from './explorer.js';
import type { SamplingFigures } from './pct.js';
import { checkCheckpointOptions, refuseUnreplayable, type CheckpointOptions } from './checkpoint/checkpoint.js';
import { exploreOnThread, threadEngine } from './search-thread.js';

export interface ExploreOptions {
  /**
   * 'bfs' (default: shortest counterexamples), 'dfs', 'random' walks, or for scenarios too large to exhaust
   * 'pct' (priority-based sampling with bug depth `pctDepth`) and 'portfolio' (PCT of several depths and random
   * walks in turn): src/check/pct.ts.
   */
  mode?: ExploreMode;
  maxStates?: number;
  maxDepth?: number;
  /** Stop after this much wall time (the result is then bounded). */
  timeLimitMs?: number;
  /** Partial-order reduction (default on). */
  por?: boolean;
  /** Symmetry reduction over interchangeable vCPUs, applied only where sound (default on; either key). */
  symmetry?: boolean;
  /**
   * Which state key merges states: 'hand' (default: state-key.ts) or 'snapshot' (the world's snapshot graph in
   * walk order, history fields left out, vCPUs renamed with symmetry: snapshot-key.ts, key-cpus.ts).
   */
  stateKey?: 'hand' | 'snapshot';
  /** Look for fair cycles that keep a call pending (default on). */
  liveness?: boolean;
  /** Random, pct and portfolio modes: number of runs (iterations) and their seed. */
  walks?: number;
  seed?: number;
  /** PCT's bug depth d: d − 1 priority change points per run (default 3). */
  pctDepth?: number;
  /** User invariants over the read-only view. */
  invariants?: readonly UserInvariant[];
  /** Extra properties (monitors) next to the built-in ones. */
  properties?: readonly PropertyDef[];
  /** Tests only: a deliberately broken engine (src/check/mutants.ts), and its name for traces. */
  engine?: EngineVariant;
  mutant?: string;
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
  /**
   * Breadth- and depth-first: check the owned declarations (ClassSpec.owned, ownedItems) on every world copy: an
   * object an owned field holds that something else refers to as well is refused (VERR_INTERNAL_ERROR, naming the
   * field) instead of split in two by the copy. Costs a Map entry per owned object; one worker only.
   */
  verifyOwnership?: boolean;
  /**
   * Workers (parallel.ts): worlds each keeps at frontier states so expanding them needs no rebuild (beyond, they are
   * packed). The pipeline's default PARKED_WORLDS_MAX; the shared-table search's default is keptWorldBytes per worker.
   */
  parkedWorlds?: number;
  /**
   * Breadth- and depth-first: from this depth on, a state's further choices start from copies of its world, never
   * from a rebuild that replays its prefix; `Infinity`: never copy. Default COPY_DEPTH (0): no replay, but where
   * breadth-first search's cycle rule fires (proviso.ts), under depth-first `provisoRebuilds`, and on a resume.
   * With `properties` the default is `Infinity`: a monitor that keeps its state in closures (`let first` in its
   * `create()`) would share it between a world and its copies; pass a copyDepth only for properties whose
   * monitors keep their state as data (registered classes: docs/snapshot.md).
   */
  copyDepth?: number;
  /**
   * Depth-first search with reductions on: a state partial-order reduction left one choice is copied in advance (in
   * case its cycle proviso asks for the rest) only where the proviso's rate so far says that is cheaper than
   * rebuilding, by replay, where it asks (search.ts CopyAhead). Default false: copied at every reduced state, so
   * nothing is ever replayed. Depth-first only: breadth-first search copies ahead at a call's reduced step alone and
   * rebuilds where its cycle rule fires (proviso.ts).
   */
  provisoRebuilds?: boolean;
  /**
   * Several workers without partial-order reduction: the workers share one key table and each expands the states it
   * found, with no barrier (shared-search.ts). Default true. Where a path is wanted (a violation, a lasso, a run cut
   * short by maxStates or maxDepth, more than 2^19 states) that search ends and the pipeline runs instead; false
   * runs the pipeline (parallel-pipeline.ts) from the start.
   */
  sharedTable?: boolean;
  /**
   * Breadth- and depth-first, and each worker of the shared-table search: bytes of live worlds kept at states waiting for expansion (default KEPT_WORLD_BYTES,
   * 512 MiB, or a quarter of the searching thread's heap limit where that is less: keptWorldBudget); beyond it they are kept as compact snapshots (kept-worlds.ts), or let go nearer the root than copyDepth.
   * So `copies` and `snapshots` may differ between hosts (heap limit, `--max-old-space-size`); states, transitions,
   * verdicts and counterexamples do not.
   */
  keptWorldBytes?: number;
  /**
   * Breadth-first on this many worker threads (default 1: the single-threaded search). States, transitions,
   * verdict and counterexample are the same for any count. Functions cannot cross to workers: user
   * `invariants` and `properties` are refused, and a mutant `engine` must come with its `mutant` name.
   */
  workers?: number;
  /**
   * Breadth-first, one worker: write the search to `checkpoint.dir` every `everyMs` (default 60 s) and when a
   * time limit stops it (src/check/checkpoint/). `resume`: a checkpoint directory to continue from; the run
   * ends as the uninterrupted one would. Either is refused (VERR_NOT_SUPPORTED) with other modes or workers;
   * a checkpoint of another scenario or options is refused (VERR_SSM_LOAD_CONFIG_MISMATCH), a torn or
   * foreign file with a VERR_SSM_INTEGRITY_* status.
   */
  checkpoint?: CheckpointOptions;
  resume?: string;
  /**
   * Search on a worker thread of its own with a large young generation (search-thread.ts: the frontier's worlds
   * then mostly die young; race on 6 vCPUs without reductions about a third less CPU), where the options allow:
   * not with user `invariants` or `properties`, a broken `engine` that is no named mutant, or `workers` > 1 (then
   * here). The same states, verdict and counterexample either way. The thread's start (and its messages) count in
   * `result.seconds` (wall time to the caller) but not against `timeLimitMs`, which the thread's search measures.
   * It costs memory: the thread's young generation and a second copy of the engine (race N = 6: peak RSS ~650 vs
   * ~350 MB), and an idle thread kept for the next search keeps its heap until closeSearchThreads().
   */
  thread?: boolean;
}

export type ExploreMode = 'bfs' | 'dfs' | 'random' | 'pct' | 'portfolio';

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  frontier: number;
  seconds: number;
  /** Per second of this run (a resumed run counts only its own work). */
  statesPerSecond: number;
  /** States generated (transitions taken) per second. */
  transitionsPerSecond?: number;
  heapBytes: number;
  /** Sampling modes (pct, portfolio): runs so far; states are then not counted. */
  iterations?: number;
}

export interface ExploreResult {
  /** True only when every state was explored and no property failed. */
  ok: boolean;
  status: 'ok' | 'violation' | 'bounded';
  /** `ok: 1,234 states`, `bounded at 1,000 states (maxStates)`, `violation: deadlock …`. */
  verdict: string;
  bound: 'maxStates' | 'maxDepth' | 'time' | 'walks' | null;
  scenario: ScenarioSpec;
  mode: ExploreMode;
  /** Random, pct and portfolio modes: iterations, steps, schedules per second, per strategy. */
  sampling?: SamplingFigures;
  states: number;
  transitions: number;
  /** Worlds rebuilt and steps replayed to reach states again, and worlds copied (copyGraph) instead. */
  rebuilds: number;
  replayedSteps: number;
  copies: number;
  /** Kept worlds written as compact snapshots beyond keptWorldBytes. */
  snapshots: number;
  depth: number;
  seconds: number;
  statesPerSecond: number;
  /** Bytes per state of the explorer's tables (states, liveness) and the peak of its kept worlds. */
  bytesPerState: number;
  violations: Counterexample[];
  coverage: Coverage;
  /**
   * The distinct ends of runs: final VM state and each client's statuses (`OFF | A: powerOn=0 suspend=-1907 |
   * B: …`), recorded at terminal states (nothing can step, no timer pending; a stuck call shows as `pending`)
   * and at quiescent ones (every client done, no actor ready, only timers left: halt methods on, see
   * `quiescent` in explorer.ts), in every mode and for any number of workers.
   */
  outcomes: string[];
  reductions: { por: boolean; symmetry: string };
}


export async function explore(input: ScenarioSpec | Scenario, options: ExploreOptions = {}): Promise<ExploreResult> {
  const sampling = options.mode === 'pct' || options.mode === 'portfolio';
  const scenario = isParsedScenario(input) ? input : parseScenario(input, 'scenario', sampling ? CPUS_MAX_SAMPLING : CPUS_MAX);
  // Exhaustive search keys vCPUs and liveness slots in small fixed fields: more vCPUs only by sampling.
  if (!sampling && scenario.cpus > CPUS_MAX) throw new ScenarioError(`scenario.cpus: ${scenario.cpus} vCPUs only with mode 'pct' or 'portfolio' (exhaustive search: 1..${CPUS_MAX})`);
  checkCheckpointOptions(options);
  if (options.thread) {
    const engine = await threadEngine(options);
    if (engine !== undefined) return exploreOnThread(scenario, options, engine);
  }
  const explorer = new Explorer(scenario, options);
  return options.resume === undefined ? explorer.run() : explorer.run().catch(refuseUnreplayable);
}
