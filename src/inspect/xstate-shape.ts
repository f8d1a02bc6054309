/**
 * Inspection records as XState builds its inspection events: with `actorRef` objects (sessionId, id,
 * systemId, the machine as `logic`, `getSnapshot()`, `_parent`) so that any XState inspector, including
 * `@statelyai/inspect`'s `inspector.inspect`, can take the engine's actors as if they were XState actors. The
 * sessionId is the stable systemId (XState's own session ids are process counters and never used here). The
 * records' extras (`tNs`, `seq`, `sourceId`) ride along on each event.
 */
import type { AnyEventObject, AnyStateMachine, InspectionEvent } from 'xstate';
import { machineByName } from './machine-graph.js';
import type { InspectedSnapshot, InspectionRecord } from './records.js';

/** The actor-ref shape XState inspectors read. */
export interface InspectedActorRef {
  readonly sessionId: string;
  readonly id: string;
  readonly systemId: string;
  readonly logic: AnyStateMachine | undefined;
  readonly _parent: InspectedActorRef | undefined;
  getSnapshot(): InspectedSnapshot;
  send(event: AnyEventObject): void;
}

/** An XState inspection event built from a record, with the record's extras. */
export type ShapedInspectionEvent = InspectionEvent & { seq: number; tNs: number; record: InspectionRecord };

export class XStateShaper {
  readonly #refs = new Map<string, { ref: InspectedActorRef; snapshot: InspectedSnapshot }>();

  ref(actorId: string): InspectedActorRef {
    return this.#entry(actorId).ref;
  }

  #entry(actorId: string, machine?: string, parentId?: string) {
    let entry = this.#refs.get(actorId);
    if (!entry) {
      const parent = parentId ? this.ref(parentId) : undefined;
      const logic = machine ? machineByName(machine) : undefined;
      const state = { snapshot: { status: 'active', value: '' } as InspectedSnapshot };
      const ref: InspectedActorRef = {
        sessionId: actorId, id: actorId, systemId: actorId, logic, _parent: parent,
        getSnapshot: () => state.snapshot,
        send: () => undefined, // the engine's actors take no events from inspectors
      };
      entry = Object.assign(state, { ref });
      this.#refs.set(actorId, entry);
    }
    return entry;
  }

  /** The XState-shaped event for one record (and the actor's current snapshot kept up to date). */
  shape(record: InspectionRecord): ShapedInspectionEvent {
    const extras = { seq: record.seq, tNs: record.tNs, record, rootId: record.rootId };
    switch (record.type) {
      case '@xstate.actor': {
        const entry = this.#entry(record.actorId, record.machine, record.parentId);
        entry.snapshot = record.snapshot;
        // The live ref, as XState's: getSnapshot() read later says the actor's state then (TERMINATED, not
        // CREATING); the announced snapshot rides along as `snapshot`.
        return { type: '@xstate.actor', actorRef: entry.ref, snapshot: record.snapshot, ...extras } as ShapedInspectionEvent;
      }
      case '@xstate.event':
        return {
          type: '@xstate.event', actorRef: this.ref(record.actorId), event: record.event,
          sourceRef: record.sourceId ? this.ref(record.sourceId) : undefined, ...extras,
        } as unknown as ShapedInspectionEvent;
      case '@xstate.microstep':
        return {
          type: '@xstate.microstep', actorRef: this.ref(record.actorId), event: record.event, snapshot: record.snapshot,
          _transitions: record.transitions.map((t) => ({ ...t, source: { id: t.source }, target: t.target ? [{ id: t.target }] : undefined })),
          ...extras,
        } as unknown as ShapedInspectionEvent;
      case '@xstate.snapshot':
      case '@xstate.transition': {
        const entry = this.#entry(record.actorId);
        entry.snapshot = record.snapshot;
        return {
          type: record.type, actorRef: entry.ref, event: record.event, snapshot: record.snapshot,
          ...(record.type === '@xstate.transition'
            ? { sourceRef: record.sourceId ? this.ref(record.sourceId) : undefined, transitions: record.transitions }
            : {}),
          ...extras,
        } as unknown as ShapedInspectionEvent;
      }
    }
  }
}
