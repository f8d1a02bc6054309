/**
 * What a world copy shares instead of copying (issue 12 "Performance": the checker's world copy): a parsed
 * scenario is read-only data, so it is deeply frozen and every copy of a world holds the same object; the
 * copy still behaves as the original (world-graph.test.ts checks the copy's graph and its steps).
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { copyGraph } from '../../src/persist/graph.js';

const SCENARIOS: object[] = [
  { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] },
  { cpus: 2, halt: 'on', config: { HaltMethod: 'GLOBAL_1' }, clients: [['powerOn', 'suspend', 'resume', 'powerOff']] },
  { cpus: 3, clients: [['powerOn', { call: 'emtRendezvous', type: 'one-by-one' }], [{ call: 'reqCallWait', target: 'all' }]] },
];

/** Every object reachable from `value` through own enumerable fields. */
function objectsOf(value: unknown, into: object[] = []): object[] {
  if (typeof value !== 'object' || value === null) return into;
  into.push(value);
  for (const key of Object.keys(value)) objectsOf((value as Record<string, unknown>)[key], into);
  return into;
}

describe('world copies share the parsed scenario', () => {
  it.each(SCENARIOS.map((s) => [JSON.stringify(s), s]))('%s', (_name, scenario) => {
    const spec = parseScenario(scenario);
    for (const part of objectsOf(spec)) expect(Object.isFrozen(part)).toBe(true);
    const world = World.build(spec, { properties: [] });
    world.step(0);
    const copy = copyGraph(world) as unknown as { scenario: unknown };
    expect(copy.scenario).toBe((world as unknown as { scenario: unknown }).scenario);
    expect(copy.scenario).toBe(spec);
  });
});
