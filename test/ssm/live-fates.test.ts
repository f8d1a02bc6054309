/**
 * What becomes of a live save when the VM does something else meanwhile (vbox-facts.md §7.1 steps 3–4, §7.5,
 * §12 item 2): vmR3LiveDoSuspend's state table, vmR3LiveDoStep1Cleanup's eight ordered pairs, SSMR3Cancel's
 * three outcomes, and power-off / fatal error / guru meditation / external suspend / reset during the live phase
 * through the public API, in both fidelities.
 * Method: a probe unit's vote callback acts at a chosen pass — it calls the public API (which runs as another
 * thread, interleaved by the deterministic scheduler), or it walks the VM along table edges with the internal
 * try-set-state hook to put the VM exactly where a row of a table starts — then the save's status, the final
 * VM state and the state changes are checked.
 */
import { describe, expect, it } from 'vitest';
import type { VmState } from '../../machines/vm.js';
import {
  VERR_SSM_ALREADY_CANCELLED, VERR_SSM_CANCELLED, VERR_SSM_LIVE_FATAL_ERROR, VERR_SSM_LIVE_GURU_MEDITATION,
  VERR_SSM_LIVE_POWERED_OFF, VERR_SSM_NO_PENDING_OPERATION, VERR_SSM_VOTE_FOR_GIVING_UP, VERR_VM_INVALID_VM_STATE,
  VERR_VM_UNEXPECTED_UNSTABLE_STATE, VERR_VM_UNEXPECTED_VM_STATE, VINF_EM_OFF, VINF_SSM_LIVE_SUSPENDED,
  VINF_SSM_VOTE_FOR_ANOTHER_PASS, VINF_SUCCESS, VMSETRTERR_FLAGS_FATAL, type VM,
} from '../../src/index.js';
import { MemorySink } from '../../src/ssm/sinks.js';
import { ssmR3Cancel } from '../../src/ssm/vm-units.js';
import { NS_PER_MS } from '../../src/time/clock.js';
import { moveAlong, newVm, probe, watchStates } from '../teleport/support.js';

/** The states the VM's vmR3SaveTeleport flow (machines/vm-save-teleport.ts) enters, in order. */
function flowStates(vm: VM): string[] {
  const states: string[] = [];
  vm.events$.subscribe((e) => {
    if (e.kind === 'machine' && e.machine === 'vmSaveTeleport') states.push(e.to);
  });
  return states;
}

/** The probe votes "another pass" until `at`, where it runs `act` and votes `vote` (ready by default). */
function actAt(vm: VM, at: number, act: () => void, vote = VINF_SUCCESS) {
  return probe(vm, {
    vote: (_ssm, pass) => {
      if (pass < at) return VINF_SSM_VOTE_FOR_ANOTHER_PASS;
      if (pass === at) act();
      return pass === at ? vote : VINF_SUCCESS;
    },
  });
}

describe('vmR3LiveDoSuspend: the state when step 1 is done', () => {
  type Row = [label: string, path: VmState[], intended: { rc: number; state: VmState }, asWritten?: { rc: number; state: VmState }];
  const rows: Row[] = [
    ['RUNNING_LS: → SUSPENDING_LS → SUSPENDED_LS, saved', [], { rc: VINF_SUCCESS, state: 'SUSPENDED' }],
    ['SUSPENDED_EXT_LS (as written: fails the SUSPENDING_LS check)', ['SUSPENDING_EXT_LS', 'SUSPENDED_EXT_LS'],
      { rc: VINF_SSM_LIVE_SUSPENDED, state: 'SUSPENDED' }, { rc: VERR_VM_UNEXPECTED_UNSTABLE_STATE, state: 'SUSPENDED_EXT_LS' }],
    ['SUSPENDED_LS (as written: fails the SUSPENDING_LS check)', ['SUSPENDING_LS', 'SUSPENDED_LS'],
      { rc: VINF_SUCCESS, state: 'SUSPENDED' }, { rc: VERR_VM_UNEXPECTED_UNSTABLE_STATE, state: 'SUSPENDED_LS' }],
    ['OFF_LS: → OFF, VERR_SSM_LIVE_POWERED_OFF', ['POWERING_OFF_LS', 'OFF_LS'], { rc: VERR_SSM_LIVE_POWERED_OFF, state: 'OFF' }],
    ['FATAL_ERROR_LS: → FATAL_ERROR, VERR_SSM_LIVE_FATAL_ERROR', ['FATAL_ERROR_LS'], { rc: VERR_SSM_LIVE_FATAL_ERROR, state: 'FATAL_ERROR' }],
    ['GURU_MEDITATION_LS: → GURU_MEDITATION, VERR_SSM_LIVE_GURU_MEDITATION', ['GURU_MEDITATION_LS'],
      { rc: VERR_SSM_LIVE_GURU_MEDITATION, state: 'GURU_MEDITATION' }],
    ['RESETTING_LS (anything else): VERR_VM_UNEXPECTED_VM_STATE', ['RESETTING_LS'], { rc: VERR_VM_UNEXPECTED_VM_STATE, state: 'RESETTING_LS' }],
  ];
  for (const fidelity of ['intended', 'as-written'] as const) {
    it.each(rows)(`${fidelity}: %s`, async (_label, path, intended, asWritten) => {
      const expected = fidelity === 'as-written' && asWritten ? asWritten : intended;
      const { vm } = await newVm({ fidelity });
      actAt(vm, 11, () => moveAlong(vm, 'RUNNING_LS', ...path));
      const flow = flowStates(vm);
      const settled = await vm.save(new MemorySink()).then((r) => r.rc, (e: { rc: number }) => e.rc);
      expect(settled).toBe(expected.rc);
      expect(vm.state).toBe(expected.state);
      // §7.1 step 3: a failed suspend ends with SSMR3LiveDone (no cleanup); otherwise vmR3LiveDoStep2 runs.
      const tail = settled < 0 ? ['suspending', 'suspendLiveDone', 'failed'] : ['suspending', 'step2a', 'drain', 'step2b', 'done'];
      expect(flow.slice(flow.indexOf('suspending'))).toEqual(tail);
    });
  }

  it('DEBUGGING_LS: VERR_TRY_AGAIN, retried every 250 ms of GIP time until the VM is back in RUNNING_LS', async () => {
    const { vmm, vm } = await newVm();
    let debugAt = 0;
    actAt(vm, 11, () => {
      moveAlong(vm, 'RUNNING_LS', 'DEBUGGING_LS');
      debugAt = vm.core.nowNs();
      vmm.sched.setTimer(debugAt + 600 * NS_PER_MS, 'test/debugger-leaves', () => moveAlong(vm, 'DEBUGGING_LS', 'RUNNING_LS'));
    });
    const flow = flowStates(vm);
    let suspendAt = 0;
    vm.events$.subscribe((e) => {
      if (e.kind === 'state' && e.to === 'SUSPENDING_LS') suspendAt = e.tNs;
    });
    expect((await vm.save(new MemorySink())).rc).toBe(VINF_SUCCESS);
    // Tries at +0, +250, +500 find DEBUGGING_LS; the one at +750 ms (plus the EMTs' way to the rendezvous) suspends.
    expect(suspendAt - debugAt).toBeGreaterThanOrEqual(750 * NS_PER_MS);
    expect(suspendAt - debugAt).toBeLessThan(1000 * NS_PER_MS);
    expect(vm.state).toBe('SUSPENDED');
    // The flow's machine walked the retry wait three times.
    const retries = ['suspending', 'suspendRetry', 'suspending', 'suspendRetry', 'suspending', 'suspendRetry', 'suspending'];
    expect(flow.slice(flow.indexOf('suspending'))).toEqual([...retries, 'step2a', 'drain', 'step2b', 'done']);
  });
});

describe('vmR3LiveDoStep1Cleanup (ONCE): step 1 was cancelled while the VM was …', () => {
  it.each([
    ['OFF_LS', ['POWERING_OFF_LS', 'OFF_LS'], 'OFF', VERR_SSM_LIVE_POWERED_OFF],
    ['FATAL_ERROR_LS', ['FATAL_ERROR_LS'], 'FATAL_ERROR', VERR_SSM_LIVE_FATAL_ERROR],
    ['GURU_MEDITATION_LS', ['GURU_MEDITATION_LS'], 'GURU_MEDITATION', VERR_SSM_LIVE_GURU_MEDITATION],
    ['SUSPENDED_LS', ['SUSPENDING_LS', 'SUSPENDED_LS'], 'SUSPENDED', VERR_SSM_CANCELLED],
    ['SAVING', ['SUSPENDING_LS', 'SUSPENDED_LS', 'SAVING'], 'SUSPENDED', VERR_SSM_CANCELLED],
    ['SUSPENDED_EXT_LS', ['SUSPENDING_EXT_LS', 'SUSPENDED_EXT_LS'], 'SUSPENDED', VERR_SSM_CANCELLED],
    ['RUNNING_LS', [], 'RUNNING', VERR_SSM_CANCELLED],
    ['DEBUGGING_LS', ['DEBUGGING_LS'], 'DEBUGGING', VERR_SSM_CANCELLED],
    ['RESETTING_LS (no pair: the cleanup error replaces VERR_SSM_CANCELLED)', ['RESETTING_LS'], 'RESETTING_LS', VERR_VM_INVALID_VM_STATE],
  ] as [string, VmState[], VmState, number][])('%s → %s', async (_label, path, final, rc) => {
    const { vm } = await newVm();
    actAt(vm, 4, () => {
      moveAlong(vm, 'RUNNING_LS', ...path);
      expect(ssmR3Cancel(vm.core)).toBe(VINF_SUCCESS);
    }, VINF_SSM_VOTE_FOR_ANOTHER_PASS);
    await expect(vm.save(new MemorySink())).rejects.toMatchObject({ rc });
    expect(vm.state).toBe(final);
  });

  it('a step-1 failure other than VERR_SSM_CANCELLED is kept even when the cleanup reports why', async () => {
    const { vm } = await newVm();
    actAt(vm, 4, () => moveAlong(vm, 'RUNNING_LS', 'POWERING_OFF_LS', 'OFF_LS'), VERR_SSM_VOTE_FOR_GIVING_UP);
    await expect(vm.save(new MemorySink())).rejects.toMatchObject({ rc: VERR_SSM_VOTE_FOR_GIVING_UP });
    expect(vm.state).toBe('OFF');
  });
});

describe('SSMR3Cancel', () => {
  it('VERR_SSM_NO_PENDING_OPERATION, then VINF_SUCCESS, then VERR_SSM_ALREADY_CANCELLED; the save fails cancelled', async () => {
    const { vm } = await newVm();
    expect(ssmR3Cancel(vm.core)).toBe(VERR_SSM_NO_PENDING_OPERATION);
    const outcomes: number[] = [];
    actAt(vm, 2, () => outcomes.push(ssmR3Cancel(vm.core), ssmR3Cancel(vm.core)), VINF_SSM_VOTE_FOR_ANOTHER_PASS);
    const states = watchStates(vm);
    await expect(vm.save(new MemorySink())).rejects.toMatchObject({ rc: VERR_SSM_CANCELLED });
    expect(outcomes).toEqual([VINF_SUCCESS, VERR_SSM_ALREADY_CANCELLED]);
    expect(states).toEqual(['RUNNING>RUNNING_LS', 'RUNNING_LS>RUNNING']);
    expect(ssmR3Cancel(vm.core)).toBe(VERR_SSM_NO_PENDING_OPERATION);
  });
});

describe('the live phase meets the public API', () => {
  it('VMR3PowerOff: POWERING_OFF_LS cancels the save; VERR_SSM_LIVE_POWERED_OFF; the VM ends OFF', async () => {
    const { vm } = await newVm();
    let powerOff: Promise<number> | undefined;
    actAt(vm, 3, () => void (powerOff = vm.powerOff()), VINF_SSM_VOTE_FOR_ANOTHER_PASS);
    const states = watchStates(vm);
    await expect(vm.save(new MemorySink())).rejects.toMatchObject({ rc: VERR_SSM_LIVE_POWERED_OFF });
    expect(await powerOff).toBe(VINF_EM_OFF);
    expect(states).toEqual(['RUNNING>RUNNING_LS', 'RUNNING_LS>POWERING_OFF_LS', 'POWERING_OFF_LS>OFF_LS', 'OFF_LS>OFF']);
    await vm.destroy();
  });

  it('a fatal runtime error: FATAL_ERROR_LS, VERR_SSM_LIVE_FATAL_ERROR, the VM ends FATAL_ERROR', async () => {
    const { vm } = await newVm();
    actAt(vm, 3, () => void vm.setRuntimeError(VMSETRTERR_FLAGS_FATAL, 'test', 'fatal'), VINF_SSM_VOTE_FOR_ANOTHER_PASS);
    await expect(vm.save(new MemorySink())).rejects.toMatchObject({ rc: VERR_SSM_LIVE_FATAL_ERROR });
    expect(vm.state).toBe('FATAL_ERROR');
  });

  it('a guru meditation: GURU_MEDITATION_LS, VERR_SSM_LIVE_GURU_MEDITATION, the VM ends GURU_MEDITATION', async () => {
    const { vm } = await newVm();
    actAt(vm, 3, () => void vm.setGuruMeditation(), VINF_SSM_VOTE_FOR_ANOTHER_PASS);
    await expect(vm.save(new MemorySink())).rejects.toMatchObject({ rc: VERR_SSM_LIVE_GURU_MEDITATION });
    expect(vm.state).toBe('GURU_MEDITATION');
  });

  it('intended: VMR3Suspend during the live phase → SUSPENDED_EXT_LS; the save completes with VINF_SSM_LIVE_SUSPENDED', async () => {
    const { vm } = await newVm();
    actAt(vm, 3, () => void vm.suspend(), VINF_SSM_VOTE_FOR_ANOTHER_PASS);
    const states = watchStates(vm);
    const result = await vm.save(new MemorySink());
    expect(result).toMatchObject({ rc: VINF_SSM_LIVE_SUSPENDED, suspended: false, downtimeNs: null });
    expect(states).toEqual(['RUNNING>RUNNING_LS', 'RUNNING_LS>SUSPENDING_EXT_LS', 'SUSPENDING_EXT_LS>SUSPENDED_EXT_LS', 'SUSPENDED_EXT_LS>SAVING', 'SAVING>SUSPENDED']);
  });

  it('as written (§12 item 2): the same suspend fails the save with VERR_VM_UNEXPECTED_UNSTABLE_STATE; the VM stays SUSPENDED_EXT_LS', async () => {
    const { vm } = await newVm({ fidelity: 'as-written' });
    actAt(vm, 3, () => void vm.suspend(), VINF_SSM_VOTE_FOR_ANOTHER_PASS);
    await expect(vm.save(new MemorySink())).rejects.toMatchObject({ rc: VERR_VM_UNEXPECTED_UNSTABLE_STATE });
    expect(vm.state).toBe('SUSPENDED_EXT_LS');
    await expect(vm.resume()).rejects.toMatchObject({ rc: VERR_VM_INVALID_VM_STATE });
  });

  it('intended: a hard reset during the live phase suspends (RESETTING_LS → SUSPENDED_LS); the save completes', async () => {
    const { vm } = await newVm();
    actAt(vm, 3, () => void vm.reset(), VINF_SSM_VOTE_FOR_ANOTHER_PASS);
    const states = watchStates(vm);
    const result = await vm.save(new MemorySink());
    expect(result).toMatchObject({ rc: VINF_SUCCESS, suspended: true });
    expect(states).toEqual(['RUNNING>RUNNING_LS', 'RUNNING_LS>RESETTING_LS', 'RESETTING_LS>SUSPENDING_LS', 'SUSPENDING_LS>SUSPENDED_LS', 'SUSPENDED_LS>SAVING', 'SAVING>SUSPENDED']);
  });
});
