/**
 * A machine cell held by one record (an EMT's loop, a request packet, a rendezvous, a halt method, a GVMM handle,
 * a save flow, a live save): frozen, so world copies share it, and replaced by its holder at each transition,
 * which reports the edge itself. The cell keeps no owner pointer, so an unchanged cell reaches nothing a step
 * writes and a copy never makes it (docs/model-checking-internals.md, "Stop 21").
 */
import type { AnyStateMachine, EventObject } from 'xstate';
import { MachineCell, type TransitionListener } from './machine-cell.js';

/** The one record that holds a cell and reports its accepted transitions. */
export interface CellHolder<TEvent extends EventObject = EventObject> {
  cell: MachineCell<TEvent>;
  /** An accepted transition: `cell` is the new one, `from` the snapshot it left. */
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1], event: EventObject): void;
}

/** A held cell in its machine's initial state (frozen from the start). */
export function heldCell<TEvent extends EventObject>(machine: AnyStateMachine, systemId: string): MachineCell<TEvent> {
  return Object.freeze(new MachineCell<TEvent>(machine, systemId)) as MachineCell<TEvent>;
}

/** Send `event` to a holder's cell: the next cell replaces it and the holder reports the edge; false when refused. */
export function sendHeld<TEvent extends EventObject>(holder: CellHolder<TEvent>, event: TEvent): boolean {
  const from = holder.cell;
  const next = from.frozenAfter(event);
  if (next === null) return false;
  holder.cell = next;
  holder.cellEdge(next, from.snapshot, event);
  return true;
}
