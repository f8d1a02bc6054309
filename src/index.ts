/** vmm-actors: the VirtualBox VMM control plane as XState v5 actors joined by RxJS streams. */
export { createVMM, Vmm, type VmmOptions, type CreateOptions } from './vmm/vmm.js';
export { VM, type VmStateChange, type CpuStateChange } from './vmm/vm.js';
export { vmOps, type RendezvousOptions, VMSETRTERR_FLAGS_FATAL, VMSETRTERR_FLAGS_SUSPEND, VMSETRTERR_FLAGS_NO_WAIT } from './vmm/operations.js';
export { startOperation, runOperation, type Operation, type ReqCallOptions } from './vmm/external.js';
export type { VmTraceEvent } from './vmm/vm-core.js';
export type { GuestAction, GuestContext, EmtHooks } from './vmm/emt.js';
export type { CpuTarget, EmtContext, EmtResult, EmtBlock } from './vmm/types.js';
export { emtRendezvous, emtCallWait } from './vmm/types.js';
export { VMREQFLAGS_VOID, VMREQFLAGS_NO_WAIT, VMREQFLAGS_POKE, VMREQFLAGS_PRIORITY, VMREQ_MAX_ARGS } from './vmm/requests.js';
export type { VmComponents, SuspendReason, ResumeReason } from './vmm/lifecycle.js';
export { DeterministicScheduler, type ChoicePolicy } from './sched/deterministic.js';
export { RealTimeScheduler } from './sched/real-time.js';
export type { Scheduler, SchedChoice, Steppable } from './sched/scheduler.js';
export * from './status.js';
export { VM_STATES, VM_API_TRANSITIONS, vmMachine, vmEdges, type VmState } from '../machines/vm.js';
export { MACHINES } from '../machines/index.js';
