/**
 * A mutant's machine variant is a named constant (`machine:<machine>:<mutant>`, src/check/mutants.ts), so a
 * world running a broken engine snapshots like a correct one: a cell names its variant, a restore finds the same
 * definition (same broken guards and actions). An unnamed provide() variant cannot be written at all.
 */
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { copyGraph, readGraph, writeGraph } from '../../src/persist/graph.js';
import { MachineCell } from '../../src/sched/machine-cell.js';
import { isVBoxError, VERR_NOT_SUPPORTED } from '../../src/status.js';
import type { EngineMachines } from '../../src/vmm/faults.js';

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
