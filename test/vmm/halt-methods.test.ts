/**
 * The halt method of an engine VM (vbox-facts.md §4.2 "Selection"): BOOTSTRAP while VMR3Create runs, then
 * DEFAULT resolved from VM/HaltMethod and switched in an ASCENDING rendezvous at the end of init (GLOBAL_1
 * when nothing is configured), with VirtualBox's errors, the as-written selection quirk, driverless mode,
 * the init fallback to BOOTSTRAP, the per-EMT ring-0 setting and the METHOD_1 / GLOBAL_1 overrides.
 *
 * Method: createVMM on the deterministic scheduler; the switch is read from vm.events$ ('halt-method',
 * 'rendezvous', 'state'), the result from the VM's halt state; failed creations are checked for having
 * given their GVMM handle back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rendezvousFlags } from '../../machines/rendezvous.js';
import { VMHALTMETHOD } from '../../machines/halt-method.js';
import { createVMM, type Vmm, type VmmOptions, type VmTraceEvent } from '../../src/index.js';
import {
  VERR_CFGM_NOT_INTEGER, VERR_CFGM_VALUE_NOT_FOUND, VERR_INVALID_PARAMETER, VERR_VM_THREAD_NOT_EMT, VINF_SUCCESS,
} from '../../src/status.js';
import type { VmConfigInput } from '../../src/vmm/config.js';
import { haltOf } from '../../src/vmm/halt/state.js';
import { vmR3SetHaltMethodU } from '../../src/vmm/halt/set-method.js';

let engines: Vmm[] = [];
afterEach(() => {
  for (const vmm of engines) vmm.dispose();
  engines = [];
});

function engine(options: VmmOptions = {}): Vmm {
  const vmm = createVMM(options);
  engines.push(vmm);
  return vmm;
}

/** Create a VM and keep every event from the first step on. */
async function created(cpus: number, config: Omit<VmConfigInput, 'NumCPUs'> = {}, options: VmmOptions = {}) {
  const vmm = engine(options);
  const events: VmTraceEvent[] = [];
  const promise = vmm.create({ cpus, config: { NumCPUs: cpus, ...config } });
  const core = [...vmm.vms.values()].at(-1)!.core;
  core.listeners.add((e) => events.push(e));
  const vm = await promise;
  return { vmm, vm, events };
}

describe('VMR3Create: BOOTSTRAP, then DEFAULT through an ASCENDING rendezvous', () => {
  it.each([1, 2, 4])('%i vCPUs: GLOBAL_1 by default, switched by EMT(0) before CREATED', async (cpus) => {
    const { vm, events } = await created(cpus);
    const halt = haltOf(vm.core);
    expect(halt.method).toBe('GLOBAL_1');
    const switched = events.findIndex((e) => e.kind === 'halt-method');
    expect(events[switched]).toMatchObject({ kind: 'halt-method', from: 'BOOTSTRAP', to: 'GLOBAL_1' });
    expect(events.findIndex((e) => e.kind === 'state' && e.to === 'CREATED')).toBeGreaterThan(switched);
    if (cpus > 1) {
      // EMT(0) goes first in the ASCENDING order, and every EMT takes part.
      const begin = events.find((e) => e.kind === 'rendezvous' && e.event === 'begin');
      expect(begin).toMatchObject({ flags: rendezvousFlags('ascending') });
      const ran = events.filter((e): e is Extract<VmTraceEvent, { kind: 'rendezvous' }> => e.kind === 'rendezvous' && e.event === 'callbackDone');
      expect(ran.map((e) => e.cpu)).toEqual(Array.from({ length: cpus }, (_, i) => i));
    }
    // VMMR3SetMayHaltInRing0 on every EMT: GLOBAL_1 halts in ring 0 with its threshold (1 ms resolution → 50 µs).
    expect(halt.cpus.map((c) => [c.mayHaltInRing0, c.spinBlockThresholdNs])).toEqual(new Array(cpus).fill([true, 50_000]));
  });

  it.each([
    { value: 1, method: 'BOOTSTRAP', ring0: false },
    { value: 3, method: 'OLD', ring0: false },
    { value: 4, method: 'METHOD_1', ring0: false },
    { value: 5, method: 'GLOBAL_1', ring0: true },
  ])('VM/HaltMethod $value → $method', async ({ value, method, ring0 }) => {
    for (const config of [{ HaltMethod: value }, { VM: { HaltMethod: value } }]) {
      const { vm } = await created(2, config);
      const halt = haltOf(vm.core);
      expect(halt.method).toBe(method);
      expect(halt.cpus.map((c) => c.mayHaltInRing0)).toEqual([ring0, ring0]);
      expect(halt.cpus[1]!.spinBlockThresholdNs).toBe(ring0 ? 50_000 : 0);
    }
  });

  it.each([
    { value: 0, message: 'Invalid VM/HaltMethod value 0' },
    { value: 6, message: 'Invalid VM/HaltMethod value 6' },
    { value: 42, message: 'Invalid VM/HaltMethod value 42' },
    { value: 2, message: undefined }, // DEFAULT has no descriptor
  ])('VM/HaltMethod $value fails VMR3Create with VERR_INVALID_PARAMETER and gives the handle back', async ({ value, message }) => {
    const vmm = engine();
    const error = await vmm.create({ cpus: 3, config: { NumCPUs: 3, VM: { HaltMethod: value } } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ rc: VERR_INVALID_PARAMETER, ...(message ? { message } : {}) });
    expect([vmm.gvmm.cVMs, vmm.gvmm.cEMTs, vmm.gvmm.table.iFreeHead, vmm.vms.size]).toEqual([0, 0, 1, 0]);
    // The handle is reused by the next VM.
    expect((await vmm.create({ cpus: 1 })).handle).toBe(1);
  });

  it('fidelity as-written: a "VM" node without HaltMethod fails VMR3Create (§4.2 step 3); intended falls back to GLOBAL_1', async () => {
    const asWritten = engine({ fidelity: 'as-written' });
    await expect(asWritten.create({ cpus: 2, config: { NumCPUs: 2, VM: {} } })).rejects.toMatchObject({
      rc: VERR_CFGM_VALUE_NOT_FOUND,
      message: 'Failed to Query VM/HaltMethod as uint32_t',
    });
    expect(asWritten.gvmm.cVMs).toBe(0);
    // No "VM" node at all: the query fails with VERR_CFGM_NO_PARENT, which both read as GLOBAL_1.
    expect(haltOf((await asWritten.create({ cpus: 2, config: { NumCPUs: 2 } })).core).method).toBe('GLOBAL_1');
    const { vm } = await created(2, { VM: {} });
    expect(haltOf(vm.core).method).toBe('GLOBAL_1');
  });

  it('driverless: GLOBAL_1 is replaced by METHOD_1', async () => {
    const { vm } = await created(2, {}, { gvmm: { driverless: true } });
    expect(haltOf(vm.core).method).toBe('METHOD_1');
  });

  it('reads the overrides: /VMM/HaltedGlobal1/SpinBlockThreshold and /VMM/HaltedMethod1/*', async () => {
    const g1 = await created(2, { VMM: { HaltedGlobal1: { SpinBlockThreshold: 123_456 } } });
    expect(haltOf(g1.vm.core).global1ThresholdNs).toBe(123_456);
    expect(haltOf(g1.vm.core).cpus[1]!.spinBlockThresholdNs).toBe(123_456);
    const m1 = await created(2, { HaltMethod: 4, VMM: { HaltedMethod1: { StartSpinning: 7, LagBlockIntervalDivisor: 8 } } });
    expect(haltOf(m1.vm.core).method1).toEqual({
      LagBlockIntervalDivisor: 8, MinBlockInterval: 2_000_000, MaxBlockInterval: 75_000_000, StartSpinning: 7, StopSpinning: 20_000_000,
    });
    // The threshold follows the semaphore resolution without an override.
    const fine = await created(1, {}, { gvmm: { semResolutionNs: 200_000 } });
    expect(haltOf(fine.vm.core).global1ThresholdNs).toBe(50_000);
  });

  it.each([
    { config: { VM: 5 as unknown as { HaltMethod?: number } }, why: 'a VM node that is not an object' },
    { config: { VM: { Other: 1 } as { HaltMethod?: number } }, why: 'an unknown VM key' },
    { config: { VMM: { HaltedGlobal1: { SpinBlockThreshold: -1 } } }, why: 'a negative threshold' },
    { config: { VMM: { HaltedMethod1: { StopSpinning: 1.5 } } }, why: 'a fractional METHOD_1 value' },
    { config: { VMM: { HaltedMethod1: { LagBlockIntervalDivisor: 0 } } }, why: 'a zero divisor' },
  ])('$why is VERR_INVALID_PARAMETER before anything exists', async ({ config }) => {
    const vmm = engine();
    await expect(vmm.create({ cpus: 1, config: { NumCPUs: 1, ...config } })).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
    expect([vmm.gvmm.cVMs, vmm.gvmm.table.iFreeHead]).toEqual([0, 1]);
  });
});

describe('vmR3SetHaltMethodU at run time', () => {
  it('switches on an EMT through the same rendezvous; each EMT updates its ring-0 setting', async () => {
    const { vm, events } = await created(3);
    const rc = await vm.reqCallWait('any', (ctx) => vmR3SetHaltMethodU(ctx.vm, VMHALTMETHOD.OLD));
    expect(rc).toBe(VINF_SUCCESS);
    expect(haltOf(vm.core).method).toBe('OLD');
    expect(events.filter((e) => e.kind === 'halt-method').map((e) => (e as { to: string }).to)).toEqual(['GLOBAL_1', 'OLD']);
    expect(haltOf(vm.core).cpus.map((c) => c.mayHaltInRing0)).toEqual([false, false, false]);
  });

  it('a failing init falls back on BOOTSTRAP and the switch reports the status', async () => {
    const { vm } = await created(2);
    haltOf(vm.core).initHook = () => VERR_CFGM_NOT_INTEGER;
    await expect(vm.reqCallWait('any', (ctx) => vmR3SetHaltMethodU(ctx.vm, VMHALTMETHOD.GLOBAL_1))).rejects.toMatchObject({
      rc: VERR_CFGM_NOT_INTEGER,
    });
    expect(haltOf(vm.core).method).toBe('BOOTSTRAP');
    expect(haltOf(vm.core).cpus.map((c) => c.mayHaltInRing0)).toEqual([false, false]);
  });

  it.each([0, 6, -3])('method %i is VERR_INVALID_PARAMETER and changes nothing', async (method) => {
    const { vm } = await created(2);
    await expect(vm.reqCallWait('any', (ctx) => vmR3SetHaltMethodU(ctx.vm, method))).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
    expect(haltOf(vm.core).method).toBe('GLOBAL_1');
  });

  it('off an EMT it is VERR_VM_THREAD_NOT_EMT', async () => {
    const { vm } = await created(1);
    expect(vmR3SetHaltMethodU(vm.core, VMHALTMETHOD.OLD)).toBe(VERR_VM_THREAD_NOT_EMT);
    expect(haltOf(vm.core).method).toBe('GLOBAL_1');
  });
});
