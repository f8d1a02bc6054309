/**
 * Breadth-first search parks worlds at states waiting to be expanded (src/check/parked.ts): the one that found a
 * state, and every other that steps into such a state with the same choice signature, parked again after each
 * step. Goal: parking changes only how many worlds are rebuilt, never what is explored or reported. Method: the
 * same scenarios with no parking at all (every expansion rebuilds) and with the default; states, transitions,
 * outcomes, coverage, verdict and counterexample must be equal, and reuse must save rebuilds well beyond the
 * discovering worlds (which alone leave transitions − states + 1 rebuilds; parking worlds only at the depth
 * below and for one step left 0.82 of that on the race at N = 4, reuse by signature leaves 0.53–0.67).
 */
import { describe, expect, it } from 'vitest';
import { explore, type ExploreOptions } from '../../src/check/explore.js';
import { MUTANTS } from '../../src/check/mutants.js';
import type { Scenario } from '../../src/check/scenario.js';

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });

async function both(scenario: Scenario, options: ExploreOptions) {
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
    expect(parked.rebuilds).toBeLessThan(0.7 * (parked.transitions - parked.states + 1));
  });

  // Calls that start in different orders (the choice signature's thread part), rendezvous, resets, halt methods.
  it.each<[string, Scenario]>([
    ['suspend ∥ resume ∥ powerOff', { cpus: 2, clients: [['powerOn', 'suspend'], ['resume'], ['powerOff']] }],
    ['reset ∥ suspend', { cpus: 2, clients: [['powerOn', 'reset'], ['suspend']] }],
    ['one-by-one ∥ reqCallWait(all)', { cpus: 3, clients: [['powerOn', { call: 'emtRendezvous', type: 'one-by-one' }], [{ call: 'reqCallWait', target: 'all' }]] }],
    ['halt methods on', { cpus: 2, halt: 'on', clients: [['powerOn', { call: 'reqCallWait', target: 'any' }], ['suspend']] }],
  ])('%s, reductions off: same graph, fewer rebuilds', async (_name, scenario) => {
    const { none, parked } = await both(scenario, { por: false, symmetry: false });
    for (const field of ['verdict', 'states', 'transitions', 'outcomes', 'coverage'] as const) expect(parked[field]).toEqual(none[field]);
    expect(parked.rebuilds).toBeLessThan(0.7 * (parked.transitions - parked.states + 1));
  });

  it('with partial-order reduction: same states and verdict', async () => {
    const { none, parked } = await both(race(3), {});
    expect([parked.verdict, parked.states, parked.transitions]).toEqual([none.verdict, none.states, none.transitions]);
  });

  // A world that came by another path and finds a violation reports the table's path: also for violations
  // found at end states (deadlock), which the rebuilt world must check as discover() did.
  it.each(MUTANTS.map((m) => [m.name, m] as const))('mutant %s: the same shortest counterexample', async (_name, mutant) => {
    const options = { engine: mutant.engine, mutant: mutant.name, por: false, symmetry: false };
    const { none, parked } = await both(mutant.scenario, options);
    expect(parked.status).toBe('violation');
    expect(parked.violations[0]!.property).toBe(none.violations[0]!.property);
    expect(parked.violations[0]!.choices).toEqual(none.violations[0]!.choices);
    expect(parked.violations[0]!.message).toBe(none.violations[0]!.message);
  });
});
