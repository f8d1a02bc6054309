/**
 * The trace file format shared by the recorder (`--trace`), the checker's counterexamples and `replay`:
 * JSON lines, one record per line, the header first. A trace carries the scheduler's choices, so the
 * deterministic runtime can re-run it exactly, and the events, so a viewer can show it without re-running.
 */
import type { SchedChoice } from '../sched/scheduler.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';
import { traceRecordProblem } from './trace-validate.js';

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

/** A trace file that is not a well-formed vmm-actors trace; the message names `source:line`. */
export class TraceFormatError extends Error {
  override name = 'TraceFormatError';
}

/**
 * Parse and check a trace; bad input throws a TraceFormatError that names `source:line` (the file, 1-based line,
 * blank lines counted) and what is wrong there.
 */
export function parseTrace(text: string, source = 'trace'): TraceRecord[] {
  const records: TraceRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const where = `${source}:${i + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new TraceFormatError(`${where}: not JSON`);
    }
    if (records.length === 0) {
      const header = record as Partial<TraceHeader> | null;
      if (header?.type !== 'header' || header.format !== TRACE_FORMAT) throw new TraceFormatError(`${where}: not a vmm-actors trace header`);
      if (header.version !== TRACE_VERSION) throw new TraceFormatError(`${where}: trace version ${String(header.version)} is not supported (want ${TRACE_VERSION})`);
    }
    const problem = traceRecordProblem(record);
    if (problem) throw new TraceFormatError(`${where}: ${problem}`);
    records.push(record as TraceRecord);
  }
  if (records.length === 0) throw new TraceFormatError(`${source}: empty, not a vmm-actors trace`);
  return records;
}
