/**
 * Counterexamples as trace files (src/inspect/trace-format.ts): the header names the source ('check') and
 * carries the scenario, then every scheduler choice from VM creation on, the client calls, the engine's events
 * and the violation, in the order they happened. The explorer finds a violation by its choice prefix; this file
 * re-runs that prefix once with recording on to produce the records.
 */
import { formatTrace, TRACE_FORMAT, TRACE_VERSION, type TraceRecord } from '../inspect/trace-format.js';
import { BUILT_IN_PROPERTIES } from './invariants/index.js';
import { callCompletes } from './monitors/call-completes.js';
import type { Violation } from './property.js';
import type { ScenarioSpec } from './scenario.js';
import { World, type WorldOptions } from './world.js';

export interface Counterexample extends Violation {
  /** The explored choices after VM creation (indices into the ready actors, the timer last). */
  readonly choices: readonly number[];
  /** Liveness lassos: the cycle starts after this many choices. */
  readonly lassoAt?: number;
  /** The trace records; `text` is the JSON-lines file. */
  readonly trace: readonly TraceRecord[];
  readonly text: string;
  /** The command that replays the file once written, e.g. `npx vmm-actors replay trace.jsonl`. */
  replayCommand(file: string): string;
}

export interface TraceSetup {
  scenario: ScenarioSpec;
  /** Exploration settings that matter for replay (symmetry renames vCPUs in lasso keys). */
  symmetry: boolean;
  lassoAt?: number;
  /** A test-only engine variant, by name: such traces replay only from tests. */
  mutant?: string;
  /** The violation came from the caller's code (a user invariant or an extra property), which only a library call can run again. */
  user?: UserCheck;
}

export interface UserCheck {
  kind: 'invariant' | 'property';
  name: string;
}

/** The user check a violation came from, if it did not come from a built-in property. */
function userCheckOf(worldOptions: WorldOptions, property: string): UserCheck | undefined {
  if (worldOptions.invariants?.some((i) => i.name === property)) return { kind: 'invariant', name: property };
  const builtIn = BUILT_IN_PROPERTIES.some((p) => p.name === property);
  if (!builtIn && worldOptions.properties.some((p) => p.name === property)) return { kind: 'property', name: property };
  return undefined;
}

/** The library call that replays a trace whose violation came from a user check (the CLI cannot run user code). */
export function libraryReplayCall(file: string, user: UserCheck): string {
  const option = user.kind === 'invariant' ? 'invariants' : 'properties';
  return `replayTrace(readFileSync(${JSON.stringify(file)}, 'utf8'), { ${option}: [/* your ${user.kind} '${user.name}' */] })  // import { replayTrace } from 'vmm-actors/check'`;
}

/** The CLI command that replays a trace file (violations of built-in properties). */
export const cliReplayCommand = (file: string): string => `npx vmm-actors replay ${file}`;

/** Re-run a violating prefix with recording on and package it. */
export function counterexampleTrace(
  scenario: ScenarioSpec,
  worldOptions: WorldOptions,
  violation: Violation,
  choices: readonly number[],
  options: { symmetry?: boolean; lassoAt?: number; mutant?: string },
): Counterexample {
  const world = World.build(scenario, { ...worldOptions, record: true, coverage: undefined });
  for (const choice of choices) {
    if (world.violation) break;
    world.step(choice);
  }
  if (!world.violation && options.lassoAt === undefined && world.terminal) world.checkTerminal();
  if (options.lassoAt !== undefined && !world.violation) {
    world.fail(violation.property, violation.message);
  }
  const records = world.records!;
  const user = userCheckOf(worldOptions, violation.property);
  const setup: TraceSetup = {
    scenario,
    symmetry: options.symmetry ?? true,
    ...(options.lassoAt !== undefined ? { lassoAt: options.lassoAt } : {}),
    ...(options.mutant ? { mutant: options.mutant } : {}),
    ...(user ? { user } : {}),
  };
  const header: TraceRecord = { type: 'header', format: TRACE_FORMAT, version: TRACE_VERSION, source: 'check', setup: setup as unknown as Record<string, unknown> };
  const trace = [header, ...records.map((r, seq) => ({ ...r, seq }) as TraceRecord)];
  if (!trace.some((r) => r.type === 'violation')) trace.push({ type: 'violation', seq: trace.length - 1, property: violation.property, message: violation.message });
  return {
    property: violation.property,
    message: violation.message,
    choices,
    ...(options.lassoAt !== undefined ? { lassoAt: options.lassoAt } : {}),
    trace,
    text: formatTrace(trace),
    replayCommand: (file: string) => (user ? libraryReplayCall(file, user) : cliReplayCommand(file)),
  };
}

/** The liveness message for a lasso whose cycle starts in `world`. */
export function livenessMessage(world: World, cycleSteps: number): string {
  return callCompletes.message(world.view.pendingCalls, cycleSteps);
}
