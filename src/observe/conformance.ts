/**
 * Conformance of an observed path to machines/vm.ts: every change must be an edge of the machine (read from
 * its definition, vmEdges(), never a second table) and start where the previous one ended. Logs from before
 * 3.1 use an older state model and are refused as unsupported, not reported as violations.
 */
import { VM_STATES, vmEdges } from '../../machines/vm.js';
import type { LogStateChange, ObservedLog } from './parser.js';

export type Verdict = 'conforms' | 'violation' | 'no-lifecycle' | 'unsupported';

export interface Violation {
  line: number;
  from: string;
  to: string;
  /** 'illegal': not an edge of machines/vm.ts; 'gap': does not start where the previous change ended. */
  kind: 'illegal' | 'gap';
  message: string;
}

export interface Conformance {
  verdict: Verdict;
  firstViolation?: Violation;
  /** Why the log is unsupported. */
  reason?: string;
}

const EDGES = new Set(vmEdges().map((e) => `${e.from}>${e.to}`));
const STATES = new Set<string>(VM_STATES);

/** 3.1 introduced the state model machines/vm.ts holds. */
export function isPre31(version: string | null): boolean {
  if (version === null) return false;
  const [major, minor] = version.split('.').map(Number) as [number, number];
  return major < 3 || (major === 3 && minor < 1);
}

export function checkConformance(log: ObservedLog): Conformance {
  const { changes } = log;
  if (isPre31(log.version)) return { verdict: 'unsupported', reason: `VirtualBox ${log.version} predates the 3.1 VM state model` };
  const unknown = changes.find((c) => !STATES.has(c.from) || !STATES.has(c.to));
  // An unknown name (DESTROYED …) is an older state model when the header does not say which version wrote the log.
  if (unknown && log.version === null) {
    return { verdict: 'unsupported', reason: `line ${unknown.line}: state '${STATES.has(unknown.from) ? unknown.to : unknown.from}' is not a VMSTATE of 3.1 or later (older state model?)` };
  }
  if (changes.length === 0) return { verdict: 'no-lifecycle' };
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const prev: LogStateChange | undefined = changes[i - 1];
    if (prev && prev.to !== c.from) {
      return {
        verdict: 'violation',
        firstViolation: {
          line: c.line, from: c.from, to: c.to, kind: 'gap',
          message: `the path does not connect: line ${prev.line} ended in ${prev.to}, line ${c.line} starts from ${c.from} (lines missing or cut here?)`,
        },
      };
    }
    if (!EDGES.has(`${c.from}>${c.to}`)) {
      return {
        verdict: 'violation',
        firstViolation: { line: c.line, from: c.from, to: c.to, kind: 'illegal', message: `${c.from} -> ${c.to} is not an edge of machines/vm.ts` },
      };
    }
  }
  return { verdict: 'conforms' };
}
