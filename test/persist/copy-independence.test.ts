/**
 * A world copy shares nothing mutable with its original (issue 12 "Performance": what the copier shares to be
 * fast — frozen values, machine snapshots, the host's code-only hooks and function table — must never let one
 * world's steps show in another). The original and its copy (and a copy of the copy) go different ways; each
 * must end exactly as a world rebuilt from scratch along its own choices: the same graph, history included.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario, type ScenarioSpec } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { copyGraph, writeGraph } from '../../src/persist/graph.js';

const SCENARIOS: [string, object][] = [
  ['race, 4 vCPUs', { cpus: 4, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['save ∥ suspend ∥ powerOff, timers any', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] }],
  // A live save cancelled by the power-off: SSMR3Cancel is the world's component, code bound to the world.
  ['save ∥ powerOff, timers any', { cpus: 1, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] }],
  ['halt on, guest halts', { cpus: 2, halt: 'on', guest: 'halt', clients: [['powerOn', 'suspend', 'resume', 'powerOff']] }],
  ['rendezvous one-by-one ∥ reqCallWait all', { cpus: 3, clients: [['powerOn', { call: 'emtRendezvous', type: 'one-by-one' }], [{ call: 'reqCallWait', target: 'all' }]] }],
];

const MAX_STEPS = 100;
const json = (world: World): string => JSON.stringify(writeGraph(world));

/** Three ways through the choices: the first, the last, and one that alternates. */
const WAYS: ((world: World, i: number) => number)[] = [() => 0, (w) => w.choiceCount() - 1, (w, i) => (i * 5) % w.choiceCount()];

/** Step `world` `n` times (or to its end) the given way; the choices taken. */
function walk(world: World, way: (world: World, i: number) => number, n: number): number[] {
  const taken: number[] = [];
  for (let i = 0; i < n && !world.terminal; i++) {
    const pick = way(world, i);
    world.step(pick);
    taken.push(pick);
  }
  return taken;
}

function rebuilt(spec: ScenarioSpec, choices: readonly number[]): World {
  const world = World.build(spec, { properties: [] });
  for (const pick of choices) world.step(pick);
  return world;
}

describe('a world copy and its original go different ways independently', () => {
  for (const [name, scenario] of SCENARIOS) {
    it(name, () => {
      const spec = parseScenario(scenario);
      const total = walk(World.build(spec, { properties: [] }), WAYS[2]!, MAX_STEPS).length;
      let diverged = 0;
      for (const at of [1, total >> 2, total >> 1]) {
        const original = World.build(spec, { properties: [] });
        const prefix = walk(original, WAYS[2]!, at);
        const copy = copyGraph(original);
        const [pathOriginal, pathCopy] = [walk(original, WAYS[0]!, MAX_STEPS), walk(copy, WAYS[1]!, MAX_STEPS)];
        // A copy of the copy, made after the copy moved on, goes a third way.
        const second = copyGraph(copy);
        const pathSecond = walk(second, WAYS[2]!, MAX_STEPS);
        if (json(original) !== json(copy)) diverged++;
        expect(json(original), `${name} @${at}: original`).toBe(json(rebuilt(spec, [...prefix, ...pathOriginal])));
        expect(json(copy), `${name} @${at}: copy`).toBe(json(rebuilt(spec, [...prefix, ...pathCopy])));
        expect(json(second), `${name} @${at}: copy of the copy`).toBe(json(rebuilt(spec, [...prefix, ...pathCopy, ...pathSecond])));
      }
      // The ways really differ somewhere (else the test would prove nothing about aliasing).
      expect(diverged).toBeGreaterThan(0);
    });
  }
});
