/**
 * What counts as an inspector: anything XState's own `inspect` option takes (a function or an observer),
 * an `@statelyai/inspect` inspector (its `.inspect` observer), a record sink of this package (recorder,
 * websocket stream, viewer), or a list of those. Each is normalized to a sink that receives records in
 * one protocol (v5 unless it says `protocol: 'v6'`).
 */
import type { SchedChoice } from '../sched/scheduler.js';
import { VBoxError, VERR_INVALID_PARAMETER } from '../status.js';
import { ADAPTERS, type InspectionFact, type InspectionProtocol } from './adapter.js';
import type { InspectionRecord } from './records.js';
import { XStateShaper, type ShapedInspectionEvent } from './xstate-shape.js';

/** Receives the JSON records directly (and, if it wants them, the scheduler's choices in stream order). */
export interface RecordSink {
  record(record: InspectionRecord): void;
  choice?(choice: SchedChoice): void;
  protocol?: InspectionProtocol;
}

export type XStateInspectFn = (event: ShapedInspectionEvent) => void;
export interface XStateObserverLike {
  next?: ((event: any) => void) | undefined;
  protocol?: InspectionProtocol;
}

/** `createInspector` / `createWebSocketInspector` / `createBrowserInspector` of @statelyai/inspect. */
export interface StatelyInspectorLike {
  inspect: XStateObserverLike | XStateInspectFn;
  protocol?: InspectionProtocol;
}

export type InspectorInput = XStateInspectFn | XStateObserverLike | StatelyInspectorLike | RecordSink | readonly InspectorInput[];

/** A normalized inspector. */
export interface Sink {
  readonly protocol: InspectionProtocol;
  record(record: InspectionRecord): void;
  choice?(choice: SchedChoice): void;
}

/** Tag a function or observer with a protocol: `withProtocol(fn, 'v6')`. */
export function withProtocol(inspector: XStateInspectFn | XStateObserverLike, protocol: InspectionProtocol): StatelyInspectorLike {
  return { inspect: inspector, protocol };
}

function xstateSink(target: XStateInspectFn | XStateObserverLike, protocol: InspectionProtocol): Sink {
  const shaper = new XStateShaper();
  const deliver = typeof target === 'function' ? target : (event: ShapedInspectionEvent) => target.next?.(event);
  return { protocol, record: (record) => deliver(shaper.shape(record)) };
}

/** Normalize any accepted inspector into sinks; VERR_INVALID_PARAMETER says what it got otherwise. */
export function toSinks(input: InspectorInput): Sink[] {
  if (Array.isArray(input)) return (input as readonly InspectorInput[]).flatMap(toSinks);
  if (typeof input === 'function') return [xstateSink(input as XStateInspectFn, 'v5')];
  if (typeof input !== 'object' || input === null) throw new VBoxError(VERR_INVALID_PARAMETER, `inspect: expected an inspector, got ${String(input)}`);
  const protocol: InspectionProtocol = (input as { protocol?: InspectionProtocol }).protocol ?? 'v5';
  if (protocol !== 'v5' && protocol !== 'v6') throw new VBoxError(VERR_INVALID_PARAMETER, `inspect: unknown protocol '${String(protocol)}' (v5 or v6)`);
  if (typeof (input as RecordSink).record === 'function') {
    const sink = input as RecordSink;
    return [{ protocol, record: (r) => sink.record(r), ...(sink.choice ? { choice: (c: SchedChoice) => sink.choice!(c) } : {}) }];
  }
  if ('inspect' in input && input.inspect) return [xstateSink((input as StatelyInspectorLike).inspect, protocol)];
  if (typeof (input as XStateObserverLike).next === 'function') return [xstateSink(input as XStateObserverLike, protocol)];
  throw new VBoxError(VERR_INVALID_PARAMETER, 'inspect: expected a function, an observer ({ next }), an inspector ({ inspect }) or a record sink ({ record })');
}

/** Facts to records, once per protocol in use, numbered per protocol stream, to every sink of that protocol. */
export class RecordPublisher {
  readonly #sinks: Sink[];
  readonly #choiceSinks: Sink[];
  readonly #protocols: InspectionProtocol[];
  readonly #seq: Record<InspectionProtocol, number> = { v5: 0, v6: 0 };

  constructor(input: InspectorInput) {
    this.#sinks = toSinks(input);
    this.#choiceSinks = this.#sinks.filter((s) => s.choice);
    this.#protocols = [...new Set(this.#sinks.map((s) => s.protocol))];
  }

  publish(fact: InspectionFact): void {
    for (const protocol of this.#protocols) {
      for (const unnumbered of ADAPTERS[protocol].records(fact)) {
        // The adapter made a fresh object for this protocol: number it in place.
        const record = unnumbered as InspectionRecord;
        record.seq = this.#seq[protocol]++;
        for (const sink of this.#sinks) if (sink.protocol === protocol) sink.record(record);
      }
    }
  }

  choice(choice: SchedChoice): void {
    for (const sink of this.#choiceSinks) sink.choice!(choice);
  }
}
