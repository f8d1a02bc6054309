/**
 * VMSetRuntimeError and VMR3SetGuruMeditation (vbox-facts.md §1.4): FATAL moves RUNNING → FATAL_ERROR through
 * a DESCENDING | STOP_ON_ERROR rendezvous; SUSPEND suspends with reason RUNTIME_ERROR only when running (a
 * repeated error in another state is a quiet success); no flags changes nothing; every one reaches the
 * runtime-error callbacks afterwards. Method: deterministic engine, public API, exact statuses and states.
 */
import { describe, expect, it } from 'vitest';
import {
  createVMM, VINF_SUCCESS, VMSETRTERR_FLAGS_FATAL, VMSETRTERR_FLAGS_NO_WAIT, VMSETRTERR_FLAGS_SUSPEND, VERR_INVALID_PARAMETER,
} from '../../src/index.js';

async function runningVm(cpus = 2) {
  const vmm = createVMM({ seed: 11 });
  const vm = await vmm.create({ cpus, config: { NumCPUs: cpus } });
  await vm.powerOn();
  const seen: [number, string, string][] = [];
  vm.atRuntimeError((flags, id, message) => seen.push([flags, id, message]));
  return { vmm, vm, seen };
}

describe('VMSetRuntimeError', () => {
  it('FATAL: RUNNING → FATAL_ERROR, then the callbacks', async () => {
    const { vm, seen } = await runningVm();
    const states: string[] = [];
    vm.state$.subscribe((c) => states.push(c.to));
    await vm.setRuntimeError(VMSETRTERR_FLAGS_FATAL, 'DiskFull', 'disk full');
    expect(states).toEqual(['RUNNING', 'FATAL_ERROR']);
    expect(seen).toEqual([[VMSETRTERR_FLAGS_FATAL, 'DiskFull', 'disk full']]);
    expect(vm.runtimeErrorCount).toBe(1);
    // From FATAL_ERROR the only way on is power-off (ordinal 6 of VMR3PowerOff's list).
    await vm.powerOff();
    expect(vm.state).toBe('OFF');
  });

  it('FATAL when not running fails the rendezvous but still reaches the callbacks', async () => {
    const { vm, seen } = await runningVm();
    await vm.suspend();
    await expect(vm.setRuntimeError(VMSETRTERR_FLAGS_FATAL, 'x', 'y')).rejects.toMatchObject({ rc: -1907 });
    expect(vm.state).toBe('SUSPENDED');
    expect(seen).toHaveLength(1);
  });

  it('SUSPEND: suspends with reason RUNTIME_ERROR while running; a repeat when suspended is a quiet success', async () => {
    const { vm, seen } = await runningVm(3);
    await vm.setRuntimeError(VMSETRTERR_FLAGS_SUSPEND, 'DiskFull', 'disk full');
    expect(vm.state).toBe('SUSPENDED');
    expect(vm.counters.suspendReason).toBe('RUNTIME_ERROR');
    await expect(vm.setRuntimeError(VMSETRTERR_FLAGS_SUSPEND, 'DiskFull', 'disk full')).resolves.toBe(VINF_SUCCESS);
    expect(vm.state).toBe('SUSPENDED');
    expect(seen).toHaveLength(2);
  });

  it('no flags: no state change, callback with flags 0', async () => {
    const { vm, seen } = await runningVm();
    await vm.setRuntimeError(0, 'enum', 'some error string');
    expect(vm.state).toBe('RUNNING');
    expect(seen).toEqual([[0, 'enum', 'some error string']]);
  });

  it('NO_WAIT returns before the work is done; the work still happens', async () => {
    const { vmm, vm, seen } = await runningVm();
    await vm.setRuntimeError(VMSETRTERR_FLAGS_NO_WAIT | VMSETRTERR_FLAGS_FATAL, 'late', 'later');
    await vmm.runUntilIdle();
    expect(vm.state).toBe('FATAL_ERROR');
    expect(seen).toHaveLength(1);
  });

  it('unknown flags are refused and change nothing', async () => {
    const { vm, seen } = await runningVm();
    await expect(vm.setRuntimeError(8, 'x', 'y')).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
    expect(vm.state).toBe('RUNNING');
    expect(seen).toHaveLength(0);
  });
});

describe('VMR3SetGuruMeditation', () => {
  it('RUNNING → GURU_MEDITATION setting VM_FF_CHECK_VM_STATE; false in any other state', async () => {
    const { vm } = await runningVm();
    await expect(vm.setGuruMeditation()).resolves.toBe(true);
    expect(vm.state).toBe('GURU_MEDITATION');
    expect(vm.core.ff & (1 << 10)).not.toBe(0);
    await expect(vm.setGuruMeditation()).resolves.toBe(false);
    await vm.powerOff();
    expect(vm.state).toBe('OFF');
  });
});
