/**
 * Edges of machine cells that belong to a VM but have no event kind of their own (the save's SSM handle, the
 * VM's GVMM handle) reach the VM's event stream — and from there traces, the inspector and the viewer — as
 * `machine` events. Here (below the engine) so that both the GVMM and the save flow can report through it.
 */
import { bindCode, defineCode } from '../persist/registry.js';
import type { TransitionListener } from './machine-cell.js';

/** One such edge: the cell's systemId, its machine in machines/index.ts, the event that took it (`rc` on a fail). */
export interface CellEdgeEvent {
  kind: 'machine';
  systemId: string;
  machine: 'ssmLiveSave' | 'gvmmHandle' | 'vmSaveTeleport' | 'reqCall';
  from: string;
  to: string;
  event: string;
  tNs: number;
  rc?: number;
}

/** Where the edges go: a VM's event stream and its clock. */
export interface CellEdgeSink {
  emit(event: CellEdgeEvent): void;
  nowNs(): number;
}

/** Report one accepted edge of `cell` to `sink`. */
export const emitCellEdge = defineCode('sched.emitCellEdge', function emitCellEdge(
  sink: CellEdgeSink, machine: CellEdgeEvent['machine'], cell: Parameters<TransitionListener>[0],
  from: Parameters<TransitionListener>[1], event: Parameters<TransitionListener>[2],
): void {
  const rc = (event as { rc?: unknown }).rc;
  const base = { kind: 'machine', systemId: cell.systemId, machine, from: from.value as string, to: cell.value, event: event.type, tNs: sink.nowNs() } as const;
  sink.emit(typeof rc === 'number' ? { ...base, rc } : base);
});

/**
 * A cell listener that reports each accepted edge to `sink`: emitCellEdge bound to (sink, machine), code with
 * data, so a cell saves it and a restored cell reports again (MachineCell's save keeps code-table listeners).
 */
export function reportCellEdges(sink: CellEdgeSink, machine: CellEdgeEvent['machine']): TransitionListener {
  return bindCode(emitCellEdge, sink, machine);
}
