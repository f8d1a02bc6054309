/**
 * Sampling strategies for scenarios too large to exhaust (16–64 vCPUs): Coyote/P's priority-based strategy, PCT
 * (Burckhardt et al., "A randomized scheduler with probabilistic guarantees of finding bugs", ASPLOS 2010), and a
 * portfolio of PCT runs of several bug depths and random walks. Each iteration builds a fresh world and drives the
 * real engine through the deterministic scheduler's choice port (World.step, as random walks do) until the run
 * ends; a violation is reported by its choices, so its counterexample replays like any other.
 *
 * PCT: every actor (EMT, client, call thread, the timer) gets a random distinct priority when first seen, and
 * d − 1 change points are drawn uniformly over the estimated run length k (the longest run seen so far). At each
 * step the highest-priority enabled actor runs; at the i-th change point that actor drops to priority −i, below
 * every other. A bug of depth d is found with probability at least 1/(n·k^(d−1)) per run. A run that cycles
 * fairly with a call in flight is a liveness counterexample (run-lasso.ts), with the lasso BFS would report.
 */
import { Prng } from '../sched/prng.js';
import type { Explorer } from './explorer.js';
import { endOfRun, OUTCOMES_MAX } from './explorer.js';
import { choiceActor, RunLasso } from './run-lasso.js';
import { DEFAULTS } from './search.js';
import { livenessMessage } from './trace.js';
import { World } from './world.js';

/** A strategy's chooser for one run: the choice index (an actor of world.ready(), or the timer) to take next. */
type Chooser = (world: World) => number;

export interface SamplingStrategy {
  /** `pct(d=3)`, `random`. */
  readonly name: string;
  /** A chooser for the next run (the strategy keeps its own PRNG and what it learnt, e.g. the run length). */
  run(): Chooser;
  /** The run just ended after `steps` steps. */
  ended(steps: number): void;
}

/** Per strategy of a sampling search: runs taken and, when it found the violation, at which run. */
export interface StrategyFigures {
  name: string;
  iterations: number;
  steps: number;
  foundAt: number | null;
}

/** The figures of a sampling search (random walks, PCT, portfolio), like `p check` reports them. */
export interface SamplingFigures {
  iterations: number;
  steps: number;
  schedulesPerSecond: number;
  /** The iteration (1-based, over every strategy) that found the violation; null when none did. */
  foundAt: number | null;
  strategies: StrategyFigures[];
}

/** The default bug depths of a portfolio's PCT members (d = 1 is plain priority order). */
export const PORTFOLIO_DEPTHS = [1, 2, 3, 5, 10];
/** PCT's run-length estimate before any run ended. */
const INITIAL_RUN_LENGTH = 100;

export function pctStrategy(depth: number, seed: number): SamplingStrategy {
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`PCT bug depth must be an integer >= 1 (got ${depth})`);
  const prng = new Prng(seed);
  let k = INITIAL_RUN_LENGTH;
  return {
    name: `pct(d=${depth})`,
    run() {
      const priority = new Map<string, number>();
      const changes = new Set<number>();
      while (changes.size < Math.min(depth - 1, k)) changes.add(prng.int(k));
      let step = 0;
      let lowered = 0;
      const priorityOf = (id: string) => {
        let p = priority.get(id);
        if (p === undefined) priority.set(id, (p = 1 + prng.next())); // above every lowered actor (<= -1)
        return p;
      };
      return (world) => {
        const ids = world.ready().map((a) => a.id);
        if (world.timerChoice()) ids.push('timer');
        let best = 0;
        for (let i = 1; i < ids.length; i++) if (priorityOf(ids[i]!) > priorityOf(ids[best]!)) best = i;
        if (changes.has(step++) && ids.length > 0) {
          priority.set(ids[best]!, -++lowered);
          best = 0;
          for (let i = 1; i < ids.length; i++) if (priorityOf(ids[i]!) > priorityOf(ids[best]!)) best = i;
        }
        return best;
      };
    },
    ended(steps) {
      if (steps > k) k = steps;
    },
  };
}

export function randomStrategy(seed: number): SamplingStrategy {
  const prng = new Prng(seed);
  return { name: 'random', run: () => (world) => prng.int(world.choiceCount()), ended: () => {} };
}

/** The strategies of a mode: PCT of one depth, or the portfolio (PCT of PORTFOLIO_DEPTHS, then random walks). */
export function samplingStrategies(mode: 'pct' | 'portfolio', depth: number, seed: number): SamplingStrategy[] {
  if (mode === 'pct') return [pctStrategy(depth, seed)];
  return [...PORTFOLIO_DEPTHS.map((d, i) => pctStrategy(d, seed + i)), randomStrategy(seed + PORTFOLIO_DEPTHS.length)];
}

/**
 * Runs of the strategies in turn (round robin, so a portfolio is deterministic on one thread) until a violation,
 * the iteration budget (`walks`) or the time limit. A run ends where nothing can happen again but timers
 * (endOfRun: terminal or quiescent, after the end-of-run checks), at a violation, or at maxDepth.
 */
export async function sampleRuns(x: Explorer, strategies: readonly SamplingStrategy[]): Promise<SamplingFigures> {
  const budget = x.options.walks ?? DEFAULTS.walks;
  const figures: SamplingFigures = {
    iterations: 0, steps: 0, schedulesPerSecond: 0, foundAt: null,
    strategies: strategies.map((s) => ({ name: s.name, iterations: 0, steps: 0, foundAt: null })),
  };
  const started = x.clock.nowNs();
  const done = () => {
    const seconds = (x.clock.nowNs() - started) / 1e9;
    figures.schedulesPerSecond = seconds > 0 ? figures.iterations / seconds : 0;
    return figures;
  };
  for (let run = 0; run < budget; run++) {
    if (x.pauseDue(0) && (await x.pause())) return done(); // a run is long: read the clock at each
    const s = run % strategies.length;
    const own = figures.strategies[s]!;
    const choose = strategies[s]!.run();
    const world = World.build(x.scenario, { ...x.worldOptions, observeCreation: run === 0 });
    const choices: number[] = [];
    const lasso = x.liveness ? new RunLasso() : null;
    let lassoAt = -1;
    while (!world.violation && world.depth < x.maxDepth && lassoAt < 0) {
      const outcome = endOfRun(world);
      if (outcome !== null) {
        if (x.outcomes.size < OUTCOMES_MAX) x.outcomes.add(outcome);
        break;
      }
      if (world.violation || world.choiceCount() === 0) break;
      const choice = choose(world);
      const actor = lasso && choices.length + 1 >= lasso.from ? choiceActor(world, choice) : '';
      world.step(choice);
      choices.push(choice);
      if (lasso && !world.violation) lassoAt = lasso.note(x, world, choices.length, actor);
    }
    if (lassoAt >= 0 && !x.violation) {
      x.violation = { violation: { property: 'liveness', message: livenessMessage(world, choices.length - lassoAt) }, choices, lassoAt };
    }
    if (!world.violation && lassoAt < 0 && world.depth >= x.maxDepth) x.bound ??= 'maxDepth';
    x.transitions += choices.length;
    if (choices.length > x.depthReached) x.depthReached = choices.length;
    strategies[s]!.ended(choices.length);
    x.iterations = ++figures.iterations;
    figures.steps += choices.length;
    own.iterations++;
    own.steps += choices.length;
    if (x.check(world, () => choices) || lassoAt >= 0) {
      figures.foundAt = figures.iterations;
      own.foundAt = own.iterations;
      return done();
    }
  }
  x.bound ??= 'walks';
  return done();
}
