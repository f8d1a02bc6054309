/**
 * The trace file format shared by the recorder (`--trace`), the checker's counterexamples and `replay`:
 * JSON lines, one record per line, the header first. A trace carries the scheduler's choices, so the
 * deterministic runtime can re-run it exactly, and the events, so a viewer can show it without re-running.
 */
import type { SchedChoice } from '../sched/scheduler.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';

export const TRACE_FORMAT = 'vmm-actors-trace';
export const TRACE_VERSION = 1;

export interface TraceHeader {
  type: 'header';
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  /** What produced it: 'demo', 'check', 'record' … */
  source: string;
  /** How to rebuild the run: engine options (clock, seed, fidelity, cpus …) and, for the checker, the scenario. */
  setup: Record<string, unknown>;
}

/** One scheduler decision, in order; `seq` counts records. */
export interface TraceChoice {
  type: 'choice';
  seq: number;
  choice: SchedChoice;
}

/** One engine event of VM `vm`. */
export interface TraceEvent {
  type: 'event';
  seq: number;
  vm: number;
  event: VmTraceEvent;
}

/** An XState inspection event as the adapter produced it (for inspectors fed from a file). */
export interface TraceInspection {
  type: 'inspect';
  seq: number;
  event: Record<string, unknown>;
}

/** A client's API call and its outcome (checker scenarios, recorded embedders). */
export interface TraceCall {
  type: 'call';
  seq: number;
  client: string;
  api: string;
  args: unknown[];
  phase: 'start' | 'end';
  rc?: number;
}

/** A property that failed: the text `replay` must print again. */
export interface TraceViolation {
  type: 'violation';
  seq: number;
  property: string;
  message: string;
}

export type TraceRecord = TraceHeader | TraceChoice | TraceEvent | TraceInspection | TraceCall | TraceViolation;

export function formatTrace(records: readonly TraceRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** Parse and check a trace; throws an Error naming the line on bad input. */
export function parseTrace(text: string): TraceRecord[] {
  const records = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as TraceRecord;
      } catch {
        throw new Error(`trace line ${i + 1}: not JSON`);
      }
    });
  const header = records[0];
  if (!header || header.type !== 'header' || header.format !== TRACE_FORMAT) throw new Error('trace line 1: not a vmm-actors trace header');
  if (header.version !== TRACE_VERSION) throw new Error(`trace version ${String(header.version)} is not supported (want ${TRACE_VERSION})`);
  return records;
}
