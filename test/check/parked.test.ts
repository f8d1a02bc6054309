/**
 * Breadth-first search parks worlds at frontier states (src/check/parked.ts): the one that found a state, and
 * others that reach it at the same depth with the same ready actors in the same order.
 * Goal: parking changes only how many worlds are rebuilt, never what is explored or reported. Method: the
 * same scenarios with no parking at all (every expansion rebuilds) and with the default; states, transitions,
 * outcomes, coverage, verdict and counterexample must be equal, and reuse must save rebuilds beyond the
 * discovering worlds (which alone leave transitions − states + 1 rebuilds).
 */
import { describe, expect, it } from 'vitest';
import { explore, type ExploreOptions } from '../../src/check/explore.js';
import { MUTANTS } from '../../src/check/mutants.js';
import type { ScenarioInput } from '../../src/check/scenario.js';

const race = (cpus: number): ScenarioInput => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
const mutant = MUTANTS.find((m) => m.name === 'destroy-keeps-queued-requests')!;

async function both(scenario: ScenarioInput, options: ExploreOptions) {
  const none = await explore(scenario, { ...options, parkedWorlds: 0 });
  const parked = await explore(scenario, options);
  return { none, parked };
}

describe('parked worlds in breadth-first search', () => {
  it.each([2, 3])('the race on %i vCPUs, reductions off: same graph, fewer rebuilds', async (cpus) => {
    const { none, parked } = await both(race(cpus), { por: false, symmetry: false });
    for (const field of ['verdict', 'states', 'transitions', 'outcomes', 'coverage'] as const) expect(parked[field]).toEqual(none[field]);
    // No parking: a rebuild per transition, and one per end state (in this race, one end state per outcome).
    expect(none.rebuilds).toBe(none.transitions + none.outcomes.length);
    expect(parked.rebuilds).toBeLessThan(parked.transitions - parked.states + 1);
  });

  it('with partial-order reduction: same states and verdict', async () => {
    const { none, parked } = await both(race(3), {});
    expect([parked.verdict, parked.states, parked.transitions]).toEqual([none.verdict, none.states, none.transitions]);
  });

  it('a mutant: the same shortest counterexample', async () => {
    const options = { engine: mutant.engine, mutant: mutant.name, por: false, symmetry: false };
    const { none, parked } = await both(mutant.scenario, options);
    expect(parked.status).toBe('violation');
    expect(parked.violations[0]!.property).toBe(mutant.caughtBy);
    expect(parked.violations[0]!.choices).toEqual(none.violations[0]!.choices);
    expect(parked.violations[0]!.message).toBe(none.violations[0]!.message);
  });
});
