/** Every machine of the engine, for the checker, the exporter and the viewer to iterate over. */
import { emtMachine } from './emt.js';
import { gvmmHandleMachine } from './gvmm-handle.js';
import { haltMethodMachine } from './halt-method.js';
import { rendezvousMachine } from './rendezvous.js';
import { rendezvousMemberMachine } from './rendezvous-member.js';
import { reqCallMachine } from './req-call.js';
import { requestMachine } from './request.js';
import { ssmLiveSaveMachine } from './ssm-live-save.js';
import { vmMachine } from './vm.js';
import { vmSaveTeleportMachine } from './vm-save-teleport.js';
import { vmcpuMachine } from './vmcpu.js';

export * from './emt.js';
export * from './gvmm-handle.js';
export * from './halt-method.js';
export * from './rendezvous.js';
export * from './rendezvous-member.js';
export * from './req-call.js';
export * from './request.js';
export * from './ssm-live-save.js';
export * from './vm.js';
export * from './vm-save-teleport.js';
export * from './vmcpu.js';

export const MACHINES = {
  vm: vmMachine,
  vmcpu: vmcpuMachine,
  emt: emtMachine,
  request: requestMachine,
  reqCall: reqCallMachine,
  rendezvous: rendezvousMachine,
  rendezvousMember: rendezvousMemberMachine,
  ssmLiveSave: ssmLiveSaveMachine,
  haltMethod: haltMethodMachine,
  gvmmHandle: gvmmHandleMachine,
  vmSaveTeleport: vmSaveTeleportMachine,
} as const;

export type MachineName = keyof typeof MACHINES;
