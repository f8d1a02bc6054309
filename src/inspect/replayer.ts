/**
 * The replayer: a trace file fed back into any inspector, the viewer or a websocket, without re-running the
 * engine. Traces from the recorder carry inspection records; checker counterexamples carry engine events
 * and choices only, and get their inspection records derived here through the same fact source the live
 * engine uses. A trace's step choices also re-run the engine itself (ChoicePolicy 'replay').
 */
import { readFileSync } from 'node:fs';
import type { SchedChoice } from '../sched/scheduler.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';
import type { InspectionFact, InspectionProtocol, TransitionFact } from './adapter.js';
import { EngineFactSource } from './engine-source.js';
import { RecordPublisher, type InspectorInput } from './inspector.js';
import { isInspectionRecord, type EventRecord, type InspectedSnapshot, type InspectionRecord } from './records.js';
import { parseTrace, type TraceHeader, type TraceRecord } from './trace-format.js';

export function readTrace(path: string): TraceRecord[] {
  return parseTrace(readFileSync(path, 'utf8'), path);
}

export function traceHeader(records: readonly TraceRecord[]): TraceHeader {
  const header = records[0];
  if (!header || header.type !== 'header') throw new Error('trace has no header');
  return header;
}

/** The step choices of a trace, as `{ kind: 'replay', choices }` wants them. */
export function choicesOf(records: readonly TraceRecord[]): number[] {
  return records.flatMap((r) => (r.type === 'choice' && r.choice.kind === 'step' ? [r.choice.index] : []));
}

/** Inspection records (either protocol) back to facts: v5's event → microstep → snapshot is one step. */
export class RecordFactReader {
  #pending: { event: EventRecord; fact?: TransitionFact } | null = null;
  /** Each actor's last snapshot: a v6 signal reports it with the event. */
  readonly #snapshots = new Map<string, InspectedSnapshot>();

  constructor(readonly emit: (fact: InspectionFact) => void) {}

  read(record: InspectionRecord): void {
    if ('snapshot' in record && record.type !== '@xstate.microstep') this.#snapshots.set(record.actorId, record.snapshot);
    const base = { actorId: record.actorId, rootId: record.rootId, tNs: record.tNs };
    const pending = this.#pending;
    switch (record.type) {
      case '@xstate.actor':
        this.flush();
        return this.emit({
          kind: 'actor', ...base, snapshot: record.snapshot,
          ...(record.machine ? { machine: record.machine } : {}), ...(record.parentId ? { parentId: record.parentId } : {}),
        });
      case '@xstate.event':
        this.flush();
        this.#pending = { event: record };
        return;
      case '@xstate.microstep':
        if (pending && pending.event.actorId === record.actorId) {
          pending.fact = this.#transition(pending.event, record.snapshot, record.transitions);
        }
        return;
      case '@xstate.snapshot': {
        const fact = pending && pending.event.actorId === record.actorId
          ? (pending.fact ?? this.#transition(pending.event, record.snapshot, []))
          : { kind: 'transition' as const, ...base, event: record.event, snapshot: record.snapshot, transitions: [], ...(record.sourceId ? { sourceId: record.sourceId } : {}) };
        fact.snapshot = record.snapshot;
        this.#pending = null;
        return this.emit(fact);
      }
      case '@xstate.transition':
        this.flush();
        if (record.transitions.length === 0) {
          return this.emit({ kind: 'signal', ...base, event: record.event, snapshot: record.snapshot, ...(record.sourceId ? { sourceId: record.sourceId } : {}) });
        }
        return this.emit({
          kind: 'transition', ...base, event: record.event, snapshot: record.snapshot, transitions: record.transitions,
          ...(record.sourceId ? { sourceId: record.sourceId } : {}),
        });
    }
  }

  /** An event that no snapshot followed was a signal. */
  flush(): void {
    const pending = this.#pending;
    this.#pending = null;
    if (!pending) return;
    const { event } = pending;
    const snapshot = this.#snapshots.get(event.actorId);
    this.emit({
      kind: 'signal', actorId: event.actorId, rootId: event.rootId, tNs: event.tNs, event: event.event,
      ...(event.sourceId ? { sourceId: event.sourceId } : {}), ...(snapshot ? { snapshot } : {}),
    });
  }

  #transition(event: EventRecord, snapshot: TransitionFact['snapshot'], transitions: TransitionFact['transitions']): TransitionFact {
    return {
      kind: 'transition', actorId: event.actorId, rootId: event.rootId, tNs: event.tNs, event: event.event, snapshot, transitions,
      ...(event.sourceId ? { sourceId: event.sourceId } : {}),
    };
  }
}

/**
 * Feed a trace to inspectors, in order: recorded inspection records as they are, engine events through the
 * fact source (with the choices telling who stepped), choices to sinks that want them. Returns the number of
 * facts delivered.
 */
export function replayTrace(records: readonly TraceRecord[], inspector: InspectorInput): number {
  const publisher = new RecordPublisher(inspector);
  let facts = 0;
  const emit = (fact: InspectionFact) => {
    facts++;
    publisher.publish(fact);
  };
  const source = new EngineFactSource(emit);
  const reader = new RecordFactReader(emit);
  for (const record of records) {
    if (record.type === 'choice') {
      reader.flush();
      source.choice(record.choice);
      publisher.choice(record.choice);
    } else if (record.type === 'event') {
      reader.flush();
      source.event(`vm.${record.vm}`, record.event as VmTraceEvent);
    } else if (record.type === 'inspect' && isInspectionRecord(record.event)) {
      reader.read(record.event);
    }
  }
  reader.flush();
  return facts;
}

/** The inspection records of a trace in one protocol (recorded or derived). */
export function inspectionOf(records: readonly TraceRecord[], protocol: InspectionProtocol = 'v5'): InspectionRecord[] {
  const out: InspectionRecord[] = [];
  replayTrace(records, { protocol, record: (r) => out.push(r) });
  return out;
}

/** The scheduler choices of a trace, in order. */
export function schedChoicesOf(records: readonly TraceRecord[]): SchedChoice[] {
  return records.flatMap((r) => (r.type === 'choice' ? [r.choice] : []));
}
