/**
 * A rebuilt world replays the prefix of a state whose steps were all checked when the explorer first took
 * them, so user invariants (functions of the state) are not evaluated again on the replay; the monitors,
 * which keep state, still run on every step.
 * Goal: every explored transition evaluates the user invariants exactly once, whatever the number of replayed
 * steps; a violation is still found and replays. Method: count the evaluations of an invariant that holds.
 * Searches copy worlds by default (no replay); `copyDepth: Infinity` makes them rebuild and replay instead.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import type { UserInvariant } from '../../src/check/property.js';
import { replayTrace } from '../../src/check/replay.js';

const RACE = { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] } as const;

describe('user invariants on replayed prefixes', () => {
  it.each(['bfs', 'dfs'] as const)('%s: one evaluation per explored transition, none per replayed step', async (mode) => {
    let evaluations = 0;
    const counting: UserInvariant = { name: 'counting', holds: () => void evaluations++ };
    const result = await explore({ ...RACE, clients: RACE.clients.map((c) => [...c]) }, { mode, invariants: [counting], por: false, liveness: false, copyDepth: Number.POSITIVE_INFINITY });
    expect(result.status).toBe('ok');
    expect(result.replayedSteps).toBeGreaterThan(0);
    expect(evaluations).toBe(result.transitions);
  });

  it('a violation past a replayed prefix is still found, and replays', async () => {
    const neverSuspended: UserInvariant = { name: 'never-suspended', holds: (view) => view.vmState !== 'SUSPENDED' };
    const result = await explore({ ...RACE, clients: RACE.clients.map((c) => [...c]) }, { invariants: [neverSuspended], por: false, copyDepth: Number.POSITIVE_INFINITY });
    const v = result.violations[0]!;
    expect(v.property).toBe('never-suspended');
    expect(result.rebuilds).toBeGreaterThan(0);
    const replay = replayTrace(v.text, { invariants: [neverSuspended] });
    expect(replay.reproduced).toBe(true);
    expect(replay.world.view.vmState).toBe('SUSPENDED');
  });
});
