/**
 * The graph on real checker worlds (issue 12 scenarios): at points along a run, writing a world, reading the
 * JSON back and copying it in memory give the same graph (write(read(write(w))) = write(w) = write(copy(w))),
 * the same state key, and a copy stepped on along the same choices stays equal to the original.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { copyGraph, graphKey, readGraph, writeGraph } from '../../src/persist/graph.js';

const SCENARIOS: [string, object][] = [
  ['race, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['save ∥ suspend ∥ powerOff, timers any', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] }],
  ['halt on', { cpus: 2, halt: 'on', clients: [['powerOn', 'suspend', 'resume', 'powerOff']] }],
  ['rendezvous one-by-one ∥ reqCallWait all', { cpus: 3, clients: [['powerOn', { call: 'emtRendezvous', type: 'one-by-one' }], [{ call: 'reqCallWait', target: 'all' }]] }],
];

const json = (world: unknown): string => JSON.stringify(writeGraph(world));
/** Runs are cut here (a halting guest's choices may cycle forever). */
const MAX_STEPS = 120;
/** A deterministic path through the choices (not always the first, so clients interleave). */
const choice = (world: World, i: number): number => (i * 7) % world.choiceCount();

describe('real checker worlds through the graph', () => {
  for (const [name, scenario] of SCENARIOS) {
    it(name, () => {
      const spec = parseScenario(scenario);
      let total = 0;
      for (const w = World.build(spec, { properties: [] }); !w.terminal && total < MAX_STEPS; total++) w.step(choice(w, total));
      for (const at of [0, total >> 2, total >> 1, total - 1]) {
        const world = World.build(spec, { properties: [] });
        for (let i = 0; i < at; i++) world.step(choice(world, i));
        const written = json(world);
        const read = readGraph<World>(JSON.parse(written));
        const copy = copyGraph(world);
        expect(json(read), `${name} @${at}: read`).toBe(written);
        expect(json(copy), `${name} @${at}: copy`).toBe(written);
        expect(graphKey(copy)).toBe(graphKey(world));
        for (let i = at; !world.terminal && i < MAX_STEPS; i++) {
          const pick = choice(world, i);
          world.step(pick);
          copy.step(pick);
          read.step(pick);
        }
        expect(json(copy), `${name} @${at}: the copy ran on like the original`).toBe(json(world));
        expect(json(read), `${name} @${at}: the restored world ran on like the original`).toBe(json(world));
      }
    });
  }
});
