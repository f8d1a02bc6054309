/**
 * The pair test (issue 12, "Tests"): a checker world is data. For states the suite's scenarios reach, the world
 * is written (writeGraph) → JSON.stringify → JSON.parse → read (readGraph), and the restored world and the
 * original (rebuilt by replaying its prefix: an independent path) take every enabled choice and then the same
 * seeded run to its end; step by step they must show the same ready actors, timer choice, engine events,
 * client statuses, VM state and violation, and the same outcome at the end. A field the snapshot forgets
 * (a real state field marked transient, a `#private` field, a closure's captured local) shows as a difference.
 * The same at random points of a demo-like run (4 vCPUs, halt methods on, the demo's lifecycle) on the virtual
 * clock. States are sampled evenly over breadth-first order to keep the suite fast; every scenario is covered.
 */
import { describe, expect, it } from 'vitest';
import { Explorer, outcomeOf } from '../../src/check/explorer.js';
import { packWorld, unpackWorld } from '../../src/check/world-pack.js';
import { breadthFirst } from '../../src/check/search.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { Prng } from '../../src/sched/prng.js';
import { readGraph, writeGraph } from '../../src/persist/graph.js';
import type { VmTraceEvent } from '../../src/vmm/vm-core.js';
import { SUITE_SCENARIOS } from './suite-scenarios.js';

const SCENARIOS = SUITE_SCENARIOS;

/** States sampled per scenario, and the length a continuation is cut at (halt methods tick forever). */
const SAMPLES = 40;
const RUN_MAX = 60;

/** What one step of a world shows. */
function observe(world: World, events: string[]): string {
  const ready = world.ready().map((a) => a.id).join(',');
  const clients = world.clients.map((c) => `${c.position}:${c.pending?.label ?? '-'}:${c.results.join('/')}`).join(' ');
  const violation = world.violation ? `${world.violation.property}: ${world.violation.message}` : '';
  const seen = events.splice(0).join('\n    ');
  return `ready [${ready}]${world.timerChoice() ? ' +timer' : ''} | ${world.core.vmState} | ${clients} | ${violation}\n    ${seen}`;
}

function listen(world: World): string[] {
  const events: string[] = [];
  world.core.listeners.add((event: VmTraceEvent) => events.push(JSON.stringify(event)));
  return events;
}

/** Step `world` by `first`, then by the seeded choices, until it ends; the trace of what each step showed. */
function run(world: World, first: number, seed: number): string[] {
  const events = listen(world);
  const prng = new Prng(seed);
  const trace: string[] = [];
  world.step(first);
  trace.push(observe(world, events));
  for (let i = 0; i < RUN_MAX && !world.violation && world.choiceCount() > 0; i++) {
    world.step(prng.int(world.choiceCount()));
    trace.push(observe(world, events));
  }
  if (world.terminal) world.checkTerminal();
  trace.push(`end: ${outcomeOf(world)} | ${world.violation?.message ?? ''}`);
  return trace;
}

/** The world written to JSON text, and read back from that text. */
function roundTrip(world: World, forget?: (restored: World) => void): World {
  const text = JSON.stringify(writeGraph(world));
  const restored = readGraph<World>(JSON.parse(text));
  forget?.(restored);
  return restored;
}

/** The world packed into bytes (world-pack.ts, how frontier states travel to worker threads) and unpacked. */
function packTrip(world: World, forget?: (restored: World) => void): World {
  const restored = unpackWorld(packWorld(world));
  expect(JSON.stringify(writeGraph(restored)), 'packed → unpacked writes as JSON → read does').toBe(JSON.stringify(writeGraph(roundTrip(world))));
  forget?.(restored);
  return restored;
}

/** The first step where two traces part, or null. */
function firstDifference(a: string[], b: string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `step ${i}:\n  original: ${a[i]}\n  restored: ${b[i]}`;
  }
  return null;
}

/** Pair-test states `indices` of an explored scenario along every enabled choice; the differences found. */
function pairStates(x: Explorer, indices: readonly number[], forget?: (restored: World) => void, trip = roundTrip): string[] {
  const problems: string[] = [];
  for (const index of indices) {
    const prefix = x.table.prefix(index);
    const at = x.rebuildAlong(prefix);
    const choices = at.choiceCount();
    for (let choice = 0; choice < choices; choice++) {
      const seed = index * 64 + choice + 1;
      const original = run(x.rebuildAlong(prefix), choice, seed);
      const restored = run(trip(at, forget), choice, seed);
      const diff = firstDifference(original, restored);
      if (diff) problems.push(`state ${index} [${prefix.join(',')}], choice ${choice}: ${diff}`);
    }
  }
  return problems;
}

/** Explore `input` (symmetry off: states as they are, not renamed) and sample its states evenly. */
async function explored(input: Scenario): Promise<{ x: Explorer; sample: number[] }> {
  const x = new Explorer(parseScenario(input), { symmetry: false, liveness: false, maxStates: 5_000 });
  await breadthFirst(x);
  const n = x.table.size;
  const sample = [...new Set(Array.from({ length: Math.min(SAMPLES, n) }, (_, i) => Math.round((i * (n - 1)) / Math.max(1, SAMPLES - 1))))];
  return { x, sample };
}

describe('pair test: snapshot → JSON → restore continues exactly as the original world', () => {
  it.each(SCENARIOS)('%s', async (_name, input) => {
    const { x, sample } = await explored(input);
    expect(x.table.size).toBeGreaterThan(1);
    expect(pairStates(x, sample)).toEqual([]);
  });

  it.each(SCENARIOS)('packed (packWorld → unpackWorld): %s', async (_name, input) => {
    const { x, sample } = await explored(input);
    expect(pairStates(x, sample, undefined, packTrip)).toEqual([]);
  });

  it('at random points of a demo run (4 vCPUs, halt methods on, the demo lifecycle with a live save, virtual clock)', () => {
    // The demo's lifecycle (src/cli/commands/demo.ts), its live save included.
    const demo = parseScenario({ cpus: 4, halt: 'on', guest: 'halt', clients: [['powerOn', 'suspend', 'resume', 'reset', 'save', 'powerOff', 'destroy']] });
    const prng = new Prng(2026);
    const x = new Explorer(demo, { symmetry: false, liveness: false });
    const problems: string[] = [];
    let compared = 0;
    for (let sample = 0; sample < 10; sample++) {
      // A seeded demo run up to a random depth; snapshot there, then both continue along every choice.
      let prefix: number[] = [];
      let world = x.rebuildAlong([]);
      const depth = 5 + prng.int(250);
      while (prefix.length < depth && world.choiceCount() > 0) {
        const choice = prng.int(world.choiceCount());
        world.step(choice);
        prefix.push(choice);
      }
      // A run that ended before the drawn depth is cut at a random point of its own length (something to continue).
      if (world.choiceCount() === 0) world = x.rebuildAlong((prefix = prefix.slice(0, 1 + prng.int(prefix.length - 1))));
      compared += world.choiceCount();
      for (let choice = 0; choice < world.choiceCount(); choice++) {
        const original = run(x.rebuildAlong(prefix), choice, sample * 64 + choice);
        const restored = run(roundTrip(world), choice, sample * 64 + choice);
        const diff = firstDifference(original, restored);
        if (diff) problems.push(`depth ${prefix.length}, choice ${choice}: ${diff}`);
      }
    }
    expect(problems).toEqual([]);
    expect(compared, 'choices compared (every sample continues)').toBeGreaterThanOrEqual(10);
  });

  it('can fail: a restored world with one state field forgotten (reset to its initial value) parts from the original', async () => {
    const { x, sample } = await explored({ cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] });
    // As if ScenarioClient.position were transient: a restore leaves it at the constructor's 0.
    const forgetPosition = (restored: World) => restored.clients.forEach((c) => (c.position = 0));
    const problems = pairStates(x, sample.filter((i) => x.table.depth[i]! > 2), forgetPosition);
    expect(problems.length).toBeGreaterThan(0);
  });
});
