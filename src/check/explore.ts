/**
 * explore(scenario, options): every interleaving of every actor step of a scenario, over the engine's own
 * machines. A state is identified by the choice prefix that reaches it and remembered by its 64-bit key; to
 * expand a state the explorer rebuilds a world and replays the prefix (worlds cannot be cloned), except that
 * depth-first search keeps stepping the live world and rebuilds only when it backtracks. Breadth-first is the
 * default, so the first counterexample is a shortest one. A run cut short by maxStates, maxDepth or the time
 * limit is "bounded", never "ok".
 */
import { Prng } from '../sched/prng.js';
import { RealClock } from '../time/real-clock.js';
import { statusName } from '../status.js';
import { CoverageSink, type Coverage } from './coverage.js';
import { BUILT_IN_PROPERTIES } from './invariants/index.js';
import { KeyWriter } from './key-writer.js';
import { LivenessGraph, TIMER_SLOT } from './liveness.js';
import { singletonChoice } from './por.js';
import type { PropertyDef, UserInvariant, Violation } from './property.js';
import { parseScenario, type Scenario, type ScenarioInput } from './scenario.js';
import { encodeWorld, identityOrder } from './state-key.js';
import { StateTable } from './state-table.js';
import { symmetryOf, type Symmetry } from './symmetry.js';
import { counterexampleTrace, livenessMessage, type Counterexample } from './trace.js';
import { World, type EngineVariant, type WorldOptions } from './world.js';

export interface ExploreOptions {
  /** 'bfs' (default: shortest counterexamples), 'dfs', or 'random' walks. */
  mode?: 'bfs' | 'dfs' | 'random';
  maxStates?: number;
  maxDepth?: number;
  /** Stop after this much wall time (the result is then bounded). */
  timeLimitMs?: number;
  /** Partial-order reduction (default on). */
  por?: boolean;
  /** Symmetry reduction over interchangeable vCPUs, applied only where sound (default on). */
  symmetry?: boolean;
  /** Look for fair cycles that keep a call pending (default on). */
  liveness?: boolean;
  /** Random mode: number of walks and their seed. */
  walks?: number;
  seed?: number;
  /** User invariants over the read-only view. */
  invariants?: readonly UserInvariant[];
  /** Extra properties (monitors) next to the built-in ones. */
  properties?: readonly PropertyDef[];
  /** Tests only: a deliberately broken engine (src/check/mutants.ts), and its name for traces. */
  engine?: EngineVariant;
  mutant?: string;
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
  /** Breadth-first: worlds kept at frontier states so expanding them needs no rebuild (memory for speed). */
  parkedWorlds?: number;
}

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  frontier: number;
  seconds: number;
  statesPerSecond: number;
  heapBytes: number;
}

export interface ExploreResult {
  /** True only when every state was explored and no property failed. */
  ok: boolean;
  status: 'ok' | 'violation' | 'bounded';
  /** `ok: 1,234 states`, `bounded at 1,000 states (maxStates)`, `violation: deadlock …`. */
  verdict: string;
  bound: 'maxStates' | 'maxDepth' | 'time' | 'walks' | null;
  scenario: Scenario;
  mode: 'bfs' | 'dfs' | 'random';
  states: number;
  transitions: number;
  /** Worlds rebuilt and steps replayed to reach states again (the price of not cloning worlds). */
  rebuilds: number;
  replayedSteps: number;
  depth: number;
  seconds: number;
  statesPerSecond: number;
  /** Bytes of the explorer's own tables per state (the heap figure is measured by the bench). */
  bytesPerState: number;
  violations: Counterexample[];
  coverage: Coverage;
  /** The distinct ends of runs: final VM state and each client's statuses (`OFF | A: powerOn=0 suspend=-1907 | B: …`). */
  outcomes: string[];
  reductions: { por: boolean; symmetry: string };
}

const DEFAULTS = { maxStates: 2_000_000, maxDepth: 5_000, walks: 1_000 };
/** Breadth-first search parks at most this many worlds at frontier states by default (about 30 KB each). */
const PARKED_WORLDS_MAX = 4096;
const OUTCOMES_MAX = 10_000;

export async function explore(input: Scenario | ScenarioInput, options: ExploreOptions = {}): Promise<ExploreResult> {
  const explorer = new Explorer(isParsed(input) ? input : parseScenario(input), options);
  return explorer.run();
}

const isParsed = (input: Scenario | ScenarioInput): input is Scenario =>
  Array.isArray(input.clients) && input.clients.every((c) => !Array.isArray(c) && typeof (c as { name?: unknown }).name === 'string') &&
  typeof (input as Scenario).guest === 'string' && typeof (input as Scenario).timers === 'string';

class Explorer {
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
  transitions = 0;
  rebuilds = 0;
  replayedSteps = 0;
  depthReached = 0;
  bound: ExploreResult['bound'] = null;
  readonly outcomes = new Set<string>();
  violation: { violation: Violation; choices: number[]; lassoAt?: number } | null = null;
  #lastYieldNs = 0;
  #lastProgressNs = 0;
  #frontier = 0;

  constructor(
    readonly scenario: Scenario,
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
  }

  async run(): Promise<ExploreResult> {
    const mode = this.options.mode ?? 'bfs';
    if (mode === 'random') await this.#random();
    else if (mode === 'dfs') await this.#dfs();
    else await this.#bfs();
    if (!this.violation && this.liveness && mode !== 'random') {
      const lasso = this.liveness.findFairHotCycle(this.table.size);
      if (lasso) {
        const prefix = this.table.prefix(lasso.start);
        const message = livenessMessage(this.rebuild(lasso.start), lasso.cycle.length);
        this.violation = { violation: { property: 'liveness', message }, choices: [...prefix, ...lasso.cycle], lassoAt: prefix.length };
      }
    }
    return this.#result(mode);
  }

  /** A world at the state `index`: built and replayed along its prefix. */
  rebuild(index: number): World {
    const world = World.build(this.scenario, this.worldOptions);
    world.replaying = true; // coverage was counted when these steps were first taken
    for (const choice of this.table.prefix(index)) world.step(choice);
    world.replaying = false;
    this.replayedSteps += world.depth;
    this.rebuilds++;
    return world;
  }

  /** The world's key into key.hi / key.lo. */
  hash(world: World): void {
    encodeWorld(world, this.key, this.symmetry.order(world) ?? identityOrder(world.core.cCpus));
    this.key.hash();
  }

  /** Add the state the world is in (just reached from `parent` by `choice`); -1 when it was known. */
  #discover(world: World, parent: number, choice: number, depth: number): number {
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
    if (!world.violation && world.terminal) {
      world.checkTerminal();
      if (this.outcomes.size < OUTCOMES_MAX) this.outcomes.add(outcomeOf(world));
    }
    return index;
  }

  /** Record a violation found at the end of `prefix`; true when exploration should stop. */
  #check(world: World, prefix: () => number[]): boolean {
    if (!world.violation || this.violation) return !!this.violation;
    this.violation = { violation: world.violation, choices: prefix() };
    return true;
  }

  #choices(world: World): number[] {
    const n = world.choiceCount();
    if (this.por) {
      const one = singletonChoice(world);
      if (one >= 0) return [one, -1]; // -1 marks "the rest only if the proviso asks"
    }
    return Array.from({ length: n }, (_, i) => i);
  }

  async #bfs(): Promise<void> {
    const root = World.build(this.scenario, this.worldOptions);
    this.#discover(root, -1, 0, 0);
    if (this.#check(root, () => [])) return;
    // Worlds left at newly found states, so popping such a state costs no rebuild (FIFO: oldest used first).
    const parked = new Map<number, World>([[0, root]]);
    const parkedMax = this.options.parkedWorlds ?? PARKED_WORLDS_MAX;
    for (let head = 0; head < this.table.size; head++) {
      this.#frontier = this.table.size - head;
      if (await this.#pause()) return;
      const depth = this.table.depth[head]!;
      let world = parked.get(head);
      parked.delete(head);
      if (depth >= this.maxDepth) {
        this.bound ??= 'maxDepth';
        continue;
      }
      world ??= this.rebuild(head);
      const choices = this.#choices(world);
      const all = world.choiceCount();
      for (let k = 0; k < choices.length; k++) {
        const choice = choices[k]!;
        if (choice === -1) break;
        if (!world) world = this.rebuild(head);
        world.step(choice);
        this.transitions++;
        const found = this.#discover(world, head, choice, depth + 1);
        if (this.#check(world, () => [...this.table.prefix(head), choice])) return;
        if (found >= 0 && parked.size < parkedMax) parked.set(found, world);
        world = undefined;
        // Proviso: a reduced state whose one successor is already known is expanded fully.
        if (choices[1] === -1 && k === 0 && found < 0) {
          choices.length = 0;
          for (let i = 0; i < all; i++) if (i !== choice) choices.push(i);
          k = -1;
        }
        if (this.table.size >= this.maxStates) {
          this.bound = 'maxStates';
          return;
        }
      }
    }
  }

  async #dfs(): Promise<void> {
    let live = World.build(this.scenario, this.worldOptions);
    let liveAt = this.#discover(live, -1, 0, 0);
    if (this.#check(live, () => [])) return;
    const stack: { index: number; choices: number[]; next: number; reduced: boolean }[] = [];
    const push = (index: number, world: World) => {
      const choices = this.table.depth[index]! >= this.maxDepth ? [] : this.#choices(world);
      if (choices.length === 0 && this.table.depth[index]! >= this.maxDepth) this.bound ??= 'maxDepth';
      const reduced = choices[1] === -1;
      if (reduced) choices.length = 1;
      stack.push({ index, choices, next: 0, reduced });
    };
    push(0, live);
    const path = (): number[] => this.table.prefix(stack[stack.length - 1]!.index);
    while (stack.length > 0) {
      this.#frontier = stack.length;
      if (await this.#pause()) return;
      const top = stack[stack.length - 1]!;
      if (top.next >= top.choices.length) {
        stack.pop();
        continue;
      }
      const choice = top.choices[top.next++]!;
      if (liveAt !== top.index) live = this.rebuild(top.index);
      const all = live.choiceCount();
      live.step(choice);
      this.transitions++;
      const found = this.#discover(live, top.index, choice, this.table.depth[top.index]! + 1);
      if (this.#check(live, () => [...path(), choice])) return;
      if (top.reduced && found < 0) {
        top.reduced = false;
        for (let i = 0; i < all; i++) if (i !== choice) top.choices.push(i);
      }
      if (this.table.size >= this.maxStates) {
        this.bound = 'maxStates';
        return;
      }
      liveAt = found;
      if (found >= 0) push(found, live);
    }
  }

  async #random(): Promise<void> {
    const prng = new Prng(this.options.seed ?? 1);
    const walks = this.options.walks ?? DEFAULTS.walks;
    for (let walk = 0; walk < walks; walk++) {
      const world = World.build(this.scenario, this.worldOptions);
      let at = this.#discover(world, -1, 0, 0);
      at = at < 0 ? -1 - at : at;
      const choices: number[] = [];
      if (this.#check(world, () => [])) return;
      while (world.depth < this.maxDepth) {
        if (await this.#pause()) return;
        const n = world.choiceCount();
        if (n === 0) break;
        const choice = prng.int(n);
        world.step(choice);
        choices.push(choice);
        this.transitions++;
        const found = this.#discover(world, at, choice, world.depth);
        at = found < 0 ? -1 - found : found;
        if (this.#check(world, () => [...choices])) return;
        if (this.table.size >= this.maxStates) {
          this.bound = 'maxStates';
          return;
        }
      }
      if (world.depth >= this.maxDepth) this.bound ??= 'maxDepth';
    }
    this.bound ??= 'walks';
  }

  /** Yield to the event loop now and then (progress lines, timers); true when the time limit is up. */
  async #pause(): Promise<boolean> {
    const now = this.clock.nowNs();
    if (now - this.#lastYieldNs < 50_000_000) return false;
    this.#lastYieldNs = now;
    const limit = this.options.timeLimitMs;
    if (limit !== undefined && now > limit * 1e6) {
      this.bound = 'time';
      return true;
    }
    if (this.options.onProgress && now - this.#lastProgressNs >= (this.options.progressIntervalMs ?? 250) * 1e6) {
      this.#lastProgressNs = now;
      this.options.onProgress(this.#progress());
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    return false;
  }

  #progress(): Progress {
    const seconds = this.clock.nowNs() / 1e9;
    return {
      states: this.table.size,
      transitions: this.transitions,
      depth: this.depthReached,
      frontier: this.#frontier,
      seconds,
      statesPerSecond: seconds > 0 ? this.table.size / seconds : 0,
      heapBytes: process.memoryUsage().heapUsed,
    };
  }

  #result(mode: ExploreResult['mode']): ExploreResult {
    const progress = this.#progress();
    const found = this.violation;
    const violations = found
      ? [
          counterexampleTrace(this.scenario, this.worldOptions, found.violation, found.choices, {
            symmetry: this.symmetry.active,
            ...(found.lassoAt !== undefined ? { lassoAt: found.lassoAt } : {}),
            ...(this.options.mutant ? { mutant: this.options.mutant } : {}),
          }),
        ]
      : [];
    const status = violations.length > 0 ? 'violation' : this.bound ? 'bounded' : 'ok';
    const states = this.table.size.toLocaleString('en-US');
    const verdict =
      status === 'ok'
        ? `ok: ${states} states, every interleaving explored`
        : status === 'bounded'
          ? `bounded at ${states} states (${this.bound}): no violation found so far`
          : `violation: ${violations[0]!.property}: ${violations[0]!.message}`;
    const bytes = this.table.bytes + (this.liveness?.bytes ?? 0);
    return {
      ok: status === 'ok',
      status,
      verdict,
      bound: this.bound,
      scenario: this.scenario,
      mode,
      states: this.table.size,
      transitions: this.transitions,
      rebuilds: this.rebuilds,
      replayedSteps: this.replayedSteps,
      depth: this.depthReached,
      seconds: progress.seconds,
      statesPerSecond: progress.statesPerSecond,
      bytesPerState: this.table.size > 0 ? bytes / this.table.size : 0,
      violations,
      coverage: this.coverage.result(),
      outcomes: [...this.outcomes].sort(),
      reductions: { por: this.por, symmetry: this.symmetry.description },
    };
  }
}

/** The fairness slots of the actors that can step in the world's state (and the timer's). */
function enabledSlots(world: World): number {
  let mask = world.timerChoice() ? 1 << TIMER_SLOT : 0;
  const ready = world.ready();
  for (let i = 0; i < ready.length; i++) mask |= 1 << world.actorSlot(i);
  return mask;
}

/** How a run ended, in words: the VM state and every client's statuses by name. */
export function outcomeOf(world: World): string {
  const clients = world.clients.map((c) => `${c.spec.name}: ${c.spec.calls.map((call, i) => `${call.call}=${i < c.results.length ? statusName(c.results[i]!) : 'pending'}`).join(' ')}`);
  return [world.core.vmState, ...clients].join(' | ');
}
