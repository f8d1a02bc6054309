/**
 * A mutant's machine variant is a named constant (`machine:<machine>:<mutant>`, src/check/mutants.ts), so a
 * world running a broken engine snapshots like a correct one: a cell names its variant, a restore finds the same
 * definition (same broken guards and actions). An unnamed provide() variant cannot be written at all. A whole
 * mutant world, cut anywhere along its counterexample, restores from JSON and goes on to the same violation.
 */
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { explore } from '../../src/check/explore.js';
import { Explorer } from '../../src/check/explorer.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { copyGraph, readGraph, writeGraph } from '../../src/persist/graph.js';
import { MachineCell } from '../../src/sched/machine-cell.js';
import { isVBoxError, VERR_NOT_SUPPORTED } from '../../src/status.js';
import type { EngineMachines } from '../../src/vmm/faults.js';
import { vmOps } from '../../src/vmm/operations.js';

const variants = MUTANTS.flatMap((m) =>
  Object.entries(m.engine.machines ?? {}).map(([machine, variant]) => [m.name, machine as keyof EngineMachines, variant] as const),
);

type Root = { machines: Partial<EngineMachines>; cell: MachineCell };
const trips: [string, (root: Root) => Root][] = [
  ['JSON', (root) => readGraph(JSON.parse(JSON.stringify(writeGraph(root))))],
  ['copyGraph', (root) => copyGraph(root)],
];

describe('mutant machine variants in a snapshot', () => {
  it('there are variants to check', () => {
    expect(variants.length).toBeGreaterThanOrEqual(7);
  });

  for (const [how, trip] of trips) {
    it.each(variants)(`${how}: %s's %s variant comes back as the same definition`, (_name, machine, variant) => {
      const root: Root = { machines: { [machine]: variant }, cell: new MachineCell(variant, `${machine}.1`) };
      const back = trip(root);
      expect(back.cell).not.toBe(root.cell);
      expect(back.cell.machine).toBe(variant);
      expect(back.machines[machine]).toBe(variant);
      expect(back.cell.machine).not.toBe(MACHINES[machine]);
    });
  }

  it('an unnamed provide() variant is refused with VERR_NOT_SUPPORTED naming where it was found', () => {
    const unnamed = MACHINES.rendezvous.provide({});
    let error: unknown;
    try {
      writeGraph({ cell: new MachineCell(unnamed, 'rv.1') });
    } catch (e) {
      error = e;
    }
    expect(isVBoxError(error) && error.rc).toBe(VERR_NOT_SUPPORTED);
    expect(String((error as Error).message)).toMatch(/cell/);
  });
});

/**
 * A broken engine's world is data too: cut each mutant's shortest counterexample anywhere, write the world to
 * JSON and read it back, and the restored world goes on along the rest of the counterexample to the same
 * violation (its machine variants come back by name, its fault flags as the host's plain record). Liveness
 * counterexamples are lassos the explorer closes over its state graph, not a world's own steps: not replayed here.
 */
describe('a mutant world restored from JSON goes on to the same violation', () => {
  const steppable = MUTANTS.filter((m) => m.caughtBy !== 'liveness' && (m.needs !== 'save' || 'save' in vmOps));

  it.each(steppable.map((m) => [m.name, m] as const))('%s', async (name, mutant) => {
    const result = await explore(mutant.scenario, { engine: mutant.engine, mutant: name });
    const { property, message, choices } = result.violations[0]!;
    const x = new Explorer(parseScenario(mutant.scenario), { engine: mutant.engine, mutant: name, liveness: false });
    const problems: string[] = [];
    for (let cut = 0; cut < choices.length; cut++) {
      let restored: World;
      try {
        restored = readGraph<World>(JSON.parse(JSON.stringify(writeGraph(x.rebuildAlong(choices.slice(0, cut))))));
      } catch (error) {
        problems.push(`cut at ${cut}: ${(error as Error).message}`);
        continue;
      }
      for (const choice of choices.slice(cut)) if (!restored.violation) restored.step(choice);
      if (!restored.violation && restored.terminal) restored.checkTerminal();
      const got = restored.violation ? `${restored.violation.property}: ${restored.violation.message}` : 'no violation';
      if (got !== `${property}: ${message}`) problems.push(`cut at ${cut}: ${got}`);
    }
    expect(problems).toEqual([]);
  });
});
