/**
 * vmR3SetHaltMethodU (vbox-facts.md §4.2 "Selection"): resolve the method on an EMT (machines/halt-method.ts
 * decides, with the as-written quirk behind `fidelity`), then switch in an ASCENDING rendezvous: EMT(0) goes
 * first, terminates the old method, initialises the new one (falling back to BOOTSTRAP if that fails) and
 * commits it; then every EMT sets its ring-0 halt flag and threshold (VMMR3SetMayHaltInRing0).
 */
import { rendezvousFlags } from '../../../machines/rendezvous.js';
import {
  global1SpinBlockThresholdNs, HALT_METHODS, METHOD1_DEFAULTS, selectHaltMethod, type HaltMethodDescriptor,
} from '../../../machines/halt-method.js';
import { bindCode, defineCode } from '../../persist/registry.js';
import { sendHeld } from '../../sched/held-cell.js';
import { VERR_VM_THREAD_NOT_EMT, VINF_SUCCESS } from '../../status.js';
import { emtRendezvous, type EmtContext, type EmtResult } from '../types.js';
import type { VmCore } from '../vm-core.js';
import { haltMethodConfigOf, haltOf, type VmHalt } from './state.js';

const ASCENDING = rendezvousFlags('ascending');

/**
 * VMR3SetHaltMethod on an EMT of `vm`: a status, or the rendezvous to wait for (then `then`). The rendezvous
 * holds its callback and `then` across steps: the callback is code bound to the method's index, and a caller
 * inside the engine passes a `then` from the code table (bindCode) so the pending switch stays data.
 */
export function vmR3SetHaltMethodU(vm: VmCore, requested: number, then?: (rc: number) => EmtResult): EmtResult {
  const finish = (rc: number): EmtResult => (then ? then(rc) : rc);
  if (vm.host.current?.vm !== vm) return finish(VERR_VM_THREAD_NOT_EMT);
  const halt = haltOf(vm);
  const selection = selectHaltMethod(requested, haltMethodConfigOf(vm.config), {
    asWritten: halt.options.asWritten,
    driverless: halt.options.driverless,
  });
  if (selection.method === undefined) {
    return finish(selection.message ? vm.setError(selection.rc, selection.message) : selection.rc);
  }
  const index = HALT_METHODS.findIndex((d) => d.method === selection.method);
  return emtRendezvous(ASCENDING, bindCode(vmR3SetHaltMethodCallback, index), then);
}

/** vmR3SetHaltMethodCallback, on every EMT in ascending order; `index` in HALT_METHODS. */
const vmR3SetHaltMethodCallback = defineCode('halt.vmR3SetHaltMethodCallback', (index: number, { vm, cpu }: EmtContext): number => {
  const halt = haltOf(vm);
  let rc = VINF_SUCCESS;
  if (cpu === 0) {
    // No method has a pfnTerm. The shared halt config is zeroed, then the new method's pfnInit reads it.
    const target = HALT_METHODS[index]!;
    rc = initHaltMethod(halt, target);
    sendHeld(halt, { type: 'switch', target: target.method, initRc: rc });
  }
  const committed = halt.descriptor;
  const cpuHalt = halt.ownCpu(cpu);
  cpuHalt.mayHaltInRing0 = committed.mayHaltInRing0;
  cpuHalt.spinBlockThresholdNs = committed.method === 'GLOBAL_1' ? halt.global1ThresholdNs : 0;
  halt.shareIdle(cpu);
  return rc;
});

/** pfnInit: METHOD_1 reads /VMM/HaltedMethod1, GLOBAL_1 its threshold (resolution, /VMM/HaltedGlobal1). */
function initHaltMethod(halt: VmHalt, descriptor: HaltMethodDescriptor): number {
  halt.method1 = Object.freeze({ ...METHOD1_DEFAULTS });
  halt.global1ThresholdNs = 0;
  const vmm = halt.vm.config.VMM;
  if (descriptor.init === 'method1') {
    // vmR3HaltMethod12ReadConfigU: overrides are not range-checked.
    halt.method1 = Object.freeze({ ...METHOD1_DEFAULTS, ...vmm?.HaltedMethod1 });
  } else if (descriptor.init === 'global1') {
    halt.global1ThresholdNs =
      vmm?.HaltedGlobal1?.SpinBlockThreshold ?? global1SpinBlockThresholdNs(halt.options.semResolutionNs);
  }
  return halt.initHook?.(descriptor) ?? VINF_SUCCESS;
}
