/**
 * The log parser: lines in, in file order, out an ObservedLog — header facts (version, host, vCPUs, halt
 * method, "Log opened"), the state changes with their line numbers and times, and the context lines that say
 * why. It keeps no lines, only what it extracted, so a 100 MB log costs what its state changes cost.
 */
import {
  ANNOTATION_PREFIXES, ANNOTATIONS, GUEST_LOG, HALT_METHOD, LOG_OPENED, NUM_CPUS, OS_PRODUCT, STATE_CHANGE, TIMESTAMP,
  timestampNs, VERSION, type AnnotationKind,
} from './log-lines.js';

export interface LogStateChange {
  /** 1-based line number in the file. */
  line: number;
  /** Elapsed time of the line (ns since the logger started). */
  tNs: number;
  from: string;
  to: string;
  /** What caused it, where the log says (filled in by causes.ts), and the line that says so. */
  cause?: string;
  by?: LogAnnotation;
}

export interface LogAnnotation {
  line: number;
  tNs: number;
  kind: AnnotationKind;
  /** The first capture of the pattern (reason, file, status …), or the message. */
  detail: string;
  /** A second capture (runtime error flags). */
  extra?: string;
}

export interface ObservedLog {
  version: string | null;
  revision: number | null;
  /** `Windows 10 (win.amd64)`. */
  host: string | null;
  cpus: number | null;
  /** `global1 (5)` as the log writes it. */
  haltMethod: { name: string; value: number } | null;
  /** "Log opened" (UTC ISO-8601) and the elapsed time of its line: wall clock = opened + (t - openedAtNs). */
  logOpened: { iso: string; atNs: number } | null;
  changes: LogStateChange[];
  annotations: LogAnnotation[];
  lines: number;
  /** Lines that start with a timestamp. */
  timestamped: number;
  guestLogLines: number;
  /** Lines whose timestamp is earlier than the previous line's (kept in file order). */
  backwardsTimestamps: number;
  /** Control characters and undecodable bytes among the first SAMPLE characters. */
  garbage: { sampled: number; bad: number };
}

/** Characters examined for binary garbage. */
const SAMPLE = 64 * 1024;
/** Annotations kept at most (a pathological log cannot grow the list without bound; state changes always count). */
export const MAX_ANNOTATIONS = 100_000;
const BAD_CHARS = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/g;

export class LogParser {
  readonly log: ObservedLog = {
    version: null, revision: null, host: null, cpus: null, haltMethod: null, logOpened: null, changes: [], annotations: [],
    lines: 0, timestamped: 0, guestLogLines: 0, backwardsTimestamps: 0, garbage: { sampled: 0, bad: 0 },
  };
  #arch: string | null = null;
  #product: string | null = null;
  #lastNs = 0;

  line(text: string, lineNo: number): void {
    const log = this.log;
    log.lines = lineNo;
    this.#sample(text);
    const ts = TIMESTAMP.exec(text);
    if (!ts) {
      // Up to 5.2 the version header has no timestamp; a state change glued after an unterminated line keeps its own.
      if (log.version === null && lineNo <= 3) this.#version(text);
      else if (text.includes('Changing the VM state')) this.#change(text, lineNo, null);
      return;
    }
    log.timestamped++;
    const tNs = timestampNs(ts);
    if (tNs < this.#lastNs) log.backwardsTimestamps++;
    this.#lastNs = tNs;
    const msg = text.slice(ts[0].length);
    if (GUEST_LOG.test(msg)) {
      log.guestLogLines++;
      return;
    }
    if (msg.includes('Changing the VM state') && this.#change(msg, lineNo, tNs)) return;
    if (log.version === null && msg.includes('release log')) this.#version(msg);
    else if (log.logOpened === null && msg.startsWith('Log opened')) {
      const m = LOG_OPENED.exec(msg);
      if (m) log.logOpened = { iso: m[1]!, atNs: tNs };
    } else if (this.#product === null && msg.startsWith('OS Product')) this.#product = OS_PRODUCT.exec(msg)?.[1]?.trim() ?? null;
    else if (log.cpus === null && msg.includes('NumCPUs')) {
      const m = NUM_CPUS.exec(msg);
      if (m) log.cpus = Number(m[1]);
    } else if (log.haltMethod === null && msg.includes('Halt method')) {
      const m = HALT_METHOD.exec(msg);
      if (m) log.haltMethod = { name: m[1]!, value: Number(m[2]) };
    } else this.#annotation(msg, lineNo, tNs);
  }

  finish(): ObservedLog {
    const host = [this.#product, this.#arch ? `(${this.#arch})` : null].filter((s) => s !== null).join(' ');
    this.log.host = host === '' ? null : host;
    return this.log;
  }

  /** A state change anywhere in the line, at its own timestamp when it has one glued in front, else the line's. */
  #change(text: string, line: number, lineNs: number | null): boolean {
    const m = STATE_CHANGE.exec(text);
    const tNs = m?.[1] !== undefined ? timestampNs(m) : lineNs;
    if (!m || tNs === null) return false;
    this.log.changes.push({ line, tNs, from: m[5]!, to: m[6]! });
    return true;
  }

  #version(text: string): void {
    const m = VERSION.exec(text);
    if (!m) return;
    this.log.version = `${m[1]}.${m[2]}.${m[3]}`;
    this.log.revision = Number(m[4]);
    this.#arch = m[5]!;
  }

  #annotation(msg: string, line: number, tNs: number): void {
    if (this.log.annotations.length >= MAX_ANNOTATIONS) return;
    if (!ANNOTATION_PREFIXES.some((p) => msg.startsWith(p))) return;
    for (const { kind, re } of ANNOTATIONS) {
      const m = re.exec(msg);
      if (!m) continue;
      this.log.annotations.push({ line, tNs, kind, detail: m[1] ?? msg, ...(m[2] ? { extra: m[2] } : {}) });
      return;
    }
  }

  #sample(text: string): void {
    const g = this.log.garbage;
    if (g.sampled >= SAMPLE) return;
    const part = text.slice(0, SAMPLE - g.sampled);
    g.sampled += part.length + 1;
    g.bad += part.match(BAD_CHARS)?.length ?? 0;
  }
}
