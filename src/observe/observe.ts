/**
 * observe: one VBox.log in, one report out — what the log says (version, host, vCPUs, halt method, the state
 * path with times and causes, completeness), the conformance verdict against machines/vm.ts, the engine's
 * re-enactment, and the trace to watch. `--json` prints the report without its trace.
 */
import { attachCauses } from './causes.js';
import { planCalls } from './calls.js';
import { checkConformance, type Verdict, type Violation } from './conformance.js';
import { readFileLines, splitText } from './lines.js';
import { formatElapsed } from './log-lines.js';
import { LogParser, type ObservedLog } from './parser.js';
import { reenact, type CallOutcome, type Divergence, type Reenactment } from './reenact.js';
import { observedTrace } from './trace.js';
import type { TraceRecord } from '../inspect/trace-format.js';

/** Bad input: empty, binary, not a VirtualBox release log (the CLI exits 2 with the message). */
export class ObserveInputError extends Error {
  override name = 'ObserveInputError';
}

export interface ObservedChange {
  line: number;
  /** `HH:MM:SS.uuuuuu` elapsed, as the log writes it. */
  time: string;
  tNs: number;
  from: string;
  to: string;
  cause?: string;
}

export interface ObserveReport {
  file: string;
  version: string | null;
  revision: number | null;
  host: string | null;
  cpus: number | null;
  haltMethod: string | null;
  logOpened: string | null;
  /** The path as state names (CREATING first for a whole lifecycle). */
  states: string[];
  changes: ObservedChange[];
  /** Starts in CREATING and ends in TERMINATED (a failed start: "Power up failed" logged). */
  complete: boolean;
  verdict: Verdict;
  firstViolation?: Violation;
  unsupportedReason?: string;
  reenact: Reenactment['result'];
  firstDivergence?: Divergence;
  /** Why the engine was not driven (a verdict other than conforms, or turned off). */
  reenactSkipped?: string;
  reenactStates: string[];
  /** The halt method the engine VM ran with (VMHALTMETHOD name), from the log's. */
  reenactHaltMethod: string | null;
  calls: CallOutcome[];
  notes: string[];
  lines: number;
  guestLogLines: number;
  backwardsTimestamps: number;
}

export interface ObserveResult extends ObserveReport {
  /** The observed run and the re-enacted one, in the project's trace format (not printed by --json). */
  trace: TraceRecord[];
}

export interface ObserveOptions {
  /** Name to report (default `<text>`). */
  file?: string;
  /** Skip the engine (conformance only). */
  reenact?: boolean;
  /** Re-enact at most this many calls (default 20,000: the engine's events for each are kept for the trace). */
  maxCalls?: number;
}

export const DEFAULT_MAX_CALLS = 20_000;

/** Observe a log given as text. */
export async function observeLog(text: string, options: ObserveOptions = {}): Promise<ObserveResult> {
  const parser = new LogParser();
  splitText(text, (line, n) => parser.line(line, n));
  return observeParsed(parser.finish(), options.file ?? '<text>', text.length, options);
}

/** Observe a log file, read as a stream (bounded memory whatever its size). */
export async function observeFile(path: string, options: ObserveOptions = {}): Promise<ObserveResult> {
  const parser = new LogParser();
  let bytes: number;
  try {
    bytes = await readFileLines(path, (line, n) => parser.line(line, n));
  } catch (error) {
    throw new ObserveInputError(`${path}: cannot read: ${(error as Error).message}`);
  }
  return observeParsed(parser.finish(), options.file ?? path, bytes, options);
}

async function observeParsed(log: ObservedLog, file: string, size: number, options: ObserveOptions): Promise<ObserveResult> {
  checkReadable(log, file, size);
  attachCauses(log);
  const conformance = checkConformance(log);
  const { changes } = log;
  const first = changes[0];
  const last = changes.at(-1);
  const powerUpFailed = log.annotations.some((a) => a.kind === 'power-up-failed');
  const complete = first ? first.from === 'CREATING' && last!.to === 'TERMINATED' : powerUpFailed;
  const notes = notesOf(log);
  const { re, skipped } = await reenactOrSkip(log, complete, conformance.verdict, options, notes);
  const report: ObserveReport = {
    file, version: log.version, revision: log.revision, host: log.host, cpus: log.cpus,
    haltMethod: log.haltMethod ? `${log.haltMethod.name} (${log.haltMethod.value})` : null,
    logOpened: log.logOpened?.iso ?? null,
    states: first ? [first.from, ...changes.map((c) => c.to)] : [],
    changes: changes.map((c) => ({ line: c.line, time: formatElapsed(c.tNs), tNs: c.tNs, from: c.from, to: c.to, ...(c.cause ? { cause: c.cause } : {}) })),
    complete, verdict: conformance.verdict,
    ...(conformance.firstViolation ? { firstViolation: conformance.firstViolation } : {}),
    ...(conformance.reason ? { unsupportedReason: conformance.reason } : {}),
    reenact: re?.result ?? 'skipped',
    ...(re?.firstDivergence ? { firstDivergence: re.firstDivergence } : {}),
    ...(skipped ? { reenactSkipped: skipped } : {}),
    reenactStates: re?.states ?? [],
    reenactHaltMethod: re?.haltMethod ?? null,
    calls: re?.calls ?? [],
    notes,
    lines: log.lines, guestLogLines: log.guestLogLines, backwardsTimestamps: log.backwardsTimestamps,
  };
  return { ...report, trace: observedTrace(report, log, re) };
}

/** What a reader should know about the log as a whole: where it starts and ends, what was assumed or ignored. */
function notesOf(log: ObservedLog): string[] {
  const first = log.changes[0];
  const last = log.changes.at(-1);
  const notes: string[] = [];
  if (first && first.from !== 'CREATING') notes.push(`starts mid-life: line ${first.line} begins in ${first.from} (an excerpt: nothing before it)`);
  if (last && last.to !== 'TERMINATED') notes.push(`ends mid-life in ${last.to} (line ${last.line})`);
  const powerUpFailed = log.annotations.find((a) => a.kind === 'power-up-failed');
  if (!first && powerUpFailed) {
    // VMSetError logs the source location, then the message: the last one before "Power up failed" says why.
    const why = log.annotations.filter((a) => a.kind === 'set-error' && a.line < powerUpFailed.line).at(-1);
    notes.push(`a failed start (line ${powerUpFailed.line}: Power up failed, ${powerUpFailed.detail})${why ? `: ${why.detail}` : ''}; no VM state change`);
  }
  if (log.cpus === null && first) notes.push('vCPUs not in the log (no CFGM dump): re-enacted with 1');
  if (log.backwardsTimestamps > 0) notes.push(`${log.backwardsTimestamps} timestamp(s) go backwards: file order kept`);
  if (log.guestLogLines > 0) notes.push(`${log.guestLogLines} guest log line(s) ignored`);
  return notes;
}

/** The engine's re-enactment of a conforming log, or why there is none. */
async function reenactOrSkip(
  log: ObservedLog, complete: boolean, verdict: Verdict, options: ObserveOptions, notes: string[],
): Promise<{ re?: Reenactment; skipped?: string }> {
  if (verdict !== 'conforms') return { skipped: `verdict ${verdict}` };
  if (options.reenact === false) return { skipped: 're-enactment off' };
  const { changes } = log;
  const plan = planCalls(changes);
  const maxCalls = options.maxCalls ?? DEFAULT_MAX_CALLS;
  if (plan.calls.length > maxCalls) return { skipped: `${plan.calls.length} calls, more than the limit of ${maxCalls} (--max-calls)` };
  if (plan.leadIn.length > 0) notes.push(`re-enacted after a lead-in of ${plan.leadIn.length} change(s) to reach ${changes[0]!.from}`);
  return { re: await reenact({ cpus: log.cpus ?? 1, haltMethod: log.haltMethod?.value ?? null, changes, complete }, plan) };
}

/** Empty, binary or foreign input is refused with a message that says which. */
function checkReadable(log: ObservedLog, file: string, size: number): void {
  if (size === 0 || log.lines === 0) throw new ObserveInputError(`${file}: empty file`);
  const { sampled, bad } = log.garbage;
  if (sampled > 0 && bad / sampled > 0.02) {
    throw new ObserveInputError(`${file}: binary data, not a text log (${bad} control or undecodable characters in the first ${sampled})`);
  }
  if (log.timestamped === 0) throw new ObserveInputError(`${file}: not a VirtualBox release log (no line starts with an HH:MM:SS.uuuuuu or HH:MM:SS.mmm timestamp)`);
}

/** The report without its trace, as `--json` prints it. */
export function reportOf(result: ObserveResult): ObserveReport {
  const { trace: _trace, ...report } = result;
  return report;
}
