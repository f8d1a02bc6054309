/**
 * The engine's VM lifecycle through GVMM (vbox-facts.md §4.1, §9.1): VMR3Create takes the GVMM handle (the
 * VM's handle), EMT(0) creates the GVM, each other vCPU registers from its own EMT; at destruction the other
 * EMTs deregister, EMT(0) waits for them, sets TERMINATED and destroys the VM in GVMM, whose handle goes back
 * on the free list and is reused last-freed-first. VERR_GVM_TOO_MANY_VMS when the handles run out.
 *
 * Method: createVMM on the deterministic scheduler with a seed per case; the order comes from vm.events$
 * ('gvmm' and 'state' events); the handle lists from vmm.gvmm. The handle table is shrunk (maxHandles) to
 * reach the limit quickly; the 8191-handle limit itself is tested on GVMM directly (test/gvmm).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DESTROYED_EMT } from '../../machines/gvmm-handle.js';
import { createVMM, VERR_GVM_TOO_MANY_VMS, VERR_INVALID_VM_HANDLE, VINF_SUCCESS, type Vmm, type VmTraceEvent } from '../../src/index.js';
import { demoGuest } from '../../src/guest/demo-guest.js';

let engines: Vmm[] = [];
afterEach(() => {
  for (const vmm of engines) vmm.dispose();
  engines = [];
});

const line = (e: VmTraceEvent): string | null =>
  e.kind === 'gvmm' ? `gvmm ${e.op}${e.cpu !== null ? ` cpu ${e.cpu}` : ''} by ${e.by} rc ${e.rc}` : e.kind === 'state' ? `state ${e.to}` : null;

describe('VMR3Create → GVMMR3CreateVM / GVMMR3RegisterVCpu', () => {
  it.each([1, 2, 3, 5])('seed %i: the handle is the VM handle; EMT0 creates, each vCPU registers on its own EMT', async (seed) => {
    const vmm = createVMM({ seed });
    engines.push(vmm);
    const lines: string[] = [];
    const promise = vmm.create({ cpus: 3, config: { NumCPUs: 3 } });
    [...vmm.vms.values()][0]!.core.listeners.add((e) => {
      const l = line(e);
      if (l) lines.push(l);
    });
    const vm = await promise;
    expect(vm.handle).toBe(1);
    expect(lines).toEqual([
      'gvmm create cpu 0 by vm.1/emt.0 rc 0',
      'gvmm register cpu 1 by vm.1/emt.1 rc 0',
      'gvmm register cpu 2 by vm.1/emt.2 rc 0',
      'state CREATED',
    ]);
    expect([vmm.gvmm.cVMs, vmm.gvmm.cEMTs]).toEqual([1, 3]);
    expect([0, 1, 2].map((cpu) => vmm.gvmm.emtOf(1, cpu))).toEqual(['vm.1/emt.0', 'vm.1/emt.1', 'vm.1/emt.2']);
  });
});

describe('EMT exit (§4.1): deregister, wait, TERMINATED, GVMMR3DestroyVM', () => {
  it.each([1, 2, 3])('seed %i, a running guest: the teardown order is visible and the handle is free again', async (seed) => {
    const vmm = createVMM({ seed, hooks: demoGuest() });
    engines.push(vmm);
    const vm = await vmm.create({ cpus: 4, config: { NumCPUs: 4 } });
    await vm.powerOn();
    await vmm.advance(3_000_000);
    await vm.powerOff();
    const lines: string[] = [];
    vm.events$.subscribe((e) => {
      const l = line(e);
      if (l) lines.push(l);
    });
    expect(await vm.destroy()).toBe(VINF_SUCCESS);
    // vmR3Destroy runs ALL_REVERSE: EMT 3, 2, 1 leave and deregister; EMT(0) then ends the VM.
    expect(lines).toEqual([
      'state DESTROYING',
      'gvmm deregister cpu 3 by vm.1/emt.3 rc 0',
      'gvmm deregister cpu 2 by vm.1/emt.2 rc 0',
      'gvmm deregister cpu 1 by vm.1/emt.1 rc 0',
      'state TERMINATED',
      'gvmm destroy cpu 0 by vm.1/emt.0 rc 0',
    ]);
    expect([vmm.gvmm.cVMs, vmm.gvmm.cEMTs, vmm.gvmm.cHaltedEMTs, vmm.gvmm.table.iFreeHead, vmm.vms.size]).toEqual([0, 0, 0, 1, 0]);
    expect(vmm.gvmm.table.list('used')).toEqual([]);
    await expect(vm.powerOn()).rejects.toMatchObject({ rc: VERR_INVALID_VM_HANDLE });
  });

  it('while EMT(0) waits for the others, their slots are already DESTROYED', async () => {
    const vmm = createVMM();
    engines.push(vmm);
    const vm = await vmm.create({ cpus: 3, config: { NumCPUs: 3 } });
    await vm.powerOff();
    const seen: (string | null)[][] = [];
    vm.events$.subscribe((e) => {
      if (e.kind === 'state' && e.to === 'TERMINATED') seen.push([0, 1, 2].map((cpu) => vmm.gvmm.emtOf(vm.handle, cpu) ?? null));
    });
    await vm.destroy();
    expect(seen).toEqual([['vm.1/emt.0', DESTROYED_EMT, DESTROYED_EMT]]);
  });
});

describe('GVMM handles in the engine', () => {
  it('reuses handles last-freed-first', async () => {
    const vmm = createVMM();
    engines.push(vmm);
    const vms = [];
    for (let i = 0; i < 4; i++) vms.push(await vmm.create({ cpus: 1 }));
    expect(vms.map((v) => v.handle)).toEqual([1, 2, 3, 4]);
    for (const i of [1, 2]) {
      await vms[i]!.powerOff();
      await vms[i]!.destroy();
    }
    expect(vmm.gvmm.table.list('free').slice(0, 2)).toEqual([3, 2]);
    expect((await vmm.create({ cpus: 1 })).handle).toBe(3);
    expect((await vmm.create({ cpus: 1 })).handle).toBe(2);
    expect(vmm.gvmm.table.list('used')).toEqual([2, 3, 4, 1]);
  });

  it('VERR_GVM_TOO_MANY_VMS past the last handle, and nothing is created', async () => {
    const vmm = createVMM({ gvmm: { maxHandles: 4 } }); // NIL + 3
    engines.push(vmm);
    const vms = [await vmm.create({ cpus: 2, config: { NumCPUs: 2 } }), await vmm.create({ cpus: 1 }), await vmm.create({ cpus: 1 })];
    await expect(vmm.create({ cpus: 1 })).rejects.toMatchObject({ rc: VERR_GVM_TOO_MANY_VMS, name: 'VERR_GVM_TOO_MANY_VMS' });
    expect([vmm.gvmm.cVMs, vmm.vms.size]).toEqual([3, 3]);
    await vms[0]!.powerOff();
    await vms[0]!.destroy();
    expect((await vmm.create({ cpus: 1 })).handle).toBe(1);
  });
});
