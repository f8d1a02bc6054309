/**
 * Replay a checker trace in the deterministic runtime: rebuild the world from the header's scenario with the
 * scheduler's replay policy (the recorded step indices, VM creation included), let the policy pick every step,
 * fire the recorded timers, check that each step took the recorded actor, and evaluate the same properties.
 * The result carries the violation text the replay printed, which must equal the trace's.
 */
import { parseTrace, type TraceChoice, type TraceHeader, type TraceRecord, type TraceViolation } from '../inspect/trace-format.js';
import { BUILT_IN_PROPERTIES } from './invariants/index.js';
import { KeyWriter } from './key-writer.js';
import type { PropertyDef, UserInvariant, Violation } from './property.js';
import { CPUS_MAX_SAMPLING, parseScenario } from './scenario.js';
import { encodeWorld, identityOrder } from './state-key.js';
import { symmetryOf } from './symmetry.js';
import { livenessMessage, type TraceSetup, type UserCheck } from './trace.js';
import { World, type EngineVariant } from './world.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';

export interface ReplayOptions {
  invariants?: readonly UserInvariant[];
  properties?: readonly PropertyDef[];
  /** Traces of test-only mutants replay only with the same engine variant. */
  engine?: EngineVariant;
  /** Called after each replayed choice (viewers, step-by-step output). */
  onStep?: (world: World, choice: TraceChoice, events: readonly VmTraceEvent[]) => void;
}

export interface ReplayResult {
  /** The violation the replay itself found (null: the run was clean). */
  violation: Violation | null;
  /** The violation recorded in the trace. */
  expected: Violation | null;
  /** The replay found the recorded violation, with the same text. */
  reproduced: boolean;
  steps: number;
  /** Set when the run stopped following the trace (an actor other than the recorded one stepped). */
  divergence: string | null;
  /** The user invariant or property the recorded violation came from (the trace header says so), else null. */
  user: UserCheck | null;
  world: World;
}

export function replayTrace(text: string, options: ReplayOptions = {}): ReplayResult {
  return replayRecords(parseTrace(text), options);
}

export function replayRecords(records: readonly TraceRecord[], options: ReplayOptions = {}): ReplayResult {
  const header = records[0] as TraceHeader;
  if (header.source !== 'check') throw new Error(`trace source is '${header.source}', not 'check': replay it with the inspector`);
  const setup = header.setup as unknown as TraceSetup;
  if (setup.mutant && !options.engine) {
    throw new Error(`this trace comes from the test-only mutant '${setup.mutant}'; replay it from a test with replayTrace(text, { engine })`);
  }
  const scenario = parseScenario(setup.scenario, 'trace header scenario', CPUS_MAX_SAMPLING); // sampling runs take up to 64 vCPUs
  const choices = records.filter((r): r is TraceChoice => r.type === 'choice');
  const steps = choices.flatMap((r) => (r.choice.kind === 'step' ? [r.choice.index] : []));
  const world = World.build(scenario, {
    properties: [...BUILT_IN_PROPERTIES, ...(options.properties ?? [])],
    invariants: options.invariants ?? [],
    record: true,
    policy: { kind: 'replay', choices: steps },
    ...(options.engine ? { engine: options.engine } : {}),
  });
  const expectedRecord = records.find((r): r is TraceViolation => r.type === 'violation');
  const expected = expectedRecord ? { property: expectedRecord.property, message: expectedRecord.message } : null;
  let divergence: string | null = null;
  const created = world.sched.choices.length;
  const key = new KeyWriter();
  const order = symmetryOf(scenario, setup.symmetry);
  const keyOf = () => {
    encodeWorld(world, key, order.order(world) ?? identityOrder(scenario.cpus));
    key.hash();
    return `${key.hi}:${key.lo}`;
  };
  let lassoKey: string | null = null;
  let taken = 0;
  for (let i = 0; i < created; i++) {
    const recorded = choices[i]?.choice;
    const actual = world.sched.choices[i]!;
    if (!recorded || JSON.stringify(recorded) !== JSON.stringify(actual)) divergence ??= `VM creation diverged at choice ${i}`;
  }
  for (let i = created; i < choices.length && !world.violation && !divergence; i++) {
    if (setup.lassoAt !== undefined && taken === setup.lassoAt) lassoKey = keyOf();
    const recorded = choices[i]!;
    const before = world.records!.length;
    if (recorded.choice.kind === 'timer') world.fireTimer();
    else world.stepByPolicy();
    taken++;
    const actual = world.sched.choices[world.sched.choices.length - 1];
    const same = recorded.choice.kind === 'timer' ? actual?.kind === 'timer' : actual?.kind === 'step' && actual.actor === recorded.choice.actor;
    if (!same) divergence = `choice ${taken}: the trace says ${describe(recorded.choice)}, the replay took ${actual ? describe(actual) : 'nothing'}`;
    options.onStep?.(world, recorded, world.records!.slice(before).flatMap((r) => (r.type === 'event' ? [r.event] : [])));
  }
  if (!world.violation && !divergence) {
    if (setup.lassoAt !== undefined) {
      // A liveness lasso: the cycle must come back to the state it started from, with the call still pending.
      if (lassoKey !== null && keyOf() === lassoKey && world.view.pendingCalls.length > 0) {
        world.fail('liveness', livenessMessage(world, taken - setup.lassoAt));
      }
    } else if (world.terminal) world.checkTerminal();
  }
  const violation = world.violation;
  const reproduced = !divergence && violation !== null && expected !== null && violation.property === expected.property && violation.message === expected.message;
  return { violation, expected, reproduced, steps: taken, divergence, user: setup.user ?? null, world };
}

const describe = (choice: TraceChoice['choice']): string => (choice.kind === 'timer' ? `timer ${choice.label}` : `${choice.actor} (choice ${choice.index} of ${choice.of})`);
