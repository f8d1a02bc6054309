/**
 * A machine cell whose owner reports its edges (an EMT's loop, a vCPU's state, a request packet, a rendezvous):
 * the owner is the cell's own field (saved with it) and one module-level listener serves every such cell, so
 * neither a new cell nor a world copy's revive makes a closure (a fresh closure per copy makes V8 pretenure the
 * copies). One class for every owner keeps `send` from seeing a shape per owner kind.
 */
import type { EventObject } from 'xstate';
import { persistable } from '../persist/registry.js';
import { MachineCell, type TransitionListener } from './machine-cell.js';

/** Who reports an owned cell's accepted transitions (the listener's arguments). */
export interface CellOwner {
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1], event: EventObject): void;
}

export class OwnedCell<TEvent extends EventObject = EventObject> extends MachineCell<TEvent> {
  constructor(machine: MachineCell['machine'], systemId: string, readonly owner: CellOwner) {
    super(machine, systemId);
    this.listener = ownerEdge;
  }
}

const ownerEdge: TransitionListener = (cell, from, event) => (cell as OwnedCell).owner.cellEdge(cell, from, event);
// The listener is a host attachment: set again after a restore or copy (the owner came with the cell).
persistable('OwnedCell', OwnedCell, { revive: (cell) => void (cell.listener = ownerEdge) });
