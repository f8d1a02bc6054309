/**
 * Reproducing a recorded run: a runner (the demo, or any embedder's scenario) rebuilt from a trace header's
 * setup, its scheduler following the recorded step choices, recorded again; and the comparison of two
 * traces' inspection streams. The runner is passed in, so this file needs nothing from the CLI.
 */
import type { ChoicePolicy } from '../sched/deterministic.js';
import type { InspectorInput } from './inspector.js';
import { TraceRecorder } from './recorder.js';
import { choicesOf, inspectionOf, readTrace, traceHeader } from './replayer.js';

/** Runs the scenario once with these inspectors and this scheduling policy. */
export type TraceRunner = (run: { setup: Record<string, unknown>; inspect: InspectorInput; policy?: ChoicePolicy }) => Promise<unknown>;

export interface ReproduceOptions {
  out: string;
  run: TraceRunner;
  /** The setup of a fresh run (ignored with `from`). */
  setup?: Record<string, unknown>;
  /** A trace to reproduce (its setup and choices). */
  from?: string;
  source?: string;
}

export async function reproduceRun(options: ReproduceOptions): Promise<{ records: number }> {
  let setup = options.setup ?? {};
  let policy: ChoicePolicy | undefined;
  if (options.from) {
    const trace = readTrace(options.from);
    const header = traceHeader(trace);
    if (header.setup.clock === 'real') throw new Error(`${options.from}: a real-time run cannot be reproduced (its choices follow the host's timing)`);
    setup = header.setup;
    const seed = Number(setup.seed);
    const then: ChoicePolicy = Number.isInteger(seed) ? { kind: 'seeded', seed } : { kind: 'first' };
    policy = { kind: 'replay', choices: choicesOf(trace), then };
  }
  const recorder = new TraceRecorder({ source: options.source ?? 'demo', setup, file: options.out });
  try {
    await options.run({ setup, inspect: recorder, ...(policy ? { policy } : {}) });
  } finally {
    recorder.close();
  }
  return { records: recorder.count };
}

/** null when both traces have the same inspection stream; else where they first differ. */
export function compareTraces(a: string, b: string): string | null {
  const left = inspectionOf(readTrace(a)).map((r) => JSON.stringify(r));
  const right = inspectionOf(readTrace(b)).map((r) => JSON.stringify(r));
  const n = Math.min(left.length, right.length);
  for (let i = 0; i < n; i++) if (left[i] !== right[i]) return `record ${i}: ${left[i]} vs ${right[i]}`;
  return left.length === right.length ? null : `lengths ${left.length} vs ${right.length}`;
}
