/**
 * What a live save costs the model checker (issue 17, the saved-state scenario): Save ∥ Suspend ∥ PowerOff on
 * 2 vCPUs with timers any, explored breadth-first with the default reductions (and, with `off`, without them),
 * beside the race (powerOn → suspend ∥ powerOff, 4 vCPUs, reductions off): seconds, CPU seconds and states per
 * second of each. Then one world of the scenario on the path that runs the save first, half-way through the live
 * passes: its objects, µs per copyGraph (dropped at once, and kept as a frontier keeps them), and µs per engine
 * step before the save and while it runs. CPU times (process.cpuUsage) are steadier than wall time on a shared
 * machine; the figures are medians of batches.
 *
 * Run: `npx tsx bench/check-save.ts [off]`, or on the build `node dist/bench/check-save.js`.
 */
import { pathToFileURL } from 'node:url';
import { explore, type ExploreOptions } from '../src/check/explore.js';
import { disablePretenuring } from '../src/check/gc-tuning.js';
import { parseScenario } from '../src/check/scenario.js';
import { World } from '../src/check/world.js';
import { copyGraph, writeGraph } from '../src/persist/graph.js';

export const SAVE_SCENARIO = '{"cpus":2,"timers":"any","clients":[["powerOn","save"],["suspend"],["powerOff"]]}';
const RACE = '{"cpus":4,"clients":[["powerOn","suspend"],["powerOff"]]}';
const REDUCTIONS_OFF: ExploreOptions = { por: false, symmetry: false };

const cpuUs = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** Median µs of CPU time per call, over `rounds` batches of `batch` calls. */
function medianUs(fn: () => unknown, rounds: number, batch = 20): number {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = cpuUs();
    for (let i = 0; i < batch; i++) fn();
    samples.push((cpuUs() - t0) / batch);
  }
  samples.sort((a, b) => a - b);
  return Math.round(samples[samples.length >> 1]! * 10) / 10;
}

export interface ExploreFigures {
  states: number;
  transitions: number;
  seconds: number;
  cpuSeconds: number;
  statesPerSecond: number;
  statesPerCpuSecond: number;
}

async function timed(json: string, options: ExploreOptions): Promise<ExploreFigures> {
  const c0 = cpuUs();
  const t0 = performance.now();
  const result = await explore(parseScenario(JSON.parse(json)), options);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = (cpuUs() - c0) / 1e6;
  if (!result.ok) throw new Error(`${json}: ${result.verdict}`);
  return { states: result.states, transitions: result.transitions, seconds, cpuSeconds, statesPerSecond: result.states / seconds, statesPerCpuSecond: result.states / cpuSeconds };
}

const line = (label: string, f: ExploreFigures): string =>
  `${label.padEnd(34)} ${String(f.states).padStart(6)} states ${String(f.transitions).padStart(6)} transitions  ${f.seconds.toFixed(2).padStart(6)} s (${f.cpuSeconds.toFixed(2)} s CPU)  ${f.statesPerSecond.toFixed(0).padStart(5)} states/s (${f.statesPerCpuSecond.toFixed(0)} per CPU s)`;

export interface MidSaveFigures {
  objects: number;
  copyUs: number;
  copyKeptUs: number;
  stepUsBeforeSave: number;
  stepUsDuringSave: number;
}

/** The save scenario's world on the path that runs client A (powerOn, save) first, timers when nothing else is ready. */
export function midSave(rounds = 50): MidSaveFigures {
  const spec = parseScenario(JSON.parse(SAVE_SCENARIO));
  const later = new Set(['client.B', 'client.C']);
  const pick = (w: World): number => {
    const ids = w.ready().map((actor) => (actor as { id?: string }).id ?? '');
    const next = ids.findIndex((id) => !later.has(id));
    return next >= 0 ? next : ids.length < w.choiceCount() ? ids.length : 0;
  };
  const run = (steps: number): World => {
    const w = World.build(spec, { properties: [] });
    for (let i = 0; i < steps && !w.terminal; i++) w.step(pick(w));
    return w;
  };
  const live: number[] = [];
  for (let i = 0, w = World.build(spec, { properties: [] }); !w.terminal; i++, w.step(pick(w))) if (w.core.vmState === 'RUNNING_LS') live.push(i);
  const first = live[0]!;
  const last = live[live.length - 1]!;
  const world = run(live[live.length >> 1]!);
  const kept: unknown[] = [];
  let at = 0;
  const buildUs = medianUs(() => run(0), rounds);
  const toFirst = medianUs(() => run(first), rounds);
  const toLast = medianUs(() => run(last), rounds);
  return {
    objects: writeGraph(world).objects.length,
    copyUs: medianUs(() => copyGraph(world), rounds * 4),
    copyKeptUs: medianUs(() => (kept[at++ & 255] = copyGraph(world)), rounds * 4),
    stepUsBeforeSave: Math.round(((toFirst - buildUs) / first) * 10) / 10,
    stepUsDuringSave: Math.round(((toLast - toFirst) / (last - first)) * 10) / 10,
  };
}

export async function main(reductionsOff = false): Promise<void> {
  disablePretenuring(); // as the CLI does
  console.log(line('save ∥ suspend ∥ powerOff (on)', await timed(SAVE_SCENARIO, {})));
  if (reductionsOff) console.log(line('save ∥ suspend ∥ powerOff (off)', await timed(SAVE_SCENARIO, REDUCTIONS_OFF)));
  console.log(line('race, 4 vCPUs (reductions off)', await timed(RACE, REDUCTIONS_OFF)));
  const mid = midSave();
  console.log(`mid-save world: ${mid.objects} objects, copy ${mid.copyUs} µs (kept: ${mid.copyKeptUs} µs), step ${mid.stepUsBeforeSave} µs before the save, ${mid.stepUsDuringSave} µs during it (CPU)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv[2] === 'off');
