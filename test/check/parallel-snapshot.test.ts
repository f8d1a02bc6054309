/**
 * Workers that share (src/check/parallel.ts, explore-worker.ts): a frontier state is a packed world, so any
 * worker expands any state — here worker 1 expands the states worker 0 found (and worker 0 those worker 1
 * found), and every transition it reports (the child's key, liveness facts, terminal flag, outcome, violation)
 * is what the original world, built and stepped on the main thread and never packed, shows for the same choice.
 * And the parallel search never rebuilds or replays a world, with any number of workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import type { StepFacts, WorkerInit } from '../../src/check/explore-worker.js';
import { enabledSlots, endOfRun, Explorer } from '../../src/check/explorer.js';
import { WorkerPool } from '../../src/check/parallel-pool.js';
import { choiceSignature } from '../../src/check/parked.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { packWorld } from '../../src/check/world-pack.js';
import { World } from '../../src/check/world.js';

const SCENARIOS: [string, Scenario][] = [
  ['race powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['powerOn→save ∥ powerOff, timers any, 2 vCPUs', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] }],
  ['halt on, GLOBAL_1: powerOn→reqCallWait(1) ∥ powerOff', { cpus: 2, halt: 'on', guest: 'halt', config: { HaltMethod: 'GLOBAL_1' }, clients: [['powerOn', { call: 'reqCallWait', target: 1 }], ['powerOff']] }],
];

/** A transition as the main thread sees it from the original world (the facts a worker reports, no coverage). */
/** `signed`: with the child's choice signature, which a worker sends for a child it holds (parallel-pipeline.ts hands such states over). */
function original(x: Explorer, path: readonly number[], choice: number, signed: boolean): Omit<StepFacts, 'world' | 'coverage' | 'ticket'> {
  const world = World.build(x.scenario, x.worldOptions);
  for (const c of path) world.step(c);
  world.step(choice);
  x.hash(world);
  const violation = world.violation;
  const outcome = endOfRun(world);
  return {
    choice, hi: x.key.hi, lo: x.key.lo, slot: world.lastSlot, hot: world.clients.some((c) => c.pending !== null), enabled: enabledSlots(world),
    terminal: world.terminal, violation, terminalViolation: violation ? null : world.violation, outcome, ...(signed ? { signature: choiceSignature(world) } : {}),
  };
}

const facts = ({ world: _world, coverage: _coverage, ticket: _ticket, ...rest }: StepFacts) => rest;

describe('any worker expands any state, exactly as the original world continues', () => {
  let pool: WorkerPool;
  const init = (scenario: Scenario): WorkerInit => ({ scenario: parseScenario(scenario), por: false, symmetry: false, stateKey: undefined, mutant: null, heldMax: 1000 });

  beforeAll(async () => {
    pool = await WorkerPool.open(2, init(SCENARIOS[0]![1]));
  });
  afterAll(async () => {
    await pool.close();
  });

  it.each(SCENARIOS)('%s: three levels, each state expanded by the worker that did not find it', async (_name, scenario) => {
    await pool.close();
    pool = await WorkerPool.open(2, init(scenario));
    const x = new Explorer(parseScenario(scenario), { por: false, symmetry: false, liveness: false });
    const root = World.build(x.scenario, x.worldOptions);
    // Each frontier state: the path that made it, its packed world and the worker that found it (-1: main).
    let frontier = [{ path: [] as number[], world: packWorld(root), finder: -1 }];
    let held: { path: number[]; ticket: number; finder: number }[] = [];
    let compared = 0;
    for (let level = 0; level < 3 && frontier.length > 0; level++) {
      const next: typeof frontier = [];
      for (const [i, state] of frontier.entries()) {
        const worker = state.finder === -1 ? i % 2 : 1 - state.finder;
        const reply = await pool.request(worker, { level, kind: 'expand', items: [{ index: i, ticket: -1, world: state.world }] });
        const [expansion] = reply.expansions;
        expect(expansion!.steps.map((s) => s.choice)).toEqual(Array.from({ length: expansion!.all }, (_, c) => c));
        for (const step of expansion!.steps) {
          expect(facts(step), `path [${state.path}], choice ${step.choice}`).toEqual(original(x, state.path, step.choice, step.ticket >= 0));
          compared++;
          if (step.world) next.push({ path: [...state.path, step.choice], world: step.world, finder: worker });
          else if (step.ticket >= 0) held.push({ path: [...state.path, step.choice], ticket: step.ticket, finder: worker });
        }
      }
      // The worlds the workers hold, asked of them packed (as the main thread does to move a state).
      for (const finder of [0, 1]) {
        const mine = held.filter((h) => h.finder === finder);
        const { packed } = await pool.request(finder, { level: level + 1, kind: 'pack', tickets: mine.map((h) => h.ticket) });
        mine.forEach((h, k) => next.push({ path: h.path, world: packed![k]!, finder }));
      }
      held = [];
      frontier = next;
    }
    expect(compared).toBeGreaterThan(4);
  });
});

describe('spare worlds in a worker (held-worlds.ts)', () => {
  // One worker expands a race level by level, in the merge order, from the worlds it holds: a later step into a
  // key of the level is kept as a spare of the earliest one's world and serves one of the state's choices in
  // place of a copy. Every step, from the world, a spare or a copy, is what the table's path shows.
  it.each([2, 3])('race on %i vCPUs, six levels: spares stand in for copies, every transition as the original world continues', async (cpus) => {
    const scenario: Scenario = { cpus, clients: [['powerOn', 'suspend'], ['powerOff']] };
    const pool = await WorkerPool.open(1, { scenario: parseScenario(scenario), por: false, symmetry: false, stateKey: undefined, mutant: null, heldMax: 1000 });
    try {
      const x = new Explorer(parseScenario(scenario), { por: false, symmetry: false, liveness: false });
      const root = World.build(x.scenario, x.worldOptions);
      x.hash(root);
      const known = new Set([`${x.key.hi}:${x.key.lo}`]);
      let frontier = [{ path: [] as number[], ticket: -1, world: packWorld(root) as Uint8Array | null }];
      let spares = 0;
      for (let level = 0; level < 6 && frontier.length > 0; level++) {
        const items = frontier.map((state, index) => ({ index, ticket: state.ticket, world: state.world }));
        const reply = await pool.request(0, { level, kind: 'expand', items });
        spares += reply.times.spares;
        // Each state's last choice takes its world; every other choice a spare or a copy.
        const taken = reply.expansions.reduce((sum, e) => sum + e.steps.length, 0);
        expect(reply.times.spares + reply.times.copies).toBe(taken - reply.expansions.filter((e) => e.steps.length > 0).length);
        const next: typeof frontier = [];
        for (const [i, expansion] of reply.expansions.entries()) {
          const path = frontier[i]!.path;
          for (const step of expansion.steps) {
            expect(facts(step), `path [${path}], choice ${step.choice}`).toEqual(original(x, path, step.choice, step.ticket >= 0));
            const key = `${step.hi}:${step.lo}`;
            if (known.has(key)) continue;
            known.add(key);
            if (step.ticket >= 0 || step.world) next.push({ path: [...path, step.choice], ticket: step.ticket, world: step.world });
          }
        }
        frontier = next;
      }
      expect(spares).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });
});

describe('the parallel search never rebuilds or replays', () => {
  it.each([2, 3, 4])('%i workers: the single-threaded result, 0 rebuilds, 0 replayed steps', async (workers) => {
    const race: Scenario = { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] };
    const single = await explore(race, { por: false, symmetry: false });
    const parallel = await explore(race, { por: false, symmetry: false, workers });
    expect([parallel.states, parallel.transitions, parallel.verdict, parallel.coverage]).toEqual([single.states, single.transitions, single.verdict, single.coverage]);
    expect([parallel.rebuilds, parallel.replayedSteps]).toEqual([0, 0]);
  });
});
