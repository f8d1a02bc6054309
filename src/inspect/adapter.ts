/**
 * The inspection adapter: what happened in the engine (facts: an actor appeared, an actor took a transition,
 * an actor was told something) becomes the events of one inspection protocol. XState v5 speaks four events
 * (`@xstate.actor`, `@xstate.event`, `@xstate.microstep`, `@xstate.snapshot`); XState v6 folds a step into
 * two (`@xstate.actor`, `@xstate.transition`). A new protocol is one more adapter here; the engine and the
 * fact source do not change.
 */
import type {
  InspectedEvent, InspectedSnapshot, InspectedTransition, InspectionRecord,
} from './records.js';

/** An actor exists (announced before any other fact about it). */
export interface ActorFact {
  kind: 'actor';
  actorId: string;
  rootId: string;
  parentId?: string;
  machine?: string;
  snapshot: InspectedSnapshot;
  tNs: number;
}

/** An actor's machine took a step: `event` from `sourceId` moved it to `snapshot` through `transitions`. */
export interface TransitionFact {
  kind: 'transition';
  actorId: string;
  rootId: string;
  sourceId?: string;
  event: InspectedEvent;
  snapshot: InspectedSnapshot;
  transitions: InspectedTransition[];
  tNs: number;
}

/** Something was reported to an actor without a transition (VMSetError, an unknown engine event). */
export interface SignalFact {
  kind: 'signal';
  actorId: string;
  rootId: string;
  sourceId?: string;
  event: InspectedEvent;
  /** The actor's snapshot, unchanged (v6 reports it with the event). */
  snapshot?: InspectedSnapshot;
  tNs: number;
}

export type InspectionFact = ActorFact | TransitionFact | SignalFact;

/** Records without their sequence number: the session numbers them in stream order. */
export type UnnumberedRecord = InspectionRecord extends infer R ? (R extends InspectionRecord ? Omit<R, 'seq'> : never) : never;

export interface InspectionAdapter {
  readonly protocol: 'v5' | 'v6';
  records(fact: InspectionFact): UnnumberedRecord[];
}

const withSource = (sourceId: string | undefined) => (sourceId === undefined ? {} : { sourceId });

/** XState v5: actor / event → microstep → snapshot, the order an XState actor reports a macrostep in. */
export const xstateV5Adapter: InspectionAdapter = {
  protocol: 'v5',
  records(fact) {
    const base = { tNs: fact.tNs, actorId: fact.actorId, rootId: fact.rootId };
    switch (fact.kind) {
      case 'actor':
        return [{
          type: '@xstate.actor', ...base, ...(fact.machine ? { machine: fact.machine } : {}),
          ...(fact.parentId ? { parentId: fact.parentId } : {}), snapshot: fact.snapshot,
        }];
      case 'transition':
        return [
          { type: '@xstate.event', ...base, ...withSource(fact.sourceId), event: fact.event },
          { type: '@xstate.microstep', ...base, event: fact.event, snapshot: fact.snapshot, transitions: fact.transitions },
          { type: '@xstate.snapshot', ...base, ...withSource(fact.sourceId), event: fact.event, snapshot: fact.snapshot },
        ];
      case 'signal':
        return [{ type: '@xstate.event', ...base, ...withSource(fact.sourceId), event: fact.event }];
    }
  },
};

/** XState v6: actor / transition (event, microsteps and the resulting snapshot in one event). */
export const xstateV6Adapter: InspectionAdapter = {
  protocol: 'v6',
  records(fact) {
    if (fact.kind === 'actor') return xstateV5Adapter.records(fact);
    const base = { tNs: fact.tNs, actorId: fact.actorId, rootId: fact.rootId };
    const snapshot = fact.snapshot ?? { status: 'active' as const, value: '' };
    const transitions = fact.kind === 'transition' ? fact.transitions : [];
    return [{ type: '@xstate.transition', ...base, ...withSource(fact.sourceId), event: fact.event, snapshot, transitions }];
  },
};

export const ADAPTERS = { v5: xstateV5Adapter, v6: xstateV6Adapter } as const;
export type InspectionProtocol = keyof typeof ADAPTERS;
