/**
 * User invariants are plain functions over a read-only view of the world, checked after every step like the
 * built-in ones. Goal: false and a string both fail with the invariant's name, the shortest counterexample is
 * found and replays (given the same invariant), and the view shows VM, vCPU, EMT and client state.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import type { UserInvariant } from '../../src/check/property.js';
import { replayTrace } from '../../src/check/replay.js';
import '../../src/check/vitest.js';

describe('explore({ invariants })', () => {
  const neverSuspended: UserInvariant = { name: 'never-suspended', holds: (view) => view.vmState !== 'SUSPENDED' };
  const explained: UserInvariant = {
    name: 'powerOff-loses',
    holds: (view) => {
      const b = view.clients.find((c) => c.name === 'B')!;
      return b.results[0] === undefined || b.results[0] < 0 || `B's powerOff won (VM ${view.vmState}, vCPU 0 ${view.cpuState(0)}, EMT 0 ${view.emtState(0)})`;
    },
  };

  it('a false invariant fails under its name, on a shortest path, and replays', async () => {
    const result = await explore({ cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }, { invariants: [neverSuspended] });
    const v = result.violations[0]!;
    expect(v).toMatchObject({ property: 'never-suspended', message: "invariant 'never-suspended' does not hold" });
    const replay = replayTrace(v.text, { invariants: [neverSuspended] });
    expect(replay.reproduced).toBe(true);
    expect(replay.world.view.vmState).toBe('SUSPENDED');
  });

  it('a string is the failure message', async () => {
    const result = await explore({ cpus: 2, clients: [['powerOn'], ['powerOff']] }, { invariants: [explained] });
    expect(result.violations[0]?.message).toMatch(/^B's powerOff won \(VM (OFF|POWERING_OFF|RUNNING|CREATED), vCPU 0 \w+, EMT 0 \w+\)$/);
  });

  it('an invariant that holds leaves the verdict ok', async () => {
    const result = await explore({ cpus: 2, clients: [['powerOn'], ['powerOff']] }, { invariants: [{ name: 'cpus', holds: (view) => view.cpus === 2 }] });
    expect(result).toHaveNoViolations();
  });
});
