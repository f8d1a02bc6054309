/**
 * Wires a VM to GVMM and its halt method at VMR3Create: the VM's halt state starts on BOOTSTRAP, and the EMT
 * hooks route VMR3WaitHalted, VMR3WaitU and VMR3NotifyCpuFF through the current method.
 */
import type { Gvmm } from '../../gvmm/gvmm.js';
import { defineCode } from '../../persist/registry.js';
import type { Emt, EmtHooks } from '../emt.js';
import type { VmCore } from '../vm-core.js';
import { vmR3WaitHalted } from './halt-loops.js';
import { vmR3NotifyCpuFF } from './notify.js';
import { VmHalt, type HaltOptions } from './state.js';
import { WaitU } from './wait-u.js';

/** VMR3WaitU (as EmtHooks.wait): the current method's idle wait. */
export const vmR3WaitU = defineCode('halt.vmR3WaitU', (emt: Emt): WaitU => new WaitU(emt));

/** The halt-method hooks of every EMT (code-table functions: an EMT's hooks hold names, not closures). */
export const HALT_HOOKS: Required<Pick<EmtHooks, 'halt' | 'wait' | 'notifyCpuFF'>> = Object.freeze({
  halt: vmR3WaitHalted,
  wait: vmR3WaitU,
  notifyCpuFF: vmR3NotifyCpuFF,
});

/** Give `vm` its halt state (BOOTSTRAP) and GVMM; returns the state. */
export function attachHalt(vm: VmCore, gvmm: Gvmm, options: HaltOptions): VmHalt {
  const halt = new VmHalt(vm, gvmm, options);
  vm.halt = halt;
  vm.gvmm = gvmm;
  return halt;
}
