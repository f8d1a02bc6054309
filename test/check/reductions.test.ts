/**
 * Reductions change how many states are explored, never the verdict. Goal: partial-order reduction and vCPU
 * symmetry, each switched on and off, give the same verdict, the same reachable end states (VM state and every
 * call's status), the same VMSTATE coverage, and catch the same broken engines; symmetry stays off where it
 * would be unsound. Method: explore() the same scenario under each setting and compare.
 */
import { describe, expect, it } from 'vitest';
import { explore, type ExploreOptions } from '../../src/check/explore.js';
import { MUTANTS } from '../../src/check/mutants.js';
import type { Scenario } from '../../src/check/scenario.js';

const settings: [string, ExploreOptions][] = [
  ['none', { por: false, symmetry: false }],
  ['por', { por: true, symmetry: false }],
  ['symmetry', { por: false, symmetry: true }],
  ['both', { por: true, symmetry: true }],
];

const scenarios: [string, Scenario, boolean][] = [
  ['PowerOn → Suspend ∥ PowerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }, false],
  ['Reset ∥ Suspend, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'reset'], ['suspend']] }, false],
  ['ALL_AT_ONCE ∥ ONCE, 3 vCPUs', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'all-at-once' }], [{ call: 'emtRendezvous', type: 'once' }]] }, true],
  ['ONE_BY_ONE ∥ reqCallWait(any), 3 vCPUs', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'one-by-one' }], [{ call: 'reqCallWait', target: 'any' }]] }, true],
];

describe('explore() reductions', () => {
  it.each(scenarios)('%s: same verdict, end states and coverage under every setting', async (_name, scenario, symmetric) => {
    const runs = await Promise.all(settings.map(async ([name, options]) => [name, await explore(scenario, options)] as const));
    const [, base] = runs[0]!;
    expect(base.ok).toBe(true);
    for (const [, run] of runs) {
      expect(run.status).toBe(base.status);
      expect(run.outcomes).toEqual(base.outcomes);
      expect(run.coverage.vmEdges.covered).toEqual(base.coverage.vmEdges.covered);
      expect(run.coverage.rendezvousTypes).toEqual(base.coverage.rendezvousTypes);
    }
    const states = Object.fromEntries(runs.map(([name, run]) => [name, run.states]));
    expect(states.por).toBeLessThan(states.none);
    if (symmetric) expect(states.symmetry).toBeLessThan(states.none);
    else expect(states.symmetry).toBe(states.none); // switched off: DESCENDING tells vCPUs apart
  });

  // The verdict is the same; which property fails first on a shortest path may differ (the reduced graph
  // has other shortest paths), so only the default setting's property is pinned (mutants.test.ts).
  it.each(MUTANTS.filter((m) => !m.needs).map((m) => [m.name, m] as const))('mutant %s is caught with and without reductions', async (_name, mutant) => {
    for (const [, options] of [settings[0]!, settings[3]!]) {
      const result = await explore(mutant.scenario, { ...options, engine: mutant.engine });
      expect(result.status).toBe('violation');
    }
  });
});
