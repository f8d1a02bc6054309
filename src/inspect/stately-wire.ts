/**
 * Records in the wire form of `@statelyai/inspect` (the XState v5 successor of `@xstate/inspect`): what its
 * websocket inspector sends and its inspector server relays (`type`, `sessionId`, `name`, `definition`,
 * `parentId`, `rootId`, `sourceId`, `snapshot`, `event`, `_version`, `createdAt`, `id`). Our records travel in
 * this form over websockets, so a Stately relay and UI accept them, and keep their extras (`actorId`, `tNs`,
 * `seq`, `machine`) for the local viewer.
 */
import type { AnyStateMachine } from 'xstate';
import { machineByName } from './machine-graph.js';
import type { InspectionRecord } from './records.js';

/** The @statelyai/inspect release whose wire format this follows. */
export const STATELY_WIRE_VERSION = '0.7.2';

export type StatelyWireEvent = InspectionRecord & {
  sessionId: string;
  id: string;
  createdAt: string;
  _version: string;
  name?: string;
  definition?: string;
};

const definitions = new WeakMap<AnyStateMachine, string>();

/** A machine's config as Stately's inspector reads it (functions shown by name, as its serializer does). */
export function definitionJson(machine: AnyStateMachine): string {
  let json = definitions.get(machine);
  if (json === undefined) {
    json = JSON.stringify(machine.config, (_key, value: unknown) =>
      typeof value === 'function' ? { type: (value as { name?: string }).name || 'anonymous' } : value,
    );
    definitions.set(machine, json);
  }
  return json;
}

export function toStatelyWire(record: InspectionRecord): StatelyWireEvent {
  const wire: StatelyWireEvent = {
    ...record,
    sessionId: record.actorId,
    id: `${record.actorId}#${record.seq}`,
    // Virtual time in ms: stable across runs, unlike the wall clock Stately's own inspectors stamp.
    createdAt: String(record.tNs / 1e6),
    _version: STATELY_WIRE_VERSION,
  };
  if (record.type === '@xstate.actor') {
    const machine = record.machine ? machineByName(record.machine) : undefined;
    wire.name = machine ? machine.id : record.actorId;
    if (machine) wire.definition = definitionJson(machine);
  }
  return wire;
}
