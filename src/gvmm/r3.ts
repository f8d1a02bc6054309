/**
 * The ring-3 side of GVMM (GVMMR3CreateVM, GVMMR3RegisterVCpu, GVMMR3DeregisterVCpu, GVMMR3DestroyVM): what
 * the engine's VMR3Create and EMT exit call on the VM's EMTs, each reported on the VM's event stream so the
 * teardown order of vbox-facts.md §4.1 (other EMTs deregister, EMT(0) waits, TERMINATED, destroy) is visible.
 */
import { persistable } from '../persist/registry.js';
import type { VmCore } from '../vmm/vm-core.js';
import type { Gvmm } from './gvmm.js';
import type { GvmBinding } from './gvm.js';

export function gvmmOf(vm: VmCore): Gvmm {
  const gvmm = vm.gvmm;
  if (!gvmm) throw new Error(`${vm.id} is not attached to GVMM`);
  return gvmm;
}

const emtId = (vm: VmCore, cpu: number) => `${vm.id}/emt.${cpu}`;

function report(vm: VmCore, op: 'create' | 'register' | 'deregister' | 'destroy', cpu: number, rc: number): number {
  vm.emit({ kind: 'gvmm', op, handle: vm.handle, cpu, rc, by: emtId(vm, cpu), tNs: vm.nowNs() });
  return rc;
}

/** What GVMM sees of an engine VM: its state, its vCPU states, and the poke that ends a guest slice. */
export class VmGvmBinding implements GvmBinding {
  constructor(readonly vm: VmCore) {}

  vmState(): string {
    return this.vm.vmState;
  }

  cpuState(idCpu: number): string {
    return this.vm.cpuState(idCpu);
  }

  poke(idCpu: number): void {
    const emt = this.vm.emts[idCpu];
    if (emt?.canProgress()) this.vm.host.sched.ready(emt);
  }
}

persistable('VmGvmBinding', VmGvmBinding);

/** GVMMR3CreateVM on EMT(0): the reserved handle gets its GVM, EMT0 registered. */
export function gvmmR3CreateVM(vm: VmCore): number {
  // The handle's edges from here on are this VM's (its reservation, free → used, came before the VM could listen).
  gvmmOf(vm).table.listen(vm.handle, vm);
  const rc = gvmmOf(vm).createVM({ cCpus: vm.cCpus, session: vm.id, emt0: emtId(vm, 0), binding: new VmGvmBinding(vm), handle: vm.handle });
  return report(vm, 'create', 0, rc < 0 ? rc : 0);
}

/** GVMMR3RegisterVCpu on the vCPU's own EMT. */
export function gvmmR3RegisterVCpu(vm: VmCore, cpu: number): number {
  return report(vm, 'register', cpu, gvmmOf(vm).registerVCpu(vm.handle, cpu, emtId(vm, cpu)));
}

/** GVMMR3DeregisterVCpu as an EMT other than 0 leaves its loop (only if it registered). */
export function gvmmR3DeregisterVCpu(vm: VmCore, cpu: number): number | undefined {
  const gvmm = gvmmOf(vm);
  if (gvmm.table.state(vm.handle) !== 'bound' || gvmm.emtOf(vm.handle, cpu) !== emtId(vm, cpu)) return undefined;
  return report(vm, 'deregister', cpu, gvmm.deregisterVCpu(vm.handle, cpu, emtId(vm, cpu)));
}

/** GVMMR3DestroyVM on EMT(0) after TERMINATED; a handle that never got its GVM is just given back. */
export function gvmmR3DestroyVM(vm: VmCore): number {
  const gvmm = gvmmOf(vm);
  const state = gvmm.table.state(vm.handle);
  if (state === 'used') return gvmm.releaseHandle(vm.handle);
  if (state !== 'bound') return 0;
  return report(vm, 'destroy', 0, gvmm.destroyVM(vm.handle, emtId(vm, 0)));
}
