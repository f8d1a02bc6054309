/**
 * The observed run as a trace in the project's format (src/inspect/trace-format.ts): VM 1 is the VM of the log
 * — its state changes on the log's own time axis (ns since the logger started) and the context lines as
 * events carrying their wall-clock time from "Log opened" —, VM 2 the engine's re-enactment on its virtual
 * clock, which the re-enactment drove to the same times. `vmm-actors view` shows both side by side.
 */
import { vmEdges } from '../../machines/vm.js';
import { TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceRecord } from '../inspect/trace-format.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';
import type { ObservedLog } from './parser.js';
import type { Reenactment } from './reenact.js';
import type { ObserveReport } from './observe.js';

/** The VM numbers in the trace. */
export const OBSERVED_VM = 1;
export const REENACTED_VM = 2;

const EDGE_EVENT = new Map(vmEdges().map((e) => [`${e.from}>${e.to}`, e.event]));

export function observedTrace(report: ObserveReport, log: ObservedLog, re: Reenactment | undefined): TraceRecord[] {
  const opened = log.logOpened ? Date.parse(log.logOpened.iso) : NaN;
  /** Wall clock of the logger's start: "Log opened" minus the elapsed time of its own line. */
  const startMs = Number.isNaN(opened) ? null : opened - log.logOpened!.atNs / 1e6;
  const wall = (tNs: number) => (startMs === null ? undefined : new Date(startMs + tNs / 1e6).toISOString());
  const observed: { tNs: number; event: unknown }[] = [];
  // Context lines and state changes in file order (both lists are in it already).
  let a = 0;
  const annotation = (i: number) => {
    const x = log.annotations[i]!;
    return { tNs: x.tNs, event: { kind: 'log', tNs: x.tNs, line: x.line, type: x.kind, detail: x.detail, ...(wall(x.tNs) ? { wall: wall(x.tNs) } : {}) } };
  };
  for (const c of log.changes) {
    while (a < log.annotations.length && log.annotations[a]!.line < c.line) observed.push(annotation(a++));
    const event: VmTraceEvent = { kind: 'state', from: c.from as never, to: c.to as never, event: (EDGE_EVENT.get(`${c.from}>${c.to}`) ?? `${c.from}->${c.to}`) as never, by: 'log', tNs: c.tNs };
    observed.push({ tNs: c.tNs, event });
  }
  while (a < log.annotations.length) observed.push(annotation(a++));
  const engine = (re?.events ?? []).map((event) => ({ tNs: event.tNs, event }));

  const records: TraceRecord[] = [{
    type: 'header', format: TRACE_FORMAT, version: TRACE_VERSION, source: 'observe',
    setup: {
      clock: 'log', file: report.file, version: report.version, host: report.host, cpus: report.cpus, haltMethod: report.haltMethod,
      logOpened: report.logOpened, loggerStart: startMs === null ? null : new Date(startMs).toISOString(),
      vms: { [OBSERVED_VM]: `observed: ${report.file}`, [REENACTED_VM]: `re-enacted: ${report.reenact}` },
      verdict: report.verdict, reenact: report.reenact,
    },
  }];
  // Merge on time, each side in its own order (a log's timestamps may go backwards: file order wins).
  let i = 0;
  let j = 0;
  let seq = 0;
  const push = (vm: number, event: unknown) => records.push({ type: 'event', seq: seq++, vm, event: event as TraceEvent['event'] });
  while (i < observed.length || j < engine.length) {
    if (j >= engine.length || (i < observed.length && observed[i]!.tNs <= engine[j]!.tNs)) push(OBSERVED_VM, observed[i++]!.event);
    else push(REENACTED_VM, engine[j++]!.event);
  }
  return records;
}
