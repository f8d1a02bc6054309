/**
 * The reference VMSTATE transition table as data (vmR3ValidateStateTransition, vbox-facts.md §1.2), generated
 * from reference/vmstate-transitions.json (commit 4908d8d1a85c): the 65 table edges and the two
 * code-only reset edges. The vmstate-edge invariant judges the engine against this copy, never against the
 * machine it is checking; test/check/vmstate-table.test.ts keeps it equal to the fixture.
 */
import type { VmState } from '../../machines/vm.js';

type Edge = readonly [from: VmState, to: VmState];

/** The 65 edges of the validation table, in the JSON's order. */
export const VMSTATE_TABLE_EDGES: readonly Edge[] = [
  ['CREATING', 'CREATED'], ['CREATED', 'LOADING'], ['CREATED', 'POWERING_ON'], ['CREATED', 'POWERING_OFF'],
  ['LOADING', 'SUSPENDED'], ['LOADING', 'LOAD_FAILURE'], ['POWERING_ON', 'RUNNING'], ['RESUMING', 'RUNNING'],
  ['RUNNING', 'POWERING_OFF'], ['RUNNING', 'SUSPENDING'], ['RUNNING', 'RESETTING'], ['RUNNING', 'SOFT_RESETTING'],
  ['RUNNING', 'RUNNING_LS'], ['RUNNING', 'DEBUGGING'], ['RUNNING', 'FATAL_ERROR'], ['RUNNING', 'GURU_MEDITATION'],
  ['RUNNING_LS', 'POWERING_OFF_LS'], ['RUNNING_LS', 'SUSPENDING_LS'], ['RUNNING_LS', 'SUSPENDING_EXT_LS'],
  ['RUNNING_LS', 'RESETTING_LS'], ['RUNNING_LS', 'SOFT_RESETTING_LS'], ['RUNNING_LS', 'RUNNING'],
  ['RUNNING_LS', 'DEBUGGING_LS'], ['RUNNING_LS', 'FATAL_ERROR_LS'], ['RUNNING_LS', 'GURU_MEDITATION_LS'],
  ['RESETTING', 'RUNNING'], ['RESETTING_LS', 'SUSPENDING_LS'], ['SOFT_RESETTING', 'RUNNING'],
  ['SOFT_RESETTING_LS', 'RUNNING_LS'], ['SUSPENDING', 'SUSPENDED'], ['SUSPENDING_LS', 'SUSPENDING'],
  ['SUSPENDING_LS', 'SUSPENDED_LS'], ['SUSPENDING_EXT_LS', 'SUSPENDING'], ['SUSPENDING_EXT_LS', 'SUSPENDED_EXT_LS'],
  ['SUSPENDED', 'POWERING_OFF'], ['SUSPENDED', 'SAVING'], ['SUSPENDED', 'RESETTING'],
  ['SUSPENDED', 'SOFT_RESETTING'], ['SUSPENDED', 'RESUMING'], ['SUSPENDED', 'LOADING'],
  ['SUSPENDED_LS', 'SUSPENDED'], ['SUSPENDED_LS', 'SAVING'], ['SUSPENDED_EXT_LS', 'SUSPENDED'],
  ['SUSPENDED_EXT_LS', 'SAVING'], ['SAVING', 'SUSPENDED'], ['DEBUGGING', 'RUNNING'], ['DEBUGGING', 'POWERING_OFF'],
  ['DEBUGGING_LS', 'DEBUGGING'], ['DEBUGGING_LS', 'RUNNING_LS'], ['DEBUGGING_LS', 'POWERING_OFF_LS'],
  ['POWERING_OFF', 'OFF'], ['POWERING_OFF_LS', 'POWERING_OFF'], ['POWERING_OFF_LS', 'OFF_LS'], ['OFF', 'DESTROYING'],
  ['OFF_LS', 'OFF'], ['FATAL_ERROR', 'POWERING_OFF'], ['FATAL_ERROR_LS', 'FATAL_ERROR'],
  ['FATAL_ERROR_LS', 'POWERING_OFF_LS'], ['GURU_MEDITATION', 'DEBUGGING'], ['GURU_MEDITATION', 'POWERING_OFF'],
  ['GURU_MEDITATION_LS', 'GURU_MEDITATION'], ['GURU_MEDITATION_LS', 'DEBUGGING_LS'],
  ['GURU_MEDITATION_LS', 'POWERING_OFF_LS'], ['LOAD_FAILURE', 'POWERING_OFF'], ['DESTROYING', 'TERMINATED'],
];

/** Edges VM.cpp takes without the table's blessing (strict builds would assert), and when. */
export const VMSTATE_CODE_ONLY_EDGES: readonly { from: VmState; to: VmState; where: string }[] = [
  { from: 'RESETTING', to: 'SUSPENDED', where: "vmR3HardReset (VM.cpp) when enmPrevVMState == SUSPENDED" },
  { from: 'SOFT_RESETTING', to: 'SUSPENDED', where: "vmR3SoftReset (VM.cpp) when enmPrevVMState == SUSPENDED" },
];

/** Every edge a VMSTATE change may take. */
export const VMSTATE_ALLOWED_EDGES: readonly Edge[] = [...VMSTATE_TABLE_EDGES, ...VMSTATE_CODE_ONLY_EDGES.map((e) => [e.from, e.to] as const)];
