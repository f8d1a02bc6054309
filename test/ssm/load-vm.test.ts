/**
 * VMR3LoadFromFile at the VM level (vbox-facts.md §1.4, §7.6): CREATED or SUSPENDED → LOADING → SUSPENDED
 * (then resume), or LOADING → LOAD_FAILURE with the exact status and VirtualBox's message; the engine's units
 * (vm, vcpu, gvmm, pgm) and embedder units round-trip; mismatches are refused with the unit's status.
 * Method: saves made by the engine itself (live and plain) into a temp folder, loaded into fresh VMs on the
 * deterministic engine; state changes, statuses, VMSetError texts and restored data are compared.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  VERR_FILE_NOT_FOUND, VERR_INVALID_PARAMETER, VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, VERR_SSM_LOAD_CONFIG_MISMATCH,
  VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH, VERR_SSM_LOADED_TOO_LITTLE, VERR_SSM_LOADED_TOO_MUCH, VERR_VM_INVALID_VM_STATE,
  VINF_EM_OFF, VINF_SUCCESS, type VM,
} from '../../src/index.js';
import { loadFailureMessage } from '../../src/ssm/live/vm-load.js';
import { engine, newVm, probe, watchStates } from '../teleport/support.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-load-vm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const file = () => join(dir, `s${++seq}.sav`);

/** A saved VM (2 vCPUs, 256 KiB RAM with data) and the path of its file. */
async function saved(options: { live?: boolean; withProbe?: boolean } = {}): Promise<{ path: string; source: VM }> {
  const { vmm, vm } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true } });
  if (options.withProbe) probe(vm);
  await vm.reset();
  await vmm.advance(2_000_000);
  if (options.live === false) await vm.suspend();
  const path = file();
  await vm.save(path);
  return { path, source: vm };
}

async function fresh(setup: { cpus?: number; ram?: number; suspended?: boolean } = {}): Promise<VM> {
  const cpus = setup.cpus ?? 2;
  const { vm } = await newVm({ cpus, ram: { sizeBytes: setup.ram ?? 256 * 1024 }, powerOn: setup.suspended ?? false });
  if (setup.suspended) await vm.suspend();
  return vm;
}

describe('VMR3LoadFromFile', () => {
  it.each([
    ['a live save, into CREATED', true, false, ['CREATED>LOADING', 'LOADING>SUSPENDED']],
    ['a plain save, into CREATED', false, false, ['CREATED>LOADING', 'LOADING>SUSPENDED']],
    ['a live save, into SUSPENDED', true, true, ['SUSPENDED>LOADING', 'LOADING>SUSPENDED']],
  ] as const)('%s: ends SUSPENDED with every unit restored; resume runs it', async (_name, live, suspended, path) => {
    const { path: saveFile, source } = await saved({ live });
    const vm = await fresh({ suspended });
    const states = watchStates(vm);
    const progress: number[] = [];
    expect(await vm.loadFromFile(saveFile, { onProgress: (p) => progress.push(p) })).toBe(VINF_SUCCESS);
    expect(states).toEqual(path);
    expect(vm.ram.digest()).toBe(source.ram.digest());
    expect(vm.counters).toMatchObject({ cResets: 1, cHardResets: 1 });
    expect(vm.teleportedAndNotFullyResumedYet).toBe(false);
    expect(progress.at(-1)).toBe(100);
    await vm.resume();
    expect(vm.state).toBe('RUNNING');
  });

  it('embedder units round-trip through vm.registerUnit, pass by pass', async () => {
    const { path } = await saved({ withProbe: true });
    const vm = await fresh();
    const passes: number[] = [];
    probe(vm, { load: (ssm, _version, pass) => void (ssm.getU32(), passes.push(pass)) });
    await vm.loadFromFile(path);
    expect(passes.slice(0, 3)).toEqual([0, 1, 2]);
    expect(passes.at(-1)).toBe(0xffffffff);
  });

  it.each([['RUNNING'], ['OFF']] as const)('from %s: VERR_VM_INVALID_VM_STATE, nothing changes', async (state) => {
    const { path } = await saved();
    const { vm } = await newVm();
    if (state === 'OFF') await vm.powerOff();
    const states = watchStates(vm);
    await expect(vm.loadFromFile(path)).rejects.toMatchObject({
      rc: VERR_VM_INVALID_VM_STATE,
      message: `VMR3LoadFromFile failed because the current VM state, ${state}, was not found in the state transition table ( CREATED -> LOADING, SUSPENDED -> LOADING)`,
    });
    expect(states).toEqual([]);
  });

  it('an empty path is VERR_INVALID_PARAMETER', async () => {
    await expect((await fresh()).loadFromFile('')).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
  });
});

describe('VMR3LoadFromFile failures: LOADING → LOAD_FAILURE', () => {
  it('a missing file: the status and "Unable to restore the virtual machine\'s saved state …"', async () => {
    const vm = await fresh();
    const missing = join(dir, 'missing.sav');
    const errors: [number, string][] = [];
    vm.atError((rc, message) => errors.push([rc, message]));
    await expect(vm.loadFromFile(missing)).rejects.toMatchObject({ rc: VERR_FILE_NOT_FOUND, message: loadFailureMessage(missing) });
    expect(errors).toEqual([[VERR_FILE_NOT_FOUND, loadFailureMessage(missing)]]);
    expect(vm.state).toBe('LOAD_FAILURE');
    expect(await vm.powerOff()).toBe(VINF_EM_OFF);
  });

  it('a unit nobody registered: VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, "Found no handler for unit …"', async () => {
    const { path } = await saved({ withProbe: true });
    const vm = await fresh();
    await expect(vm.loadFromFile(path)).rejects.toMatchObject({ rc: VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, message: expect.stringContaining("Found no handler for unit 'probe'") });
    expect(vm.state).toBe('LOAD_FAILURE');
  });

  it.each([
    ['reads less than the unit holds', () => undefined, VERR_SSM_LOADED_TOO_LITTLE],
    ['reads more than the unit holds', (ssm: { getU32(): number }) => void (ssm.getU32(), ssm.getU32()), VERR_SSM_LOADED_TOO_MUCH],
  ] as const)('a unit that %s', async (_name, load, rc) => {
    const { path } = await saved({ withProbe: true });
    const vm = await fresh();
    probe(vm, { load: load as never });
    await expect(vm.loadFromFile(path)).rejects.toMatchObject({ rc });
    expect(vm.state).toBe('LOAD_FAILURE');
  });

  it.each([
    ['another vCPU count', { cpus: 3 }, VERR_SSM_LOAD_CONFIG_MISMATCH],
    ['another RAM size', { ram: 512 * 1024 }, VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH],
  ] as const)('%s: the unit refuses it', async (_name, setup, rc) => {
    const { path } = await saved();
    const vm = await fresh(setup);
    await expect(vm.loadFromFile(path)).rejects.toMatchObject({ rc });
    expect(vm.state).toBe('LOAD_FAILURE');
    expect(vm.teleportedAndNotFullyResumedYet).toBe(false);
  });

  it('a file that is not a saved state at all', async () => {
    const path = file();
    writeFileSync(path, 'not a saved state, just some words long enough to cover a header and then some more text');
    const vm = await fresh();
    const error = (await vm.loadFromFile(path).catch((e: unknown) => e)) as { rc: number; name: string; message: string };
    expect(error.name).toMatch(/^VERR_SSM_INTEGRITY/);
    expect(error.message).toBe(loadFailureMessage(path));
    expect(vm.state).toBe('LOAD_FAILURE');
  });

  it('engine() gives every VM its own registry: a unit registered on one VM is unknown to another', async () => {
    const vmm = engine();
    const a = (await newVm({ powerOn: false }, vmm)).vm;
    const b = (await newVm({ powerOn: false }, vmm)).vm;
    probe(a);
    expect(() => probe(a)).toThrow(/already exists/);
    expect(() => probe(b)).not.toThrow();
  });
});
