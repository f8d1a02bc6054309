/**
 * A machine cell held by one record (an EMT's loop, a request packet, a request call, a rendezvous and its members,
 * a halt method, a save flow, a live save): no owner pointer and no listener; its holder sends through `sendHeld`
 * and reports the edge itself. An engine nobody copies writes it in place. A world copy (copyGraph) freezes it
 * and shares it (ClassSpec.freezeWhenCopied), and from then on `sendHeld` replaces it at each transition, so a
 * frozen cell is never written and world copies never copy one (docs/model-checking-internals.md, "Stop 21").
 */
import type { AnyStateMachine, EventObject } from 'xstate';
import { persistable } from '../persist/registry.js';
import { MachineCell, type TransitionListener } from './machine-cell.js';

/** A cell its holder replaces once a world copy has frozen it. */
export class HeldCell<TEvent extends EventObject = EventObject> extends MachineCell<TEvent> {}
persistable('HeldCell', HeldCell, { freezeWhenCopied: true });

/** The one record that holds a cell and reports its accepted transitions. */
export interface CellHolder<TEvent extends EventObject = EventObject> {
  cell: MachineCell<TEvent>;
  /** An accepted transition: `cell` is the (possibly new) cell, `from` the snapshot it left. */
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1], event: EventObject): void;
}

/** A held cell in its machine's initial state. */
export function heldCell<TEvent extends EventObject>(machine: AnyStateMachine, systemId: string): MachineCell<TEvent> {
  return new HeldCell<TEvent>(machine, systemId);
}

/**
 * Send `event` to a holder's cell and report the edge; false when refused. In place while the cell is the holder's
 * alone; a frozen one (shared with world copies) is replaced by the next.
 */
export function sendHeld<TEvent extends EventObject>(holder: CellHolder<TEvent>, event: TEvent): boolean {
  const cell = holder.cell;
  const from = cell.snapshot;
  const next = stepHeld(cell, event);
  if (next === null) return false;
  holder.cell = next;
  holder.cellEdge(next, from, event);
  return true;
}

/** A held cell after `event`: itself, written in place, or (frozen: shared) the next frozen cell; null when refused. */
export function stepHeld<TEvent extends EventObject>(cell: MachineCell<TEvent>, event: TEvent): MachineCell<TEvent> | null {
  if (Object.isFrozen(cell)) return cell.frozenAfter(event);
  return cell.send(event) ? cell : null;
}
