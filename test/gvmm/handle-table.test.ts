/**
 * GVMM's handle table and EMT registry (vbox-facts.md §9.1): 8192 handles with NIL 0, LIFO reuse on the free
 * and used lists, cVMs / cEMTs, and every status of GVMMR0CreateVM, GVMMR0RegisterVCpu,
 * GVMMR0DeregisterVCpu, GVMMR0DestroyVM and the handle lookup.
 *
 * Method: a Gvmm with fake VMs (test/gvmm/support.ts); the lists are read after each change. The full
 * 8191-VM table is filled directly, which takes milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { DESTROYED_EMT } from '../../machines/gvmm-handle.js';
import { GVMM_MAX_HANDLES } from '../../src/gvmm/handle-table.js';
import {
  VERR_ACCESS_DENIED, VERR_ALREADY_EXISTS, VERR_GVM_TOO_MANY_VMS, VERR_GVMM_IPE_2, VERR_GVMM_NOT_ALL_EMTS_DEREGISTERED,
  VERR_INVALID_CPU_ID, VERR_INVALID_FUNCTION, VERR_INVALID_HANDLE, VERR_INVALID_PARAMETER, VERR_INVALID_POINTER,
  VERR_INVALID_VM_HANDLE, VERR_NOT_OWNER, VERR_WRONG_ORDER, VINF_SUCCESS,
} from '../../src/status.js';
import { gvmmRig } from './support.js';

const binding = { vmState: () => 'CREATING', cpuState: () => 'STOPPED', poke: () => {} };

describe('GVMMR0Init: the handle lists', () => {
  it('chains 1 → … → 8191 on the free list, nothing used, handle 0 is NIL', () => {
    const { gvmm } = gvmmRig();
    expect(GVMM_MAX_HANDLES).toBe(8192);
    const free = gvmm.table.list('free');
    expect(free).toHaveLength(8191);
    expect(free[0]).toBe(1);
    expect(free[8190]).toBe(8191);
    expect(gvmm.table.list('used')).toEqual([]);
    expect([gvmm.cVMs, gvmm.cEMTs, gvmm.table.iUsedHead]).toEqual([0, 0, 0]);
  });
});

describe('GVMMR0CreateVM', () => {
  it('hands out 8191 handles, then VERR_GVM_TOO_MANY_VMS; the used list is LIFO', () => {
    const rig = gvmmRig();
    for (let i = 1; i <= 8191; i++) expect(rig.addVm(1).handle).toBe(i);
    expect(rig.gvmm.cVMs).toBe(8191);
    expect(rig.gvmm.cEMTs).toBe(8191);
    expect(rig.gvmm.table.list('used').slice(0, 3)).toEqual([8191, 8190, 8189]);
    expect(rig.gvmm.table.list('free')).toEqual([]);
    expect(rig.gvmm.reserveHandle()).toBe(VERR_GVM_TOO_MANY_VMS);
    expect(rig.gvmm.createVM({ cCpus: 1, session: 'one more', emt0: 'x', binding })).toBe(VERR_GVM_TOO_MANY_VMS);
    expect(VERR_GVM_TOO_MANY_VMS).toBe(-3900);
  });

  it('reuses destroyed handles last-freed-first, and counts VMs and EMTs', () => {
    const rig = gvmmRig();
    const [a, b, c] = [rig.addVm(2), rig.addVm(3), rig.addVm(1)];
    expect([rig.gvmm.cVMs, rig.gvmm.cEMTs]).toEqual([3, 6]);
    expect(rig.gvmm.table.list('used')).toEqual([3, 2, 1]);
    for (const vm of [a, b]) {
      for (let cpu = 1; cpu < vm.cpus; cpu++) expect(rig.gvmm.deregisterVCpu(vm.handle, cpu, vm.emt(cpu))).toBe(VINF_SUCCESS);
      vm.vmState = 'TERMINATED';
    }
    expect(rig.gvmm.destroyVM(a.handle, a.emt(0))).toBe(VINF_SUCCESS);
    expect(rig.gvmm.destroyVM(b.handle, b.emt(0))).toBe(VINF_SUCCESS);
    expect([rig.gvmm.cVMs, rig.gvmm.cEMTs]).toEqual([1, 1]);
    expect(rig.gvmm.table.list('used')).toEqual([c.handle]);
    expect(rig.gvmm.table.list('free').slice(0, 3)).toEqual([2, 1, 4]);
    expect(rig.addVm(1).handle).toBe(2);
    expect(rig.addVm(1).handle).toBe(1);
    expect(rig.addVm(1).handle).toBe(4);
  });

  it.each([0, 65, 1.5, Number.NaN])('cCpus %s is VERR_INVALID_PARAMETER and takes no handle', (cCpus) => {
    const { gvmm } = gvmmRig();
    expect(gvmm.createVM({ cCpus, session: 's', emt0: 'e', binding })).toBe(VERR_INVALID_PARAMETER);
    expect([gvmm.cVMs, gvmm.table.iFreeHead]).toEqual([0, 1]);
  });

  it('one VM per session: VERR_ALREADY_EXISTS, and a reserved handle goes back', () => {
    const rig = gvmmRig();
    rig.addVm(1, { session: 'shared' });
    expect(rig.gvmm.createVM({ cCpus: 1, session: 'shared', emt0: 'e', binding })).toBe(VERR_ALREADY_EXISTS);
    const reserved = rig.gvmm.reserveHandle();
    expect(rig.gvmm.table.state(reserved)).toBe('used');
    expect(rig.gvmm.createVM({ cCpus: 1, session: 'shared', emt0: 'e', binding, handle: reserved })).toBe(VERR_ALREADY_EXISTS);
    expect(rig.gvmm.table.state(reserved)).toBe('free');
    expect([rig.gvmm.cVMs, rig.gvmm.table.iFreeHead]).toEqual([1, reserved]);
  });
});

describe('GVMMR0RegisterVCpu / GVMMR0DeregisterVCpu', () => {
  it.each([
    { why: 'vCPU 0', cpu: 0, emt: 'new', rc: VERR_INVALID_FUNCTION },
    { why: 'idCpu = cCpus', cpu: 4, emt: 'new', rc: VERR_INVALID_CPU_ID },
    { why: 'a registered slot', cpu: 1, emt: 'new', rc: VERR_ACCESS_DENIED },
    { why: 'a thread that is EMT0 already', cpu: 3, emt: 'vm.1/emt.0', rc: VERR_INVALID_PARAMETER },
    { why: 'a free slot', cpu: 3, emt: 'vm.1/emt.3', rc: VINF_SUCCESS },
  ])('register: $why → $rc', ({ cpu, emt, rc }) => {
    const rig = gvmmRig();
    const vm = rig.addVm(4, { register: false });
    expect(rig.gvmm.registerVCpu(vm.handle, 1, vm.emt(1))).toBe(VINF_SUCCESS);
    expect(rig.gvmm.registerVCpu(vm.handle, cpu, emt)).toBe(rc);
  });

  it.each([
    { why: 'vCPU 0', cpu: 0, emt: 'vm.1/emt.0', rc: VERR_INVALID_FUNCTION },
    { why: 'idCpu = cCpus', cpu: 2, emt: 'vm.1/emt.1', rc: VERR_INVALID_CPU_ID },
    { why: 'another thread', cpu: 1, emt: 'vm.1/emt.0', rc: VERR_NOT_OWNER },
    { why: 'its own EMT', cpu: 1, emt: 'vm.1/emt.1', rc: VINF_SUCCESS },
  ])('deregister: $why → $rc', ({ cpu, emt, rc }) => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    expect(rig.gvmm.deregisterVCpu(vm.handle, cpu, emt)).toBe(rc);
  });

  it('marks the slot DESTROYED, which can never be registered again', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    expect(rig.gvmm.deregisterVCpu(vm.handle, 1, vm.emt(1))).toBe(VINF_SUCCESS);
    expect(rig.gvmm.emtOf(vm.handle, 1)).toBe(DESTROYED_EMT);
    expect(rig.gvmm.registerVCpu(vm.handle, 1, vm.emt(1))).toBe(VERR_ACCESS_DENIED);
    expect(rig.gvmm.deregisterVCpu(vm.handle, 1, vm.emt(1))).toBe(VERR_NOT_OWNER);
  });

  it('a handle that is being destroyed: VERR_INVALID_HANDLE on deregister, VERR_GVMM_IPE_2 on a second destroy', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    // What a racing GVMMR0DestroyVM leaves between its checks and the destructor.
    rig.gvmm.table.send(vm.handle, { type: 'deregisterVCpu', cpu: 1, emt: vm.emt(1) });
    rig.gvmm.table.send(vm.handle, { type: 'destroy', caller: vm.emt(0), vmState: 'TERMINATED' });
    expect(rig.gvmm.table.state(vm.handle)).toBe('destroying');
    expect(rig.gvmm.deregisterVCpu(vm.handle, 1, vm.emt(1))).toBe(VERR_NOT_OWNER);
    // A caller that passes the owner check (the slot's value) still finds the handle no longer bound.
    expect(rig.gvmm.deregisterVCpu(vm.handle, 1, rig.gvmm.emtOf(vm.handle, 1)!)).toBe(VERR_INVALID_HANDLE);
    expect(rig.gvmm.destroyVM(vm.handle, vm.emt(0))).toBe(VERR_GVMM_IPE_2);
    expect(rig.gvmm.table.state(vm.handle)).toBe('destroying');
  });
});

describe('GVMMR0DestroyVM', () => {
  it.each([
    { why: 'a VM state outside CREATING..TERMINATED', state: 'END', caller: 0, deregister: true, rc: VERR_WRONG_ORDER },
    { why: 'a caller that is not EMT0', state: 'TERMINATED', caller: 1, deregister: true, rc: VERR_NOT_OWNER },
    { why: 'EMT1 still registered', state: 'TERMINATED', caller: 0, deregister: false, rc: VERR_GVMM_NOT_ALL_EMTS_DEREGISTERED },
    { why: 'EMT0 after the others left', state: 'TERMINATED', caller: 0, deregister: true, rc: VINF_SUCCESS },
  ])('$why → $rc', ({ state, caller, deregister, rc }) => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    if (deregister) rig.gvmm.deregisterVCpu(vm.handle, 1, vm.emt(1));
    vm.vmState = state;
    expect(rig.gvmm.destroyVM(vm.handle, vm.emt(caller))).toBe(rc);
    expect(rig.gvmm.cVMs).toBe(rc === VINF_SUCCESS ? 0 : 1);
    expect(rig.gvmm.table.state(vm.handle)).toBe(rc === VINF_SUCCESS ? 'free' : 'bound');
  });

  it.each([
    { why: 'NIL', handle: 0, rc: VERR_INVALID_VM_HANDLE },
    { why: 'past the table', handle: 8192, rc: VERR_INVALID_VM_HANDLE },
    { why: 'a free handle', handle: 7, rc: VERR_INVALID_VM_HANDLE },
    { why: 'not a number', handle: 'vm.1' as unknown as number, rc: VERR_INVALID_POINTER },
  ])('looks the handle up first: $why → $rc', ({ handle, rc }) => {
    const rig = gvmmRig();
    rig.addVm(1);
    expect(rig.gvmm.destroyVM(handle, 'vm.1/emt.0')).toBe(rc);
    expect(rig.gvmm.registerVCpu(handle, 1, 'x')).toBe(rc);
    expect(rig.gvmm.deregisterVCpu(handle, 1, 'x')).toBe(rc);
    expect(rig.gvmm.schedWakeUp(handle, 0)).toBe(rc);
  });
});
