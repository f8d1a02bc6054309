/**
 * VMSTATE — the VM state machine of VM.cpp (vbox-facts.md §1).
 *
 * Top-level states carry the VMSTATE names verbatim (RUNNING_FT left out: it is dead). Every edge is one
 * of the 65 legal transitions of vmR3ValidateStateTransition, plus the two that reset performs without the
 * table's blessing (RESETTING→SUSPENDED, SOFT_RESETTING→SUSPENDED). Events are named after the API step
 * that takes the edge; the runtime picks the step with try-set-state (first match over an API's ordered
 * (from, to) list, see VM_API_TRANSITIONS) and the machine refuses anything that is not an edge.
 */
import { assign, setup } from 'xstate';

export const VM_STATES = [
  'CREATING', 'CREATED', 'LOADING', 'POWERING_ON', 'RESUMING', 'RUNNING', 'RUNNING_LS', 'RUNNING_FT',
  'RESETTING', 'RESETTING_LS', 'SOFT_RESETTING', 'SOFT_RESETTING_LS', 'SUSPENDING', 'SUSPENDING_LS',
  'SUSPENDING_EXT_LS', 'SUSPENDED', 'SUSPENDED_LS', 'SUSPENDED_EXT_LS', 'SAVING', 'DEBUGGING', 'DEBUGGING_LS',
  'POWERING_OFF', 'POWERING_OFF_LS', 'OFF', 'OFF_LS', 'FATAL_ERROR', 'FATAL_ERROR_LS', 'GURU_MEDITATION',
  'GURU_MEDITATION_LS', 'LOAD_FAILURE', 'DESTROYING', 'TERMINATED',
] as const;

/** A VMSTATE name; its enum value is its index in VM_STATES. */
export type VmState = (typeof VM_STATES)[number];

/** The step events. Each names the API step (or VM.cpp helper) that moves the VM. */
export type VmEvent =
  | { type: 'created' } // VMR3Create: EMT(0) after init
  | { type: 'load' } // VMR3LoadFromFile / FromStream
  | { type: 'loadDone' }
  | { type: 'loadFailed' }
  | { type: 'powerOn' } // VMR3PowerOn, first EMT
  | { type: 'powerOnDone' } // VMR3PowerOn, EMT(0)
  | { type: 'resume' }
  | { type: 'resumeDone' }
  | { type: 'suspend' }
  | { type: 'suspendDone' }
  | { type: 'reset' } // hard reset (VMR3Reset / VMR3ResetFF)
  | { type: 'resetDone' }
  | { type: 'softReset' }
  | { type: 'softResetDone' }
  | { type: 'liveSave' } // vmR3Save: RUNNING → RUNNING_LS
  | { type: 'liveSuspend' } // vmR3LiveDoSuspend
  | { type: 'liveSaveEnd' } // leave the live-save variant of a state (cancel, cleanup)
  | { type: 'save' } // → SAVING
  | { type: 'saveDone' }
  | { type: 'debug' }
  | { type: 'debugDone' }
  | { type: 'powerOff' } // VMR3PowerOff, first EMT (11 sources)
  | { type: 'powerOffDone' } // VMR3PowerOff, EMT(0)
  | { type: 'fatalError' } // VMSetRuntimeError(FATAL)
  | { type: 'guruMeditation' } // VMR3SetGuruMeditation
  | { type: 'destroy' } // VMR3Destroy
  | { type: 'terminated' }; // vmR3SetTerminated

export type VmEventType = VmEvent['type'];

export interface VmContext {
  /** enmPrevVMState: the state before the current one; reset uses it to return to SUSPENDED. */
  prevState: VmState | null;
}

/** Records enmPrevVMState on the way out of a state (vmR3SetStateLocked step 2). */
const leave = (state: VmState) => ({ type: 'recordPrevState', params: { state } }) as const;

export const vmSetup = setup({
  types: {
    context: {} as VmContext,
    events: {} as VmEvent,
  },
  actions: {
    recordPrevState: assign((_, params: { state: VmState }) => ({ prevState: params.state })),
  },
  guards: {
    /** Reset returns to SUSPENDED when it started there (vmR3HardReset / vmR3SoftReset). */
    wasSuspended: ({ context }) => context.prevState === 'SUSPENDED',
  },
});

export const vmMachine = vmSetup.createMachine({
  id: 'vm',
  context: { prevState: null },
  initial: 'CREATING',
  states: {
    CREATING: { exit: leave('CREATING'), on: { created: 'CREATED' } },
    CREATED: {
      exit: leave('CREATED'),
      on: { load: 'LOADING', powerOn: 'POWERING_ON', powerOff: 'POWERING_OFF' },
    },
    LOADING: { exit: leave('LOADING'), on: { loadDone: 'SUSPENDED', loadFailed: 'LOAD_FAILURE' } },
    POWERING_ON: { exit: leave('POWERING_ON'), on: { powerOnDone: 'RUNNING' } },
    RESUMING: { exit: leave('RESUMING'), on: { resumeDone: 'RUNNING' } },
    RUNNING: {
      exit: leave('RUNNING'),
      on: {
        powerOff: 'POWERING_OFF',
        suspend: 'SUSPENDING',
        reset: 'RESETTING',
        softReset: 'SOFT_RESETTING',
        liveSave: 'RUNNING_LS',
        debug: 'DEBUGGING',
        fatalError: 'FATAL_ERROR',
        guruMeditation: 'GURU_MEDITATION',
      },
    },
    RUNNING_LS: {
      exit: leave('RUNNING_LS'),
      on: {
        powerOff: 'POWERING_OFF_LS',
        liveSuspend: 'SUSPENDING_LS',
        suspend: 'SUSPENDING_EXT_LS', // VMR3Suspend during the live phase
        reset: 'RESETTING_LS',
        softReset: 'SOFT_RESETTING_LS',
        liveSaveEnd: 'RUNNING', // vmR3LiveDoStep1Cleanup
        debug: 'DEBUGGING_LS',
        fatalError: 'FATAL_ERROR_LS',
        guruMeditation: 'GURU_MEDITATION_LS',
      },
    },
    RESETTING: {
      exit: leave('RESETTING'),
      // RESETTING → SUSPENDED is code-only: not in the validation table (§1.2, as written).
      on: { resetDone: [{ guard: 'wasSuspended', target: 'SUSPENDED' }, { target: 'RUNNING' }] },
    },
    RESETTING_LS: { exit: leave('RESETTING_LS'), on: { resetDone: 'SUSPENDING_LS' } },
    SOFT_RESETTING: {
      exit: leave('SOFT_RESETTING'),
      // SOFT_RESETTING → SUSPENDED is code-only, like the hard-reset one.
      on: { softResetDone: [{ guard: 'wasSuspended', target: 'SUSPENDED' }, { target: 'RUNNING' }] },
    },
    SOFT_RESETTING_LS: { exit: leave('SOFT_RESETTING_LS'), on: { softResetDone: 'RUNNING_LS' } },
    SUSPENDING: { exit: leave('SUSPENDING'), on: { suspendDone: 'SUSPENDED' } },
    SUSPENDING_LS: {
      exit: leave('SUSPENDING_LS'),
      on: { liveSaveEnd: 'SUSPENDING', suspendDone: 'SUSPENDED_LS' },
    },
    SUSPENDING_EXT_LS: {
      exit: leave('SUSPENDING_EXT_LS'),
      on: { liveSaveEnd: 'SUSPENDING', suspendDone: 'SUSPENDED_EXT_LS' },
    },
    SUSPENDED: {
      exit: leave('SUSPENDED'),
      on: {
        powerOff: 'POWERING_OFF',
        save: 'SAVING',
        reset: 'RESETTING',
        softReset: 'SOFT_RESETTING',
        resume: 'RESUMING',
        load: 'LOADING',
      },
    },
    SUSPENDED_LS: { exit: leave('SUSPENDED_LS'), on: { liveSaveEnd: 'SUSPENDED', save: 'SAVING' } },
    SUSPENDED_EXT_LS: { exit: leave('SUSPENDED_EXT_LS'), on: { liveSaveEnd: 'SUSPENDED', save: 'SAVING' } },
    SAVING: { exit: leave('SAVING'), on: { saveDone: 'SUSPENDED' } },
    DEBUGGING: { exit: leave('DEBUGGING'), on: { debugDone: 'RUNNING', powerOff: 'POWERING_OFF' } },
    DEBUGGING_LS: {
      exit: leave('DEBUGGING_LS'),
      on: { liveSaveEnd: 'DEBUGGING', debugDone: 'RUNNING_LS', powerOff: 'POWERING_OFF_LS' },
    },
    POWERING_OFF: { exit: leave('POWERING_OFF'), on: { powerOffDone: 'OFF' } },
    POWERING_OFF_LS: {
      exit: leave('POWERING_OFF_LS'),
      on: { liveSaveEnd: 'POWERING_OFF', powerOffDone: 'OFF_LS' },
    },
    OFF: { exit: leave('OFF'), on: { destroy: 'DESTROYING' } },
    OFF_LS: { exit: leave('OFF_LS'), on: { liveSaveEnd: 'OFF' } },
    FATAL_ERROR: { exit: leave('FATAL_ERROR'), on: { powerOff: 'POWERING_OFF' } },
    FATAL_ERROR_LS: {
      exit: leave('FATAL_ERROR_LS'),
      on: { liveSaveEnd: 'FATAL_ERROR', powerOff: 'POWERING_OFF_LS' },
    },
    GURU_MEDITATION: {
      exit: leave('GURU_MEDITATION'),
      on: { debug: 'DEBUGGING', powerOff: 'POWERING_OFF' },
    },
    GURU_MEDITATION_LS: {
      exit: leave('GURU_MEDITATION_LS'),
      on: { liveSaveEnd: 'GURU_MEDITATION', debug: 'DEBUGGING_LS', powerOff: 'POWERING_OFF_LS' },
    },
    LOAD_FAILURE: { exit: leave('LOAD_FAILURE'), on: { powerOff: 'POWERING_OFF' } },
    DESTROYING: { exit: leave('DESTROYING'), on: { terminated: 'TERMINATED' } },
    TERMINATED: { type: 'final' },
  },
});

/** A (from, to) pair offered to try-set-state. */
export type VmTransition = readonly [from: VmState, to: VmState];

/**
 * The ordered (from, to) lists each API offers to vmR3TrySetState / performs with vmR3SetState(Locked),
 * in the order VM.cpp lists them (§1.4, §7.1). First match wins; the ordinal is 1-based.
 */
export const VM_API_TRANSITIONS = {
  VMR3Create: [['CREATING', 'CREATED']],
  VMR3PowerOn: [['CREATED', 'POWERING_ON'], ['POWERING_ON', 'RUNNING']],
  VMR3Suspend: [
    ['RUNNING', 'SUSPENDING'], ['RUNNING_LS', 'SUSPENDING_EXT_LS'],
    ['SUSPENDING', 'SUSPENDED'], ['SUSPENDING_EXT_LS', 'SUSPENDED_EXT_LS'],
  ],
  VMR3Resume: [['SUSPENDED', 'RESUMING'], ['RESUMING', 'RUNNING']],
  VMR3Reset: [
    ['RUNNING', 'RESETTING'], ['SUSPENDED', 'RESETTING'], ['RUNNING_LS', 'RESETTING_LS'],
    ['RESETTING', 'SUSPENDED'], ['RESETTING', 'RUNNING'], ['RESETTING_LS', 'SUSPENDING_LS'],
    ['SUSPENDING_LS', 'SUSPENDED_LS'],
  ],
  VMR3SoftReset: [
    ['RUNNING', 'SOFT_RESETTING'], ['SUSPENDED', 'SOFT_RESETTING'], ['RUNNING_LS', 'SOFT_RESETTING_LS'],
    ['SOFT_RESETTING', 'SUSPENDED'], ['SOFT_RESETTING', 'RUNNING'], ['SOFT_RESETTING_LS', 'RUNNING_LS'],
  ],
  VMR3PowerOff: [
    ['RUNNING', 'POWERING_OFF'], ['SUSPENDED', 'POWERING_OFF'], ['DEBUGGING', 'POWERING_OFF'],
    ['LOAD_FAILURE', 'POWERING_OFF'], ['GURU_MEDITATION', 'POWERING_OFF'], ['FATAL_ERROR', 'POWERING_OFF'],
    ['CREATED', 'POWERING_OFF'], ['RUNNING_LS', 'POWERING_OFF_LS'], ['DEBUGGING_LS', 'POWERING_OFF_LS'],
    ['GURU_MEDITATION_LS', 'POWERING_OFF_LS'], ['FATAL_ERROR_LS', 'POWERING_OFF_LS'],
    ['POWERING_OFF_LS', 'OFF_LS'], ['POWERING_OFF', 'OFF'],
  ],
  VMR3Destroy: [['OFF', 'DESTROYING'], ['DESTROYING', 'TERMINATED']],
  VMR3Save: [['SUSPENDED', 'SAVING'], ['RUNNING', 'RUNNING_LS'], ['SAVING', 'SUSPENDED']],
  VMR3Teleport: [['SUSPENDED', 'SAVING'], ['RUNNING', 'RUNNING_LS']],
  VMR3LoadFromFile: [
    ['CREATED', 'LOADING'], ['SUSPENDED', 'LOADING'], ['LOADING', 'SUSPENDED'], ['LOADING', 'LOAD_FAILURE'],
  ],
  VMR3LoadFromStream: [
    ['CREATED', 'LOADING'], ['SUSPENDED', 'LOADING'], ['LOADING', 'SUSPENDED'], ['LOADING', 'LOAD_FAILURE'],
  ],
  vmR3LiveDoSuspend: [
    ['RUNNING_LS', 'SUSPENDING_LS'], ['OFF_LS', 'OFF'], ['FATAL_ERROR_LS', 'FATAL_ERROR'],
    ['GURU_MEDITATION_LS', 'GURU_MEDITATION'], ['SUSPENDING_LS', 'SUSPENDED_LS'],
  ],
  vmR3LiveDoStep2: [['SUSPENDED_LS', 'SAVING'], ['SUSPENDED_EXT_LS', 'SAVING'], ['SAVING', 'SUSPENDED']],
  vmR3LiveDoStep1Cleanup: [
    ['OFF_LS', 'OFF'], ['FATAL_ERROR_LS', 'FATAL_ERROR'], ['GURU_MEDITATION_LS', 'GURU_MEDITATION'],
    ['SUSPENDED_LS', 'SUSPENDED'], ['SAVING', 'SUSPENDED'], ['SUSPENDED_EXT_LS', 'SUSPENDED'],
    ['RUNNING_LS', 'RUNNING'], ['DEBUGGING_LS', 'DEBUGGING'],
  ],
  VMSetRuntimeErrorFatal: [['RUNNING', 'FATAL_ERROR'], ['RUNNING_LS', 'FATAL_ERROR_LS']],
  VMSetRuntimeErrorSuspend: [
    ['RUNNING', 'SUSPENDING'], ['RUNNING_LS', 'SUSPENDING_EXT_LS'],
    ['SUSPENDING', 'SUSPENDED'], ['SUSPENDING_EXT_LS', 'SUSPENDED_EXT_LS'],
  ],
  VMR3SetGuruMeditation: [['RUNNING', 'GURU_MEDITATION'], ['RUNNING_LS', 'GURU_MEDITATION_LS']],
} as const satisfies Record<string, readonly VmTransition[]>;

export type VmApi = keyof typeof VM_API_TRANSITIONS;

/** One edge of the machine, as read from its definition. */
export interface VmEdge {
  from: VmState;
  to: VmState;
  event: VmEventType;
  guard?: string;
}

/** The machine's edges, read from the definition itself (conformance tests, export, the checker). */
export function vmEdges(): VmEdge[] {
  const edges: VmEdge[] = [];
  for (const [from, node] of Object.entries(vmMachine.root.states)) {
    for (const [event, transitions] of node.transitions) {
      for (const t of transitions) {
        for (const target of t.target ?? []) {
          const guard = typeof t.guard === 'string' ? t.guard : (t.guard as { type?: string } | undefined)?.type;
          edges.push({ from: from as VmState, to: target.key as VmState, event: event as VmEventType, ...(guard ? { guard } : {}) });
        }
      }
    }
  }
  return edges;
}
