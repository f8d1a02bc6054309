/**
 * Conformance: the VMSTATE machine against vmR3ValidateStateTransition (vbox-facts.md §1.2) and the ordered
 * try-set-state lists of VM.cpp (§1.3, §1.4), as recorded in shared/reference/vmstate-transitions.json.
 *
 * Method: read the edge set from the machine twice (vmEdges() and an independent walk over
 * vmMachine.root.states[*].transitions) and require it to be the 65 table edges plus exactly the two code-only
 * reset edges. Then put a fresh snapshot in every state (with every legal predecessor as enmPrevVMState, so
 * the reset guards see both SUSPENDED and RUNNING), send every event the machine knows through the pure
 * `transition()`, and check all 31 × 31 (from, to) pairs: reachable in one event iff legal, and a refused
 * event changes nothing. Last, VM_API_TRANSITIONS must list the same pairs in the same order as the JSON.
 */
import { transition, type SnapshotFrom } from 'xstate';
import { describe, expect, it } from 'vitest';
import { VM_API_TRANSITIONS, VM_STATES, vmEdges, vmMachine, type VmApi, type VmState } from '../../machines/vm.js';
import { readReference } from '../support/reference.js';

/** The shape of vmstate-transitions.json (the parts these tests read). */
interface Reference {
  states: string[];
  transitions: Record<string, string[]>;
  transitionCount: number;
  apiTransitions: Record<string, [string, string][]>;
  codeTransitionsNotInTable: { from: string; to: string; where: string }[];
}

const reference = readReference<Reference>();

type VmSnapshot = SnapshotFrom<typeof vmMachine>;

const pairKey = (from: string, to: string) => `${from} -> ${to}`;

const tableEdges: string[] = Object.entries(reference.transitions).flatMap(([from, targets]) =>
  targets.map((to) => pairKey(from, to)),
);
const codeOnlyEdges: string[] = reference.codeTransitionsNotInTable.map(({ from, to }) => pairKey(from, to));
const legalEdges = new Set([...tableEdges, ...codeOnlyEdges]);

/** The machine's top-level states: the enum without RUNNING_FT (dead, §1.1). */
const machineStates = Object.keys(vmMachine.root.states) as VmState[];

/** Every event type the definition handles anywhere, read from the state nodes. */
const machineEvents: string[] = [
  ...new Set(Object.values(vmMachine.root.states).flatMap((node) => [...node.transitions.keys()])),
].sort();

/** The edges as an independent walk over the state nodes' transition maps sees them (one entry per target). */
function walkEdges(): string[] {
  const edges: string[] = [];
  for (const [from, node] of Object.entries(vmMachine.root.states)) {
    for (const definitions of node.transitions.values()) {
      for (const definition of definitions) {
        for (const target of definition.target ?? []) edges.push(pairKey(from, target.key));
      }
    }
  }
  return edges;
}

/** enmPrevVMState values a state can be entered with: every legal predecessor (null only for CREATING). */
function prevStatesOf(state: VmState): (VmState | null)[] {
  const predecessors = [...legalEdges]
    .map((edge) => edge.split(' -> ') as [VmState, VmState])
    .filter(([, to]) => to === state)
    .map(([from]) => from);
  return predecessors.length > 0 ? predecessors : [null];
}

interface Step {
  prevState: VmState | null;
  event: string;
  before: VmSnapshot;
  after: VmSnapshot;
}

/** Every (enmPrevVMState, event) from one state, through the pure step; memoized per source state. */
const stepsMemo = new Map<VmState, Step[]>();
function stepsFrom(from: VmState): Step[] {
  let steps = stepsMemo.get(from);
  if (!steps) {
    steps = [];
    for (const prevState of prevStatesOf(from)) {
      for (const event of machineEvents) {
        const before = vmMachine.resolveState({ value: from, context: { prevState } });
        const [after] = transition(vmMachine, before, { type: event } as never);
        steps.push({ prevState, event, before, after });
      }
    }
    stepsMemo.set(from, steps);
  }
  return steps;
}

const accepted = (step: Step) => step.after !== step.before;

describe('vmR3ValidateStateTransition: the edge set', () => {
  it('the reference has 65 table edges and two code-only ones, all distinct', () => {
    expect(tableEdges).toHaveLength(reference.transitionCount);
    expect(reference.transitionCount).toBe(65);
    expect(new Set(tableEdges).size).toBe(65);
    expect(codeOnlyEdges).toEqual(['RESETTING -> SUSPENDED', 'SOFT_RESETTING -> SUSPENDED']);
    for (const edge of codeOnlyEdges) expect(tableEdges, edge).not.toContain(edge);
  });

  it('vmEdges() is exactly the 65 table edges plus the two code-only edges, each taken by one event', () => {
    const edges = vmEdges();
    const pairs = edges.map(({ from, to }) => pairKey(from, to));
    expect(pairs).toHaveLength(67);
    expect(new Set(pairs).size).toBe(67);
    expect([...pairs].sort()).toEqual([...legalEdges].sort());
    // The code-only edges are the guarded way out of reset (enmPrevVMState == SUSPENDED).
    const guarded = edges.filter((e) => e.guard !== undefined).map((e) => `${pairKey(e.from, e.to)} [${e.guard}]`);
    expect(guarded.sort()).toEqual([
      'RESETTING -> SUSPENDED [wasSuspended]',
      'SOFT_RESETTING -> SUSPENDED [wasSuspended]',
    ]);
  });

  it('walking vmMachine.root.states[*].transitions gives the same 67 edges', () => {
    const pairs = walkEdges();
    expect(pairs).toHaveLength(67);
    expect([...pairs].sort()).toEqual([...legalEdges].sort());
  });

  it('top-level states are the JSON states minus RUNNING_FT, in enum order', () => {
    expect(machineStates).toEqual(reference.states.filter((s) => s !== 'RUNNING_FT'));
    expect(machineStates).toHaveLength(31);
    // VM_STATES keeps the full enum so that a state's index is its VMSTATE value (0..31).
    expect([...VM_STATES]).toEqual(reference.states);
    expect(VM_STATES.indexOf('TERMINATED')).toBe(31);
  });

  it('RUNNING_FT is dead: no node in the machine and no transitions in the table', () => {
    expect(reference.transitions.RUNNING_FT).toEqual([]);
    expect(() => vmMachine.resolveState({ value: 'RUNNING_FT', context: { prevState: 'RUNNING' } })).toThrow(
      /RUNNING_FT/,
    );
  });

  it('TERMINATED is final and nothing enters CREATING', () => {
    expect(vmMachine.root.states.TERMINATED!.type).toBe('final');
    expect([...legalEdges].filter((e) => e.startsWith('TERMINATED '))).toEqual([]);
    expect([...legalEdges].filter((e) => e.endsWith(' CREATING'))).toEqual([]);
  });

  it('the definition handles 27 distinct event types', () => {
    expect(machineEvents).toHaveLength(27);
    expect(machineEvents).toEqual([...new Set(vmEdges().map((e) => e.event))].sort());
  });
});

describe('vmR3ValidateStateTransition: every (from, to) pair in one event', () => {
  const rows = machineStates.flatMap((from) =>
    machineStates.map((to) => ({ from, to, legal: legalEdges.has(pairKey(from, to)) })),
  );

  it('covers 31 × 31 = 961 pairs, 67 of them legal', () => {
    expect(rows).toHaveLength(961);
    expect(rows.filter((r) => r.legal)).toHaveLength(67);
  });

  it.each(rows)('$from -> $to legal=$legal', ({ from, to, legal }) => {
    const reaching = stepsFrom(from).filter((step) => step.after.value === to && accepted(step));
    expect(reaching.length > 0, pairKey(from, to)).toBe(legal);
  });
});

describe('vmR3SetStateLocked: one event per step, refused events change nothing', () => {
  it.each(machineStates)('%s', (from) => {
    const edgeEvents = new Map(vmEdges().map((e) => [pairKey(e.from, e.to), e.event]));
    for (const step of stepsFrom(from)) {
      const label = `${from} (prev ${step.prevState}) + ${step.event}`;
      if (!accepted(step)) {
        // vmR3TrySetState finds no pair: no change at all.
        expect(step.after.value, label).toBe(from);
        expect(step.after.context, label).toEqual(step.before.context);
        continue;
      }
      const to = step.after.value as VmState;
      expect(legalEdges.has(pairKey(from, to)), label).toBe(true);
      expect(edgeEvents.get(pairKey(from, to)), label).toBe(step.event);
      // Step 2 of vmR3SetStateLocked: enmPrevVMState = old.
      expect(step.after.context.prevState, label).toBe(from);
    }
  });

  it.each(machineStates)('%s ignores an event the machine does not know', (from) => {
    const before = vmMachine.resolveState({ value: from, context: { prevState: null } });
    const [after] = transition(vmMachine, before, { type: 'noSuchEvent' } as never);
    expect(after.value).toBe(from);
    expect(after.context).toEqual(before.context);
  });
});

describe('vmR3HardReset / vmR3SoftReset: leaving RESETTING and SOFT_RESETTING', () => {
  it.each([
    { state: 'RESETTING', event: 'resetDone', prevState: 'SUSPENDED', to: 'SUSPENDED' },
    { state: 'RESETTING', event: 'resetDone', prevState: 'RUNNING', to: 'RUNNING' },
    { state: 'SOFT_RESETTING', event: 'softResetDone', prevState: 'SUSPENDED', to: 'SUSPENDED' },
    { state: 'SOFT_RESETTING', event: 'softResetDone', prevState: 'RUNNING', to: 'RUNNING' },
  ] as const)('$state (prev $prevState) + $event -> $to', ({ state, event, prevState, to }) => {
    const before = vmMachine.resolveState({ value: state, context: { prevState } });
    const [after] = transition(vmMachine, before, { type: event });
    expect(after.value).toBe(to);
    expect(after.context.prevState).toBe(state);
  });
});

/** Our VM_API_TRANSITIONS keys → the JSON's apiTransitions keys (the same name unless listed). */
const JSON_API_KEY: Partial<Record<VmApi, string>> = {
  VMR3SoftReset: 'VMR3ResetFF(soft reset path, also VMR3ResetTripleFault)',
  VMSetRuntimeErrorFatal: 'VMSetRuntimeError(VMSETRTERR_FLAGS_FATAL)',
  VMSetRuntimeErrorSuspend: 'VMSetRuntimeError(VMSETRTERR_FLAGS_SUSPEND)',
  vmR3LiveDoSuspend: 'vmR3LiveDoSuspend (live save/teleport step between Step1 and Step2)',
  vmR3LiveDoStep2: 'vmR3LiveDoStep2 (live save/teleport final step on EMT(0))',
  vmR3LiveDoStep1Cleanup: 'vmR3LiveDoStep1Cleanup (live save/teleport Step1 failure)',
};
const ourApis = Object.keys(VM_API_TRANSITIONS) as VmApi[];
const jsonKeyOf = (api: VmApi) => JSON_API_KEY[api] ?? api;

describe('vmR3TrySetState: VM_API_TRANSITIONS against the reference apiTransitions', () => {
  it('the two key sets map one-to-one', () => {
    expect(ourApis.map(jsonKeyOf).sort()).toEqual(Object.keys(reference.apiTransitions).sort());
    expect(new Set(ourApis.map(jsonKeyOf)).size).toBe(ourApis.length);
  });

  it.each(ourApis)('%s lists the same pairs in the same order', (api) => {
    const ours = VM_API_TRANSITIONS[api].map(([from, to]) => [from, to]);
    expect(ours).toEqual(reference.apiTransitions[jsonKeyOf(api)]);
  });

  it.each(ourApis)('every pair of %s is an edge of the machine', (api) => {
    const edges = new Set(vmEdges().map((e) => pairKey(e.from, e.to)));
    for (const [from, to] of VM_API_TRANSITIONS[api]) {
      expect(edges.has(pairKey(from, to)), `${api}: ${pairKey(from, to)}`).toBe(true);
    }
  });
});
