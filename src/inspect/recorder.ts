/**
 * The trace recorder (`--trace file.jsonl`): a record sink that writes the inspection stream and the
 * scheduler's choices, interleaved in the order they happened, after a header that says how to rebuild the
 * run. With the choices a deterministic run can be reproduced step for step (`record --from`), and with the
 * records a viewer or inspector can show it without re-running anything.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { SchedChoice } from '../sched/scheduler.js';
import type { InspectionProtocol } from './adapter.js';
import type { RecordSink } from './inspector.js';
import type { InspectionRecord } from './records.js';
import { formatTrace, TRACE_FORMAT, TRACE_VERSION, type TraceHeader, type TraceRecord } from './trace-format.js';

export interface RecorderOptions {
  /** What produced the trace: 'demo', 'record' … */
  source: string;
  /** How to rebuild the run (engine options, cpus, seed …). */
  setup: Record<string, unknown>;
  /** Write to this file as the run goes (otherwise keep everything in memory). */
  file?: string;
  protocol?: InspectionProtocol;
}

/** Lines kept before a write to the file. */
const FLUSH_LINES = 512;

export class TraceRecorder implements RecordSink {
  readonly protocol: InspectionProtocol;
  readonly header: TraceHeader;
  /** Everything recorded, when not writing to a file. */
  readonly records: TraceRecord[] = [];
  #seq = 0;
  #fd: number | undefined;
  #pending: string[] = [];
  count = 0;

  constructor(options: RecorderOptions) {
    this.protocol = options.protocol ?? 'v5';
    this.header = { type: 'header', format: TRACE_FORMAT, version: TRACE_VERSION, source: options.source, setup: options.setup };
    if (options.file) this.#fd = openSync(options.file, 'w');
    this.#add(this.header);
  }

  record(record: InspectionRecord): void {
    this.#add({ type: 'inspect', seq: this.#seq++, event: record as unknown as Record<string, unknown> });
  }

  choice(choice: SchedChoice): void {
    this.#add({ type: 'choice', seq: this.#seq++, choice });
  }

  /** Any other trace record (a client's call, a violation). */
  add(record: TraceRecord): void {
    this.#add(record);
  }

  #add(record: TraceRecord): void {
    this.count++;
    if (this.#fd === undefined) {
      this.records.push(record);
      return;
    }
    this.#pending.push(JSON.stringify(record));
    if (this.#pending.length >= FLUSH_LINES) this.#flush();
  }

  #flush(): void {
    if (this.#fd === undefined || this.#pending.length === 0) return;
    writeSync(this.#fd, this.#pending.join('\n') + '\n');
    this.#pending = [];
  }

  /** Finish the file (no-op in memory). */
  close(): void {
    this.#flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** The in-memory trace as JSON lines. */
  toJsonl(): string {
    return formatTrace(this.records);
  }
}

export function createTraceRecorder(options: RecorderOptions): TraceRecorder {
  return new TraceRecorder(options);
}
