/**
 * Breadth-first search expanding a state's further choices from copies of its world (copyGraph) finds exactly
 * what rebuilding and replaying finds: the same states, transitions, outcomes and counterexamples, with fewer
 * rebuilds and replayed steps (issue 17 item 1's first step). `copyDepth: 0` copies at every state.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { MUTANTS } from '../../src/check/mutants.js';
import type { Scenario } from '../../src/check/scenario.js';

const SCENARIOS: [string, Scenario, object][] = [
  ['race, 3 vCPUs, no reductions', { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] }, { por: false, symmetry: false }],
  ['save ∥ powerOff, timers any', { cpus: 1, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] }, {}],
  ['halt on, GLOBAL_1', { cpus: 2, halt: 'on', guest: 'halt', config: { HaltMethod: 5 }, clients: [['powerOn', { call: 'reqCallWait', target: 1 }], ['powerOff']] }, {}],
  ['reqCallWait all ∥ all-reverse', { cpus: 3, clients: [['powerOn', { call: 'reqCallWait', target: 'all' }], [{ call: 'reqCallWait', target: 'all-reverse' }]] }, {}],
];

const summary = (r: Awaited<ReturnType<typeof explore>>) => ({
  ok: r.ok, states: r.states, transitions: r.transitions, outcomes: r.outcomes, violations: r.violations.map((v) => [v.property, v.choices]),
});

describe('copied worlds give the same exploration as rebuilt ones', () => {
  it.each(SCENARIOS)('%s', async (_name, scenario, options) => {
    const rebuilt = await explore(scenario, { ...options, copyDepth: Number.POSITIVE_INFINITY });
    const copied = await explore(scenario, { ...options, copyDepth: 0 });
    expect(summary(copied)).toEqual(summary(rebuilt));
    expect(copied.states).toBeGreaterThan(10);
    expect(copied.replayedSteps).toBeLessThan(rebuilt.replayedSteps);
    expect([rebuilt.copies, copied.copies > 0]).toEqual([0, true]);
  });

  it.each(MUTANTS.filter((m) => m.caughtBy !== 'liveness').map((m) => [m.name, m] as const))('mutant %s: the same shortest counterexample', async (name, mutant) => {
    const rebuilt = await explore(mutant.scenario, { engine: mutant.engine, mutant: name, copyDepth: Number.POSITIVE_INFINITY });
    const copied = await explore(mutant.scenario, { engine: mutant.engine, mutant: name, copyDepth: 0 });
    expect(copied.violations.length).toBeGreaterThan(0);
    expect(summary(copied)).toEqual(summary(rebuilt));
  });
});
