/**
 * What expanding a model-checker state costs when its world is rebuilt (World.build: createVMM, VMR3Create to
 * CREATED through the engine's own steps) and the state's prefix replayed, as the default search still does
 * nearer the root than copyDepth (copies instead: bench/check-copies.ts); build time and the cost of one engine
 * step set its speed. Reports:
 * - build: milliseconds per World.build of the race (A: powerOn → suspend, B: powerOff; 4 vCPUs);
 * - step: microseconds per World.step, over seeded random runs from CREATED to the end;
 * (the medians of several rounds: other processes on the machine make single rounds noisy);
 * - the N = 4 race explored breadth-first with every reduction off (liveness off): states, transitions,
 *   rebuilds, replayed steps, seconds and states/s.
 *
 * Run: `npx tsx bench/check-rebuild.ts [rounds] [runs]`, or on the build `node dist/bench/check-rebuild.js`.
 */
import { pathToFileURL } from 'node:url';
import { explore } from '../src/check/explore.js';
import { BUILT_IN_PROPERTIES } from '../src/check/invariants/index.js';
import { parseScenario, type Scenario } from '../src/check/scenario.js';
import { World, type WorldOptions } from '../src/check/world.js';
import { Prng } from '../src/sched/prng.js';
import { RealClock } from '../src/time/real-clock.js';

export interface RebuildBenchResult {
  buildMs: number;
  stepUs: number;
  buildCpuMs: number;
  stepCpuUs: number;
  stepsPerRun: number;
  race: {
    states: number; transitions: number; rebuilds: number; replayedSteps: number; seconds: number; statesPerSecond: number; cpuSeconds: number;
    verdict: string;
  };
}

const RACE: Scenario = {
  cpus: 4,
  clients: [
    { name: 'A', calls: [{ call: 'powerOn' }, { call: 'suspend' }] },
    { name: 'B', calls: [{ call: 'powerOff' }] },
  ],
};

const clock = new RealClock();

/** CPU time of this process in ns (user + system): steadier than wall time on a shared machine. */
const cpuNs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1000;
};

interface RoundFigures {
  buildMs: number;
  stepUs: number;
  buildCpuMs: number;
  stepCpuUs: number;
  steps: number;
}

/**
 * Build and run `runs` worlds to their end, choices picked by a seeded PRNG; the time of each build and of each
 * run's steps is taken apart (garbage left by a build may be collected during steps: the two add up).
 */
function timeRuns(options: WorldOptions, runs: number, seed: number): RoundFigures {
  const scenario = parseScenario(RACE);
  const prng = new Prng(seed);
  let steps = 0;
  let buildNs = 0;
  let stepNs = 0;
  let buildCpu = 0;
  let stepCpu = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = cpuNs();
    const t0 = clock.nowNs();
    const world = World.build(scenario, options);
    const t1 = clock.nowNs();
    const c1 = cpuNs();
    for (let n = world.choiceCount(); n > 0 && !world.violation; n = world.choiceCount()) {
      world.step(prng.int(n));
      steps++;
    }
    const c2 = cpuNs();
    const t2 = clock.nowNs();
    buildNs += t1 - t0;
    stepNs += t2 - t1;
    buildCpu += c1 - c0;
    stepCpu += c2 - c1;
  }
  return { buildMs: buildNs / 1e6 / runs, stepUs: stepNs / 1e3 / steps, buildCpuMs: buildCpu / 1e6 / runs, stepCpuUs: stepCpu / 1e3 / steps, steps };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function main(rounds = 7, runs = 1000): Promise<RebuildBenchResult> {
  const options: WorldOptions = { properties: BUILT_IN_PROPERTIES };
  timeRuns(options, runs, 7); // warm-up (JIT, machine memos)
  const results = Array.from({ length: rounds }, (_, round) => timeRuns(options, runs, round + 1));
  const buildMs = median(results.map((r) => r.buildMs));
  const stepUs = median(results.map((r) => r.stepUs));
  const buildCpuMs = median(results.map((r) => r.buildCpuMs));
  const stepCpuUs = median(results.map((r) => r.stepCpuUs));
  const stepsPerRun = results.reduce((sum, r) => sum + r.steps, 0) / (rounds * runs);
  console.log(`World.build (4 vCPUs, VMR3Create to CREATED): ${buildMs.toFixed(3)} ms wall, ${buildCpuMs.toFixed(3)} ms CPU (medians of ${rounds} rounds of ${runs})`);
  console.log(`World.step: ${stepUs.toFixed(2)} µs wall, ${stepCpuUs.toFixed(2)} µs CPU (medians; ${stepsPerRun.toFixed(1)} steps per seeded run)`);

  const cpuBefore = cpuNs();
  const result = await explore(RACE, { por: false, symmetry: false, liveness: false, timeLimitMs: 120_000 });
  const race = {
    states: result.states,
    transitions: result.transitions,
    rebuilds: result.rebuilds,
    replayedSteps: result.replayedSteps,
    seconds: result.seconds,
    statesPerSecond: result.statesPerSecond,
    cpuSeconds: (cpuNs() - cpuBefore) / 1e9,
    verdict: result.status,
  };
  console.log(
    `N = 4 race, BFS, reductions off: ${result.status}, ${race.states} states, ${race.transitions} transitions, ${race.rebuilds} rebuilds, ` +
      `${race.replayedSteps} replayed steps, ${race.seconds.toFixed(2)} s, ${race.statesPerSecond.toFixed(0)} states/s ` +
      `(CPU ${race.cpuSeconds.toFixed(2)} s, ${(race.states / race.cpuSeconds).toFixed(0)} states/s)`,
  );
  return { buildMs, stepUs, buildCpuMs, stepCpuUs, stepsPerRun, race };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(Number(process.argv[2] ?? 7), Number(process.argv[3] ?? 1000));
}
