/**
 * A machine cell through the graph: JSON keeps its machine, state value and context and the restored cell
 * steps on; copyGraph shares the (immutable) XState snapshot and leaves the listener to its owner.
 */
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { copyGraph, readGraph, writeGraph } from '../../src/persist/graph.js';
import { MachineCell } from '../../src/sched/machine-cell.js';

/** CREATING → CREATED → POWERING_ON → RUNNING → SUSPENDING → SUSPENDED; context.prevState follows (vm.ts). */
function suspendedVm(): MachineCell {
  const cell = new MachineCell(MACHINES.vm, 'vm.1');
  for (const type of ['created', 'powerOn', 'powerOnDone', 'suspend', 'suspendDone']) expect(cell.send({ type }), type).toBe(true);
  cell.listener = () => undefined;
  return cell;
}

describe('MachineCell in a graph', () => {
  const trips: [string, (c: { cell: MachineCell; again: MachineCell }) => { cell: MachineCell; again: MachineCell }][] = [
    ['JSON', (root) => readGraph(JSON.parse(JSON.stringify(writeGraph(root))))],
    ['copyGraph', (root) => copyGraph(root)],
  ];
  for (const [how, trip] of trips) {
    it(`${how}: same machine, value and context; the copy steps on its own; shared references survive`, () => {
      const cell = suspendedVm();
      const back = trip({ cell, again: cell });
      expect(back.cell).toBeInstanceOf(MachineCell);
      expect(back.again).toBe(back.cell);
      expect(back.cell).not.toBe(cell);
      expect([back.cell.machine, back.cell.systemId, back.cell.value, back.cell.context]).toEqual([MACHINES.vm, 'vm.1', 'SUSPENDED', cell.context]);
      expect(back.cell.listener).toBeUndefined();
      expect(back.cell.send({ type: 'resume' })).toBe(true);
      expect([back.cell.value, cell.value]).toEqual(['RESUMING', 'SUSPENDED']);
    });
  }

  it('copyGraph shares the XState snapshot (no resolveState per copy)', () => {
    const cell = suspendedVm();
    expect(copyGraph(cell).snapshot).toBe(cell.snapshot);
  });

  it('the machine is written by name', () => {
    expect(JSON.stringify(writeGraph(suspendedVm()))).toContain('["constant","machine:vm"]');
  });
});
