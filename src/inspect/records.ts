/**
 * Inspection records: the JSON form of XState inspection events that the engine's adapter produces. The same
 * records go into trace files (`--trace`), over websockets (`--inspect-ws`) and into the local viewer, so
 * they carry only data: stable systemIds (`vm.1/emt.0`, never XState session ids), the virtual GIP time and
 * the actor that caused the step. XState-shaped events with actor refs are built from them on demand
 * (xstate-shape.ts) for inspectors that expect those.
 */

/** An actor's snapshot as inspectors see it (XState's `InspectedSnapshot`). */
export interface InspectedSnapshot {
  status: 'active' | 'done';
  value: string;
  context?: unknown;
}

export interface InspectedEvent {
  type: string;
  [key: string]: unknown;
}

/** One transition taken inside a step (XState's microstep `_transitions`, as data). */
export interface InspectedTransition {
  source: string;
  /** null for a targetless transition (actions only, no state change). */
  target: string | null;
  eventType: string;
  guard?: string;
}

interface RecordBase {
  /** Index of the record in its inspection stream (0, 1, 2 …). */
  seq: number;
  /** GIP time in nanoseconds (virtual or real, as the engine's clock says). */
  tNs: number;
  /** systemId of the actor the record is about. */
  actorId: string;
  /** systemId of the root of its tree (the VM, or the external thread itself). */
  rootId: string;
}

/** XState v5 and v6: an actor exists (sent once, before anything else about it). */
export interface ActorRecord extends RecordBase {
  type: '@xstate.actor';
  /** Key in MACHINES (`vm`, `emt` …); absent for actors without a machine (external threads). */
  machine?: string;
  parentId?: string;
  snapshot: InspectedSnapshot;
}

/** XState v5: an event was delivered to the actor, sent by `sourceId`. */
export interface EventRecord extends RecordBase {
  type: '@xstate.event';
  sourceId?: string;
  event: InspectedEvent;
}

/** XState v5: one microstep of the actor's machine. */
export interface MicrostepRecord extends RecordBase {
  type: '@xstate.microstep';
  event: InspectedEvent;
  snapshot: InspectedSnapshot;
  transitions: InspectedTransition[];
}

/** XState v5: the actor's snapshot after the event. */
export interface SnapshotRecord extends RecordBase {
  type: '@xstate.snapshot';
  sourceId?: string;
  event: InspectedEvent;
  snapshot: InspectedSnapshot;
}

/** XState v6: event, microsteps and resulting snapshot in one record. */
export interface TransitionRecord extends RecordBase {
  type: '@xstate.transition';
  sourceId?: string;
  event: InspectedEvent;
  snapshot: InspectedSnapshot;
  transitions: InspectedTransition[];
}

export type InspectionRecord = ActorRecord | EventRecord | MicrostepRecord | SnapshotRecord | TransitionRecord;

export const INSPECTION_TYPES = ['@xstate.actor', '@xstate.event', '@xstate.microstep', '@xstate.snapshot', '@xstate.transition'] as const;

export function isInspectionRecord(value: unknown): value is InspectionRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<InspectionRecord>;
  return (INSPECTION_TYPES as readonly unknown[]).includes(r.type) && typeof r.actorId === 'string' && typeof r.tNs === 'number';
}
