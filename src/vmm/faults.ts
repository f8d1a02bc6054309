/**
 * Test-only hooks for deliberately broken engines: the model checker's mutation tests (src/check/mutants.ts)
 * must show that each broken variant is caught. Nothing in the package entry exports these; production code
 * never sets them. Each fault is read in exactly one place, named below, so a reader can see what it breaks.
 */
import type { AnyStateMachine } from 'xstate';

export interface EngineFaults {
  /** requests.ts queueRequest: a push onto the global queue wakes no EMT (VMR3NotifyGlobalFFU lost). */
  lostWakeupGlobal?: boolean;
  /** emt.ts vmR3ReqProcessOne: the packet is completed a second time. */
  completeTwice?: boolean;
  /** lifecycle.ts vmR3PowerOn: EMT(0) forgets to start its own vCPU. */
  skipCpuStart?: boolean;
  /** external.ts VMCPUID_ALL_REVERSE walks the CPUs in ascending order. */
  allReverseAscending?: boolean;
  /** operations.ts VMR3Destroy: requests still queued at the end are not killed. */
  keepQueuedAtDestroy?: boolean;
  /** lifecycle.ts vmR3PowerOff: a power-off from an _LS state does not cancel the live save (SSMR3Cancel). */
  powerOffNoCancel?: boolean;
  /** halt/notify.ts vmR3NotifyCpuFF: GLOBAL_1 sends no SCHED_WAKE_UP for a halted vCPU (it sleeps until its timeout). */
  haltedWakeUpLost?: boolean;
  /** halt/halt-loops.ts HaltLoop.flagsPending: a halt loop never sees force flags or loop work, only its deadline. */
  haltIgnoresFlags?: boolean;
  /** ssm/vm-units.ts vmmR3Load: the vCPU states are read but not set (a loaded VM's vCPUs stay STOPPED). */
  loadSkipsCpuStates?: boolean;
}

/** The machine definitions an engine runs; tests swap in `machine.provide()` variants. */
export interface EngineMachines {
  vm: AnyStateMachine;
  vmcpu: AnyStateMachine;
  emt: AnyStateMachine;
  request: AnyStateMachine;
  rendezvous: AnyStateMachine;
  rendezvousMember: AnyStateMachine;
}
