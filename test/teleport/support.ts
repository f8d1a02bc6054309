/**
 * Shared set-up for the live-save, load and teleport tests: a running VM on the deterministic engine with the
 * demo guest, a recorder of VM state changes, a probe unit whose callbacks a test scripts, and a helper that
 * walks the VM along table edges through the internal try-set-state hook (for states no public call reaches
 * at the wanted moment).
 */
import { afterEach, expect } from 'vitest';
import type { VmState } from '../../machines/vm.js';
import { demoGuest } from '../../src/guest/demo-guest.js';
import { createVMM, type VM, type Vmm } from '../../src/index.js';
import type { SsmHandle } from '../../src/ssm/handle.js';
import type { GuestRamOptions } from '../../src/ssm/live/guest-ram.js';
import type { SsmStatus } from '../../src/ssm/units.js';

export const SEED = 20241015;
export const MiB = 1024 * 1024;

let engines: Vmm[] = [];
afterEach(() => {
  for (const vmm of engines) vmm.dispose();
  engines = [];
});

export interface VmSetup {
  cpus?: number;
  ram?: GuestRamOptions;
  fidelity?: 'intended' | 'as-written';
  /** Power the VM on (default true). */
  powerOn?: boolean;
}

export function engine(fidelity: 'intended' | 'as-written' = 'intended'): Vmm {
  const vmm = createVMM({ seed: SEED, hooks: demoGuest(), fidelity });
  engines.push(vmm);
  return vmm;
}

export async function newVm(setup: VmSetup = {}, vmm = engine(setup.fidelity)): Promise<{ vmm: Vmm; vm: VM }> {
  const cpus = setup.cpus ?? 2;
  const vm = await vmm.create({ cpus, config: { NumCPUs: cpus }, ram: setup.ram ?? { sizeBytes: 256 * 1024 } });
  if (setup.powerOn ?? true) await vm.powerOn();
  return { vmm, vm };
}

/** Every VM state change as "FROM>TO", from now on. */
export function watchStates(vm: VM): string[] {
  const changes: string[] = [];
  vm.events$.subscribe((e) => {
    if (e.kind === 'state') changes.push(`${e.from}>${e.to}`);
  });
  return changes;
}

/** Walk the VM along table edges with the internal try-set-state hook (vmR3TrySetState, one pair each). */
export function moveAlong(vm: VM, ...states: VmState[]): void {
  for (let i = 1; i < states.length; i++) expect(vm.core.trySetState('test', [[states[i - 1]!, states[i]!]])).toBe(1);
}

export interface ProbeScript {
  exec?: (ssm: SsmHandle, pass: number) => SsmStatus;
  vote?: (ssm: SsmHandle, pass: number) => SsmStatus;
  save?: (ssm: SsmHandle) => SsmStatus;
  load?: (ssm: SsmHandle, version: number, pass: number) => SsmStatus;
}

/** An embedder unit "probe" whose live callbacks the test scripts; it counts its calls. */
export function probe(vm: VM, script: ProbeScript = {}, name = 'probe'): { execs: number[]; votes: number[] } {
  const calls = { execs: [] as number[], votes: [] as number[] };
  vm.registerUnit({
    name, version: 1, cbGuess: 16,
    liveExec: (ssm, pass) => {
      calls.execs.push(pass);
      return script.exec ? script.exec(ssm, pass) : ssm.putU32(pass);
    },
    liveVote: (ssm, pass) => {
      calls.votes.push(pass);
      return script.vote?.(ssm, pass);
    },
    saveExec: (ssm) => (script.save ? script.save(ssm) : ssm.putU32(0xf1a1)),
    loadExec: (ssm, version, pass) => (script.load ? script.load(ssm, version, pass) : void ssm.getU32()),
  });
  return calls;
}

/** An engine on the real clock (teleport sources: the peer is real, so is the time a drop takes to show). */
export function realEngine(): Vmm {
  const vmm = createVMM({ clock: 'real', hooks: demoGuest() });
  engines.push(vmm);
  return vmm;
}
