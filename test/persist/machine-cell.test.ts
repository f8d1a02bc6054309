/**
 * A machine cell through the graph: JSON keeps its machine, state value and context and the restored cell
 * steps on; copyGraph shares the (immutable) XState snapshot and leaves the listener to its owner.
 */
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { copyGraph, readGraph, writeGraph } from '../../src/persist/graph.js';
import { persistable, registeredClassByName } from '../../src/persist/registry.js';
import { MachineCell } from '../../src/sched/machine-cell.js';

/** A subclass registered with no hooks of its own: it inherits the cell's save/restore/copy and keeps its fields. */
class OwnedCell extends MachineCell {
  scratch: string | undefined = 'cache';
  constructor(readonly owner: { cells: OwnedCell[] }) {
    super(MACHINES.vm, 'vm.2');
    owner.cells.push(this);
  }
}
persistable('test.graph.OwnedCell', OwnedCell, { transient: ['scratch'] });

/** A subclass with its own save/restore (a shared listener set on restore) and no copy hook: copied by those. */
const sharedListener = (): void => undefined;
class ListenedCell extends MachineCell {
  constructor() {
    super(MACHINES.vm, 'vm.3');
    this.listener = sharedListener;
  }
}
const cellSpec = registeredClassByName('MachineCell')!.spec;
persistable('test.graph.ListenedCell', ListenedCell, {
  save: (c) => cellSpec.save!(c),
  restore: (c, data) => {
    cellSpec.restore!(c, data);
    c.listener = sharedListener;
  },
});

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

  for (const [how, trip] of [
    ['JSON', (root: object) => readGraph<{ cells: OwnedCell[] }>(JSON.parse(JSON.stringify(writeGraph(root))))],
    ['copyGraph', (root: object) => copyGraph(root as { cells: OwnedCell[] })],
  ] as const) {
    it(`${how}: a registered subclass keeps its own fields (cloned), drops its transient ones`, () => {
      const owner = { cells: [] as OwnedCell[] };
      new OwnedCell(owner).send({ type: 'created' });
      const back = trip(owner);
      const cell = back.cells[0];
      expect(cell).toBeInstanceOf(OwnedCell);
      expect(cell.owner).toBe(back);
      expect(back).not.toBe(owner);
      expect([cell.value, cell.systemId, cell.scratch, cell.listener]).toEqual(['CREATED', 'vm.2', undefined, undefined]);
      expect(cell.send({ type: 'powerOn' })).toBe(true);
      expect(owner.cells[0].value).toBe('CREATED');
    });
  }

  it('copyGraph: cells of one class copied alike, one with a field added later and one with a field deleted keep theirs', () => {
    const owner = { cells: [] as OwnedCell[] };
    for (let i = 0; i < 4; i++) new OwnedCell(owner).send({ type: 'created' });
    (owner.cells[1] as unknown as { extra: { n: number } }).extra = { n: 1 };
    delete (owner.cells[2] as { scratch?: string }).scratch;
    const back = copyGraph(owner);
    // The usual ones by the class's plan, the odd ones field by field: the same fields either way.
    expect(back.cells.map((c) => Object.keys(c).sort())).toEqual(owner.cells.map((c) => Object.keys(c).sort()));
    expect(back.cells.map((c) => [c.value, c.owner === back, c.scratch])).toEqual(owner.cells.map(() => ['CREATED', true, undefined]));
    const extra = (back.cells[1] as unknown as { extra: { n: number } }).extra;
    expect(extra).toEqual({ n: 1 });
    expect(extra).not.toBe((owner.cells[1] as unknown as { extra: unknown }).extra);
  });

  it("a subclass with its own save/restore and no copy hook is copied by them, not by the cell's copy hook", () => {
    const cell = new ListenedCell();
    cell.send({ type: 'created' });
    const copy = copyGraph(cell);
    expect([copy.value, copy.listener]).toEqual(['CREATED', sharedListener]);
  });
});
