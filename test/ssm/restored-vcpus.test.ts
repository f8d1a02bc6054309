/**
 * Restored and teleported VMs run (VMM.cpp vmmR3Save / vmmR3Load, vbox-facts.md §7.7). Goal: the "vmm" unit
 * carries, for each vCPU i >= 1, whether it is started, then a UINT32_MAX terminator; a load starts vCPU 0 and
 * sets every other vCPU from its flag, so after VMR3LoadFromFile or a teleport (VMR3LoadFromStream) + resume
 * the guest runs — vmR3Resume does not start vCPUs (its VMCPU_SET_STATE is compiled out).
 * Method: saves and a teleport on the deterministic engine with the demo guest; the guest dirties RAM only
 * while a vCPU runs guest code, so "runs" is pages written over 20 ms of virtual time (a powered-on VM of the
 * same set-up gives the reference figure); unit bytes checked from the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCpuStarted } from '../../machines/vmcpu.js';
import { VERR_SSM_DATA_UNIT_FORMAT_CHANGED, VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, VINF_SUCCESS, type VM, type Vmm } from '../../src/index.js';
import { info } from '../../src/ssm/info.js';
import { MemorySink } from '../../src/ssm/sinks.js';
import { MemorySource } from '../../src/ssm/sources.js';
import { listen, PASSWORD } from '../teleport/net-support.js';
import { engine, MiB, newVm } from '../teleport/support.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-restored-vcpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const RAM = { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 64 * MiB };
const RUN_NS = 20_000_000;

const cpuStates = (vm: VM) => Array.from({ length: vm.core.cCpus }, (_, i) => vm.cpu(i).state);

/** Pages the guest writes in 20 ms of virtual time after resume (0 when no vCPU runs guest code). */
async function pagesAfterResume(vmm: Vmm, vm: VM): Promise<number> {
  await vm.resume();
  const before = vm.ram.pagesWritten;
  await vmm.advance(RUN_NS);
  return vm.ram.pagesWritten - before;
}

async function savedFile(cpus: number, live: boolean, prepare?: (vm: VM) => void): Promise<string> {
  const { vmm, vm } = await newVm({ cpus, ram: RAM });
  await vmm.advance(2_000_000);
  if (!live) await vm.suspend();
  prepare?.(vm);
  const sink = new MemorySink();
  expect((await vm.save(sink)).rc).toBeGreaterThanOrEqual(0);
  const path = join(dir, `s${++seq}.sav`);
  writeFileSync(path, sink.bytes());
  return path;
}

describe('the vmm unit (vmmR3Save / vmmR3Load)', () => {
  it('a powered-on VM of the same set-up writes RAM over 20 ms (the reference figure)', async () => {
    const { vmm, vm } = await newVm({ cpus: 2, ram: RAM });
    await vm.suspend();
    expect(await pagesAfterResume(vmm, vm)).toBeGreaterThan(0);
  });

  it.each([
    ['a live save of 2 vCPUs', 2, true],
    ['a plain save of 2 vCPUs', 2, false],
    ['a live save of 4 vCPUs', 4, true],
    ['a plain save of 1 vCPU', 1, false],
  ] as const)('VMR3LoadFromFile of %s into CREATED: every vCPU STARTED, the guest runs after resume', async (_name, cpus, live) => {
    const path = await savedFile(cpus, live);
    const { vmm, vm } = await newVm({ cpus, ram: { sizeBytes: RAM.sizeBytes, dirtyBytesPerSec: RAM.dirtyBytesPerSec }, powerOn: false });
    expect(cpuStates(vm).every((s) => s === 'STOPPED')).toBe(true);
    expect(await vm.loadFromFile(path)).toBe(VINF_SUCCESS);
    expect(vm.state).toBe('SUSPENDED');
    expect(cpuStates(vm)).toEqual(new Array(cpus).fill('STARTED'));
    expect(await pagesAfterResume(vmm, vm)).toBeGreaterThan(0);
    expect(cpuStates(vm).every((s) => isCpuStarted(s))).toBe(true);
  });

  it('writes one bool per vCPU i >= 1 and the UINT32_MAX terminator, unit version 4', async () => {
    const path = await savedFile(3, false);
    const file = info(path);
    const unit = file.units.find((u) => u.name === 'vmm');
    expect(unit).toMatchObject({ instance: 0, version: 4 });
    // The unit's payload: vCPUs 1 and 2 started (1, 1), then 0xffffffff little-endian.
    const vm = (await newVm({ cpus: 3, powerOn: false, ram: { sizeBytes: RAM.sizeBytes } })).vm;
    const seen: number[][] = [];
    vm.deregisterUnit('vmm');
    vm.registerUnit({
      name: 'vmm', version: 4, cbGuess: 8,
      loadExec: (ssm) => void seen.push([ssm.getU8(), ssm.getU8(), ssm.getU32()]),
    });
    expect(await vm.loadFromFile(path)).toBe(VINF_SUCCESS);
    expect(seen).toEqual([[1, 1, 0xffffffff]]);
  });

  it('a vCPU saved STOPPED loads STOPPED; vCPU 0 is always started', async () => {
    // No public call stops one vCPU of a suspended VM: the source's vCPUs 0 and 2 are stopped by hand.
    const path = await savedFile(3, false, (vm) => {
      vm.core.cpuSend(0, { type: 'stop' });
      vm.core.cpuSend(2, { type: 'stop' });
    });
    const { vm } = await newVm({ cpus: 3, powerOn: false, ram: { sizeBytes: RAM.sizeBytes } });
    expect(await vm.loadFromFile(path)).toBe(VINF_SUCCESS);
    expect(cpuStates(vm)).toEqual(['STARTED', 'STARTED', 'STOPPED']);
  });

  it.each([
    ['a wrong terminator', 4, 0x12345678, VERR_SSM_DATA_UNIT_FORMAT_CHANGED],
    ['version 5', 5, 0xffffffff, VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION],
  ] as const)('a vmm unit with %s fails the load with its status', async (_name, version, terminator, rc) => {
    const { vm: source } = await newVm({ cpus: 2, ram: { sizeBytes: RAM.sizeBytes } });
    await source.suspend();
    source.deregisterUnit('vmm');
    source.registerUnit({ name: 'vmm', version, cbGuess: 8, saveExec: (ssm) => (ssm.putBool(true), ssm.putU32(terminator)) });
    const sink = new MemorySink();
    await source.save(sink);
    const path = join(dir, `bad${++seq}.sav`);
    writeFileSync(path, sink.bytes());
    expect(info(new MemorySource(sink.bytes(), { asFile: true })).units.some((u) => u.name === 'vmm')).toBe(true);
    const { vm } = await newVm({ cpus: 2, powerOn: false, ram: { sizeBytes: RAM.sizeBytes } });
    await expect(vm.loadFromFile(path)).rejects.toMatchObject({ rc });
    expect(vm.state).toBe('LOAD_FAILURE');
  });

  it('a teleported VM (virtual clock, one engine for both ends): every vCPU STARTED, the guest runs after resume', async () => {
    const vmm = engine();
    const { vm: source } = await newVm({ cpus: 2, ram: RAM }, vmm);
    const listening = await listen(vmm);
    const result = await source.teleport({ port: listening.port, password: PASSWORD });
    expect(result.rc).toBe(VINF_SUCCESS);
    const target = await listening.target;
    expect(target.state).toBe('SUSPENDED');
    expect(cpuStates(target)).toEqual(['STARTED', 'STARTED']);
    target.ram.dirtyBytesPerSec = RAM.dirtyBytesPerSec;
    expect(await pagesAfterResume(vmm, target)).toBeGreaterThan(0);
    await source.powerOff();
    await target.powerOff();
  });
});
