/**
 * The explorer's core: the state table, keys, coverage and liveness graph, copying a world (or rebuilding one at
 * a state by replaying its prefix), and recording what a step found. The search strategies (search.ts) drive it.
 */
import { RealClock } from '../time/real-clock.js';
import { statusName } from '../status.js';
import { CoverageSink } from './coverage.js';
import { copyGraph, type CopyOptions } from '../persist/graph.js';
import type { ExploreOptions, ExploreResult, Progress } from './explore.js';
import { BUILT_IN_PROPERTIES } from './invariants/index.js';
import { KeyWriter } from './key-writer.js';
import { LivenessGraph, TIMER_SLOT } from './liveness.js';
import { checkParallelOptions, parallelBreadthFirst } from './parallel.js';
import type { SharedEnd } from './shared-search.js';
import { singletonChoice } from './por.js';
import type { Violation } from './property.js';
import type { ScenarioSpec } from './scenario.js';
import { samplingStrategies, sampleRuns, type SamplingFigures } from './pct.js';
import { breadthFirst, COPY_DEPTH, DEFAULTS, depthFirst, randomWalks } from './search.js';
import { encodeWorld, identityOrder } from './state-key.js';
import { encodeSnapshot } from './snapshot-key.js';
import { StateTable } from './state-table.js';
import { symmetryOf, type Symmetry } from './symmetry.js';
import { counterexampleTrace, livenessMessage } from './trace.js';
import { World, type WorldOptions } from './world.js';
import { SeenFunctions } from './world-snapshot.js';

/** How often the searches yield to the event loop (progress lines, the time limit). */
export const YIELD_NS = 50_000_000;

/** Distinct run ends kept for the result: terminal states, and quiescent ones (only timers left, clients done). */
export const OUTCOMES_MAX = 10_000;

export class Explorer {
  readonly table = new StateTable();
  readonly key = new KeyWriter();
  readonly coverage = new CoverageSink();
  readonly worldOptions: WorldOptions;
  readonly symmetry: Symmetry;
  readonly liveness: LivenessGraph | null;
  readonly clock = new RealClock();
  readonly maxStates: number;
  readonly maxDepth: number;
  readonly por: boolean;
  /** Copies from this depth on (search.ts COPY_DEPTH); user properties' closures cannot be copied: they rebuild. */
  readonly copyDepth: number;
  /** Copy a reduced state's world before its one choice, in case the proviso asks for the rest (unless provisoRebuilds). */
  readonly provisoCopies: boolean;
  transitions = 0;
  rebuilds = 0;
  /** Worlds copied (copyGraph) instead of rebuilt. */
  copies = 0;
  replayedSteps = 0;
  /** The user's functions (invariants, properties) a world holds: shared by copies, named in snapshots. */
  readonly userFunctions = new SeenFunctions();
  /** How copy() copies: user functions by name, the owned declarations verified when asked (verifyOwnership). */
  readonly #copyOptions: CopyOptions;
  /** A world at the root, never stepped: rebuilds start from copies of it (rebuildAlong). */
  #root: World | undefined;
  /** pauseDue() calls, to read the clock every 16th. */
  #polls = 0;
  /** Kept worlds written as snapshots beyond the memory budget, and the most bytes kept worlds held at once. */
  snapshots = 0;
  keptBytesPeak = 0;
  depthReached = 0;
  bound: ExploreResult['bound'] = null;
  readonly outcomes = new Set<string>();
  violation: { violation: Violation; choices: number[]; lassoAt?: number } | null = null;
  lastYieldNs = 0;
  lastProgressNs = 0;
  /** BFS: states waiting; DFS: stack depth (the progress line shows it). */
  frontier = 0;
  /** Sampling modes: runs so far (the progress line shows it instead of states). */
  iterations: number | null = null;
  /** What a resumed run found in its checkpoint: elapsed time continues from it, rates count this run's work. */
  resumed = { seconds: 0, states: 0, transitions: 0 };

  constructor(
    readonly scenario: ScenarioSpec,
    readonly options: ExploreOptions,
  ) {
    this.worldOptions = {
      properties: [...BUILT_IN_PROPERTIES, ...(options.properties ?? [])],
      invariants: options.invariants ?? [],
      coverage: this.coverage,
      ...(options.engine ? { engine: options.engine } : {}),
    };
    this.symmetry = symmetryOf(scenario, options.symmetry ?? true);
    this.liveness = options.liveness ?? true ? new LivenessGraph() : null;
    this.maxStates = options.maxStates ?? DEFAULTS.maxStates;
    this.maxDepth = options.maxDepth ?? DEFAULTS.maxDepth;
    this.por = options.por ?? true;
    this.copyDepth = options.copyDepth ?? (options.properties?.length ? Number.POSITIVE_INFINITY : COPY_DEPTH);
    this.provisoCopies = this.copyDepth === 0 && !options.provisoRebuilds;
    this.#copyOptions = options.verifyOwnership ? { ...this.userFunctions.write, verifyOwnership: true } : this.userFunctions.write;
  }

  async run(): Promise<ExploreResult> {
    const mode = this.options.mode ?? 'bfs';
    const workers = this.options.workers ?? 1;
    if (workers !== 1) await checkParallelOptions(this.options); // throws, naming what cannot go to a worker
    let sampling: SamplingFigures | undefined;
    let shared: SharedEnd | undefined;
    if (mode === 'random') await randomWalks(this);
    else if (mode === 'pct' || mode === 'portfolio') sampling = await sampleRuns(this, samplingStrategies(mode, this.options.pctDepth ?? 3, this.options.seed ?? 1));
    else if (mode === 'dfs') await depthFirst(this);
    else if (workers > 1) shared = (await parallelBreadthFirst(this, workers)).shared;
    else await breadthFirst(this);
    if (shared?.end === 'redo') return this.#redo();
    if (!this.violation && this.liveness && !sampling && mode !== 'random') {
      const lasso = this.liveness.findFairHotCycle(this.table.size);
      if (lasso && shared) return this.#redo(); // its path is the pipeline's to give (shared-search.ts)
      if (lasso) {
        const prefix = this.table.prefix(lasso.start);
        const message = livenessMessage(this.replay(prefix), lasso.cycle.length);
        this.violation = { violation: { property: 'liveness', message }, choices: [...prefix, ...lasso.cycle], lassoAt: prefix.length };
      }
    }
    const result = exploreResult(this, mode);
    if (!sampling) return result;
    // Sampling keeps no state table: its verdict counts runs.
    const runs = `${sampling.iterations.toLocaleString('en-US')} iteration${sampling.iterations === 1 ? '' : 's'}`;
    return { ...result, sampling, ...(result.status === 'bounded' ? { verdict: `bounded after ${runs} (${result.bound}): no violation found so far` } : {}) };
  }

  /** The run again on the pipeline, from the start: the shared-table search could not give its paths (shared-search.ts). Elapsed time counts both. */
  #redo(): Promise<ExploreResult> {
    const again = new Explorer(this.scenario, { ...this.options, sharedTable: false });
    again.resumed = { seconds: this.clock.nowNs() / 1e9, states: 0, transitions: 0 };
    return again.run();
  }

  /** A world at the state `index`: built and replayed along its prefix. */
  rebuild(index: number): World {
    return this.rebuildAlong(this.table.prefix(index));
  }

  /**
   * A copy of `world` at the same state (copyGraph: no rebuild, no replay), collecting coverage as the explorer's
   * worlds do. Breadth-first search expands a state's further choices from copies of the world it took there.
   */
  copy(world: World): World {
    const copy = copyGraph(world, this.#copyOptions);
    copy.attachCoverage(this.coverage);
    this.copies++;
    return copy;
  }

  /**
   * A world built and replayed along `choices`, to expand a state (counted: the search replays). Where worlds may be
   * copied, it starts from a copy of a root world built once (a copy costs a fraction of World.build: race N = 5
   * with reductions, build was 60 % of its proviso's rebuilds).
   */
  rebuildAlong(choices: readonly number[]): World {
    const root = Number.isFinite(this.copyDepth) ? this.copy((this.#root ??= World.build(this.scenario, this.worldOptions))) : undefined;
    const world = this.replay(choices, root);
    this.replayedSteps += world.depth;
    this.rebuilds++;
    return world;
  }

  /** A world built (or `world`, at the root) and replayed along `choices` to report what was found, as a counterexample is (not counted). */
  replay(choices: readonly number[], world = World.build(this.scenario, this.worldOptions)): World {
    world.replaying = true; // coverage was counted when these steps were first taken
    for (const choice of choices) world.step(choice);
    world.replaying = false;
    return world;
  }

  /** The world's key into key.hi / key.lo. */
  hash(world: World): void {
    if (this.options.stateKey === 'snapshot') encodeSnapshot(world, this.key, world.sched.clock.nowNs(), this.symmetry.order(world));
    else encodeWorld(world, this.key, this.symmetry.order(world) ?? identityOrder(world.core.cCpus));
    this.key.hash();
  }

  /** Add the state the world is in (just reached from `parent` by `choice`); -1 when it was known. */
  discover(world: World, parent: number, choice: number, depth: number): number {
    this.hash(world);
    const known = this.table.get(this.key.hi, this.key.lo);
    if (known >= 0) {
      this.liveness?.addEdge(parent, known, choice, world.lastSlot);
      return -1 - known;
    }
    const index = this.table.add(this.key.hi, this.key.lo, parent, choice, depth);
    this.liveness?.addState(index, world.clients.some((c) => c.pending !== null), enabledSlots(world));
    if (parent >= 0) this.liveness?.addEdge(parent, index, choice, world.lastSlot);
    if (depth > this.depthReached) this.depthReached = depth;
    const outcome = endOfRun(world);
    if (outcome !== null && this.outcomes.size < OUTCOMES_MAX) this.outcomes.add(outcome);
    return index;
  }

  /** Record a violation found at the end of `prefix`; true when exploration should stop. */
  check(world: World, prefix: () => number[]): boolean {
    if (!world.violation || this.violation) return !!this.violation;
    this.violation = { violation: world.violation, choices: prefix() };
    return true;
  }

  choices(world: World): number[] {
    const n = world.choiceCount();
    if (this.por) {
      const one = singletonChoice(world);
      if (one >= 0) return [one, -1]; // -1 marks "the rest only if the proviso asks"
    }
    const all: number[] = [];
    for (let i = 0; i < n; i++) all.push(i);
    return all;
  }

  /**
   * Whether pause() would yield now: a cheap test for the hot loops (no promise), so they await pause() only when it
   * is due (an await per state cost ~100 bytes and a microtask). The clock is read every 16th call (`pollMask` 15),
   * or every call (`pollMask` 0) in loops whose one turn is long, such as a sampled run.
   */
  pauseDue(pollMask = 15): boolean {
    return (++this.#polls & pollMask) === 0 && this.clock.nowNs() - this.lastYieldNs >= YIELD_NS;
  }

  /** Yield to the event loop now and then (progress lines, timers); true when the time limit is up. */
  async pause(): Promise<boolean> {
    const now = this.clock.nowNs();
    if (now - this.lastYieldNs < YIELD_NS) return false;
    this.lastYieldNs = now;
    const limit = this.options.timeLimitMs;
    if (limit !== undefined && now > limit * 1e6) {
      this.bound = 'time';
      return true;
    }
    if (this.options.onProgress && now - this.lastProgressNs >= (this.options.progressIntervalMs ?? 250) * 1e6) {
      this.lastProgressNs = now;
      this.options.onProgress(this.progress());
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    return false;
  }

  progress(): Progress {
    const now = this.clock.nowNs() / 1e9;
    const before = this.resumed;
    return {
      states: this.table.size,
      transitions: this.transitions,
      depth: this.depthReached,
      frontier: this.frontier,
      seconds: before.seconds + now,
      statesPerSecond: now > 0 ? (this.table.size - before.states) / now : 0,
      transitionsPerSecond: now > 0 ? (this.transitions - before.transitions) / now : 0,
      heapBytes: process.memoryUsage().heapUsed,
      ...(this.iterations !== null ? { iterations: this.iterations } : {}),
    };
  }

}

/** The fairness slots of the actors that can step in the world's state (and the timer's). */
export function enabledSlots(world: World): number {
  let mask = world.timerChoice() ? 1 << TIMER_SLOT : 0;
  const ready = world.ready();
  for (let i = 0; i < ready.length; i++) mask |= 1 << world.actorSlot(i);
  return mask;
}

/**
 * A run has ended here even if a timer is pending: every client has finished its script (no call in flight, none
 * left to issue) and no actor is ready (no EMT, client or call thread `ext.N`), so only a timer can fire. With
 * halt methods on, idle EMTs sleep with timeouts and a finished run ticks in such states, never terminal. The
 * outcome is final: the statuses are, and the VM state changes only through an EMT acting on work it sleeps with,
 * which `wake-up` reports at this very state unless the EMT was woken for it. A call in flight is never an end.
 */
export function quiescent(world: World): boolean {
  if (world.ready().length > 0) return false;
  for (const client of world.clients) if (!client.done) return false;
  return true;
}

/**
 * Where a run ends (terminal, or quiescent): its outcome, after the end-of-run checks (deadlock, hot monitors),
 * which run only where nothing can happen again. Null elsewhere, and in a world that already failed. Every
 * search (discover, the workers, the key audit) judges a new state by this.
 */
export function endOfRun(world: World): string | null {
  if (world.violation) return null;
  const terminal = world.terminal;
  if (terminal) world.checkTerminal();
  return terminal || quiescent(world) ? outcomeOf(world) : null;
}

/**
 * Whether a world rebuilt at a state shows violation `v` after taking `choice`, judged as a search judges a new
 * state: a world that came by another path reports the table's path only then (search.ts, explore-worker.ts).
 */
export function showsViolation(world: World, choice: number, v: Violation): boolean {
  world.step(choice);
  endOfRun(world);
  return world.violation?.property === v.property && world.violation.message === v.message;
}

/** How a run ended, in words: the VM state and every client's statuses by name. */
export function outcomeOf(world: World): string {
  const clients = world.clients.map((c) => `${c.spec.name}: ${c.spec.calls.map((call, i) => `${call.call}=${i < c.results.length ? statusName(c.results[i]!) : 'pending'}`).join(' ')}`);
  return [world.core.vmState, ...clients].join(' | ');
}

/** The result of a finished (or stopped) exploration. */
export function exploreResult(x: Explorer, mode: ExploreResult['mode']): ExploreResult {
  const progress = x.progress();
  const found = x.violation;
  const violations = found
    ? [
        counterexampleTrace(x.scenario, x.worldOptions, found.violation, found.choices, {
          symmetry: x.symmetry.active,
          ...(found.lassoAt !== undefined ? { lassoAt: found.lassoAt } : {}),
          ...(x.options.mutant ? { mutant: x.options.mutant } : {}),
        }),
      ]
    : [];
  const status = violations.length > 0 ? 'violation' : x.bound ? 'bounded' : 'ok';
  const states = x.table.size.toLocaleString('en-US');
  const verdict =
    status === 'ok'
      ? `ok: ${states} states, every interleaving explored`
      : status === 'bounded'
        ? `bounded at ${states} states (${x.bound}): no violation found so far`
        : `violation: ${violations[0]!.property}: ${violations[0]!.message}`;
  const bytes = x.table.bytes + (x.liveness?.bytes ?? 0) + x.keptBytesPeak;
  return {
    ok: status === 'ok',
    status,
    verdict,
    bound: x.bound,
    scenario: x.scenario,
    mode,
    states: x.table.size,
    transitions: x.transitions,
    rebuilds: x.rebuilds,
    replayedSteps: x.replayedSteps,
    copies: x.copies,
    snapshots: x.snapshots,
    depth: x.depthReached,
    seconds: progress.seconds,
    statesPerSecond: progress.statesPerSecond,
    bytesPerState: x.table.size > 0 ? bytes / x.table.size : 0,
    violations,
    coverage: x.coverage.result(),
    outcomes: [...x.outcomes].sort(),
    reductions: { por: x.por, symmetry: x.symmetry.description },
  };
}
