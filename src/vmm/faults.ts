/**
 * Test-only hooks for deliberately broken engines: the model checker's mutation tests (src/check/mutants.ts)
 * must show that each broken variant is caught. Nothing in the package entry exports these; production code
 * never sets them. Each fault is read in exactly one place, named below, so a reader can see what it breaks
 * (test/check/mutants.test.ts holds the code to that).
 *
 * Machine variant or flag: a `machine.provide()` variant swaps a machine's guards and actions, so it can be a
 * fault only where the wrong decision is the machine's own (the rendezvous counters, order and merge; the
 * member's lock release: src/check/mutants.ts). Each flag below is a wrong decision of the code that *drives*
 * a machine (an event not sent, sent twice, or a call skipped inside one step), where the machine is right;
 * after each flag, one line says why it is code and not an edge.
 */
import type { AnyStateMachine } from 'xstate';

export interface EngineFaults {
  /** requests.ts queueRequest: a push onto the global queue wakes no EMT (VMR3NotifyGlobalFFU lost).
   *  Code: the notify is a call inside VMR3ReqQueue's one step; no machine has a wake-up edge. */
  lostWakeupGlobal?: boolean;
  /** emt.ts vmR3ReqProcessOne: the packet is completed a second time.
   *  Code: the caller sends the request machine's `complete` twice; the machine's refusal is what catches it. */
  completeTwice?: boolean;
  /** lifecycle.ts vmR3PowerOn: EMT(0) forgets to start its own vCPU.
   *  Code: the worker body skips vmcpu `start`; one vmcpu definition serves every vCPU, so an edge variant would stop them all. */
  skipCpuStart?: boolean;
  /** external.ts VMCPUID_ALL_REVERSE walks the CPUs in ascending order.
   *  Code: the order is routing (routeRequest, once, in the call's first step); the reqCall machine's legs are untouched. */
  allReverseAscending?: boolean;
  /** operations.ts VMR3Destroy: requests still queued at the end are not killed.
   *  Code: VMR3Destroy's last step skips killQueuedRequests; each packet's `kill` edge is right, it is never sent. */
  keepQueuedAtDestroy?: boolean;
  /** lifecycle.ts vmR3PowerOff: a power-off from an _LS state does not cancel the live save (SSMR3Cancel).
   *  Code: the worker body skips the SSMR3Cancel call (the ssmLiveSave `cancel` event and the ssmCancel component); the VM edge is the same. */
  powerOffNoCancel?: boolean;
  /** halt/notify.ts vmR3NotifyCpuFF: GLOBAL_1 sends no SCHED_WAKE_UP for a halted vCPU (it sleeps until its timeout).
   *  Code: a halt decision inside one notify (notifyCpuFFAction, then GVMMR0SchedWakeUp); no machine has a wake-up edge. */
  haltedWakeUpLost?: boolean;
  /** halt/halt-loops.ts HaltLoop.flagsPending: a halt loop never sees force flags or loop work, only its deadline.
   *  Code: the halt loop is not a machine yet (issue 12 item 2); once it is, this check is its guard and the flag a variant. */
  haltIgnoresFlags?: boolean;
  /** ssm/vm-units.ts vmmR3Load: the vCPU states are read but not set (a loaded VM's vCPUs stay STOPPED).
   *  Code: the vmm unit's loadExec skips vmcpu `start`/`stop`, as skipCpuStart (one definition for every vCPU). */
  loadSkipsCpuStates?: boolean;
}

/**
 * The machine definitions an engine runs; tests swap in `machine.provide()` variants, each a named constant
 * `machine:<machine>:<mutant>`. The checker switches a variant on after VMR3Create (src/check/world.ts), so
 * only cells made later run it: a variant of vm, vmcpu or emt would need the world to pass it before creation.
 */
export interface EngineMachines {
  vm: AnyStateMachine;
  vmcpu: AnyStateMachine;
  emt: AnyStateMachine;
  request: AnyStateMachine;
  rendezvous: AnyStateMachine;
  rendezvousMember: AnyStateMachine;
}
