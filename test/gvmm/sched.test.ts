/**
 * GVMM's scheduler on GIP time (vbox-facts.md §9.3): GVMMR0SchedHalt (minimum sleep alone / with company,
 * the 1 s cap, timeouts), the EMT's return, GVMMR0SchedWakeUp (VINF_GVM_NOT_BLOCKED, always signals),
 * GVMMR0SchedPoke, GVMMR0SchedPoll, GVMMR0SchedWakeUpAndPokeCpus, the three rounds of early wake-ups with
 * both fidelities and both indexes, and StatsSched per VM and summed.
 *
 * Method: a Gvmm on a hand-stepped scheduler; "EMTs" are callbacks that record when GVMM woke them; time is
 * moved with the rig's advanceTo, which fires the timers due on the way.
 */
import { describe, expect, it, vi } from 'vitest';
import { GVMM_HALT_BLOCKED } from '../../src/gvmm/sched.js';
import { NS_NEVER } from '../../src/gvmm/wake-up-index.js';
import {
  VERR_INTERRUPTED, VERR_INVALID_CPU_ID, VERR_NOT_IMPLEMENTED, VERR_NOT_OWNER, VERR_WRONG_ORDER, VINF_GVM_NOT_BLOCKED,
  VINF_GVM_NOT_BUSY_IN_GC, VINF_SUCCESS,
} from '../../src/status.js';
import { gvmmRig, type FakeVm, type GvmmRig } from './support.js';

/** Halt vCPU `cpu` of `vm` until `expireNs`; `woken` collects "handle.cpu@ns" as GVMM wakes EMTs. */
function halter(rig: GvmmRig) {
  const woken: string[] = [];
  const halt = (vm: FakeVm, cpu: number, expireNs: number) =>
    rig.gvmm.schedHalt(vm.handle, cpu, vm.emt(cpu), expireNs, () => woken.push(`${vm.handle}.${cpu}@${rig.sched.clock.nowNs()}`));
  return { woken, halt };
}

const stats = (rig: GvmmRig, vm: FakeVm) => rig.gvmm.queryStatistics(vm.handle).schedVM!;

describe('GVMMR0SchedHalt', () => {
  it.each([
    { why: 'alone: 1 EMT, below MinSleepAlone', cpus: 1, interval: 749_999, blocks: false },
    { why: 'alone: 1 EMT, at MinSleepAlone', cpus: 1, interval: 750_000, blocks: true },
    { why: 'company: 2 EMTs, below MinSleepCompany', cpus: 2, interval: 14_999, blocks: false },
    { why: 'company: 2 EMTs, at MinSleepCompany', cpus: 2, interval: 15_000, blocks: true },
    { why: 'a deadline already past', cpus: 2, interval: -5, blocks: false },
    { why: 'a deadline of now', cpus: 2, interval: 0, blocks: false },
  ])('$why', ({ cpus, interval, blocks }) => {
    const rig = gvmmRig();
    const vm = rig.addVm(cpus);
    rig.advanceTo(1_000_000);
    const { halt } = halter(rig);
    expect(halt(vm, 0, 1_000_000 + interval)).toBe(blocks ? GVMM_HALT_BLOCKED : VINF_SUCCESS);
    const s = stats(rig, vm);
    expect([s.cHaltCalls, s.cHaltBlocking, s.cHaltNotBlocking]).toEqual([1, blocks ? 1 : 0, blocks ? 0 : 1]);
    expect(rig.gvmm.cHaltedEMTs).toBe(blocks ? 1 : 0);
  });

  it('sleeps at most 1 s: the timeout comes at now + 1 s, counts cHaltTimeouts and becomes success', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(1);
    const { woken, halt } = halter(rig);
    expect(halt(vm, 0, 5_000_000_000)).toBe(GVMM_HALT_BLOCKED);
    expect(rig.gvmm.table.gvmOf(vm.handle)!.cpus[0]!.haltExpireNs).toBe(1_000_000_000);
    rig.advanceTo(999_999_999);
    expect(woken).toEqual([]);
    rig.advanceTo(1_000_000_000);
    expect(woken).toEqual(['1.0@1000000000']);
    expect(rig.gvmm.schedHaltDone(vm.handle, 0)).toBe(VINF_SUCCESS);
    expect(stats(rig, vm).cHaltTimeouts).toBe(1);
    expect(rig.gvmm.cHaltedEMTs).toBe(0);
  });

  it.each([
    { why: 'from a thread that is not the vCPU’s EMT', caller: 'vm.1/emt.1', cpu: 0, rc: VERR_NOT_OWNER },
    { why: 'for a vCPU that does not exist', caller: 'vm.1/emt.0', cpu: 2, rc: VERR_INVALID_CPU_ID },
  ])('$why: $rc', ({ caller, cpu, rc }) => {
    const rig = gvmmRig();
    rig.addVm(2);
    expect(rig.gvmm.schedHalt(1, cpu, caller, 10_000_000, () => {})).toBe(rc);
  });

  it('halting twice, or finishing a halt that never blocked, is VERR_WRONG_ORDER', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(1);
    const { halt } = halter(rig);
    expect(rig.gvmm.schedHaltDone(vm.handle, 0)).toBe(VERR_WRONG_ORDER);
    expect(halt(vm, 0, 10_000_000)).toBe(GVMM_HALT_BLOCKED);
    expect(halt(vm, 0, 10_000_000)).toBe(VERR_WRONG_ORDER);
  });

  it('an EMT that runs again before any wake-up was interrupted: VERR_INTERRUPTED, nothing counted', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(1);
    const { halt } = halter(rig);
    halt(vm, 0, 10_000_000);
    expect(rig.gvmm.schedHaltDone(vm.handle, 0)).toBe(VERR_INTERRUPTED);
    expect(stats(rig, vm).cHaltTimeouts).toBe(0);
    expect(rig.gvmm.cHaltedEMTs).toBe(0);
  });
});

describe('GVMMR0SchedWakeUp', () => {
  it('wakes a halted EMT (VINF_SUCCESS); its halt ends signalled, not timed out', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    const { woken, halt } = halter(rig);
    halt(vm, 1, 500_000_000);
    rig.advanceTo(3_000);
    expect(rig.gvmm.schedWakeUp(vm.handle, 1)).toBe(VINF_SUCCESS);
    expect(woken).toEqual(['1.1@3000']);
    expect(rig.gvmm.schedHaltDone(vm.handle, 1)).toBe(VINF_SUCCESS);
    rig.advanceTo(600_000_000); // the timer is gone with the halt
    expect(woken).toHaveLength(1);
    const s = stats(rig, vm);
    expect([s.cWakeUpCalls, s.cWakeUpNotHalted, s.cHaltTimeouts]).toEqual([1, 0, 0]);
  });

  it('VINF_GVM_NOT_BLOCKED when not halted, but signals anyway: the next halt returns at once, then sleeps again', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    const { woken, halt } = halter(rig);
    expect(rig.gvmm.schedWakeUp(vm.handle, 1)).toBe(VINF_GVM_NOT_BLOCKED);
    expect(stats(rig, vm).cWakeUpNotHalted).toBe(1);
    // The EMT was about to block: the pending signal wakes it at once.
    expect(halt(vm, 1, 50_000_000)).toBe(GVMM_HALT_BLOCKED);
    expect(woken).toEqual(['1.1@0']);
    expect(rig.gvmm.schedHaltDone(vm.handle, 1)).toBe(VINF_SUCCESS); // and the event is reset
    expect(halt(vm, 1, 50_000_000)).toBe(GVMM_HALT_BLOCKED);
    expect(woken).toHaveLength(1);
  });

  it('VERR_INVALID_CPU_ID for a vCPU that does not exist', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    expect(rig.gvmm.schedWakeUp(vm.handle, 2)).toBe(VERR_INVALID_CPU_ID);
    expect(rig.gvmm.schedPoke(vm.handle, -1)).toBe(VERR_INVALID_CPU_ID);
  });
});

describe('GVMMR0SchedPoke', () => {
  it.each(['STOPPED', 'STARTED', 'STARTED_HALTED', 'STARTED_EXEC_NEM'])('%s: VINF_GVM_NOT_BUSY_IN_GC, no IPI', (state) => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    vm.cpuStates[1] = state;
    expect(rig.gvmm.schedPoke(vm.handle, 1)).toBe(VINF_GVM_NOT_BUSY_IN_GC);
    expect(vm.pokes).toEqual([]);
    expect([stats(rig, vm).cPokeCalls, stats(rig, vm).cPokeNotBusy]).toEqual([1, 1]);
  });

  it('STARTED_EXEC: the IPI goes out, VINF_SUCCESS', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    vm.cpuStates[1] = 'STARTED_EXEC';
    expect(rig.gvmm.schedPoke(vm.handle, 1)).toBe(VINF_SUCCESS);
    expect(vm.pokes).toEqual([1]);
    expect([stats(rig, vm).cPokeCalls, stats(rig, vm).cPokeNotBusy]).toEqual([1, 0]);
  });
});

describe('GVMMR0SchedPoll', () => {
  it('yielding is VERR_NOT_IMPLEMENTED; without it, early wake-ups run and are counted', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(2);
    const { woken, halt } = halter(rig);
    expect(rig.gvmm.schedPoll(vm.handle, 0, vm.emt(0), true)).toBe(VERR_NOT_IMPLEMENTED);
    halt(vm, 1, 100_000);
    rig.sched.clock.advanceTo(60_000); // within EarlyWakeUp2 (50 µs) of the expiry
    expect(rig.gvmm.schedPoll(vm.handle, 0, vm.emt(0), false)).toBe(VINF_SUCCESS);
    expect(woken).toEqual(['1.1@60000']);
    const s = stats(rig, vm);
    expect([s.cPollCalls, s.cPollWakeUps, s.cPollHalts]).toEqual([1, 1, 0]);
    expect(rig.gvmm.schedPoll(vm.handle, 0, vm.emt(1), false)).toBe(VERR_NOT_OWNER);
  });

  it('with early wake-ups off it neither counts nor wakes', () => {
    const rig = gvmmRig({ config: { '/GVMM/EarlyWakeUp1': 0 } });
    const vm = rig.addVm(2);
    expect(rig.gvmm.schedPoll(vm.handle, 0, vm.emt(0), false)).toBe(VINF_SUCCESS);
    expect(stats(rig, vm).cPollCalls).toBe(0);
  });
});

describe('GVMMR0SchedWakeUpAndPokeCpus', () => {
  it('goes from the highest vCPU down, skips the caller, wakes the sleep set and pokes the rest of the poke set', () => {
    const rig = gvmmRig();
    const vm = rig.addVm(4);
    const { woken, halt } = halter(rig);
    halt(vm, 1, 900_000_000);
    halt(vm, 3, 900_000_000);
    vm.cpuStates = ['STARTED_EXEC', 'STARTED_HALTED', 'STARTED_EXEC', 'STARTED_HALTED'];
    expect(rig.gvmm.wakeUpAndPokeCpus(vm.handle, vm.emt(2), [0, 1, 3], [0, 1, 2])).toBe(VINF_SUCCESS);
    expect(woken).toEqual(['1.3@0', '1.1@0']);
    expect(vm.pokes).toEqual([]); // 2 is the caller; 0 and 1 are in the sleep set
    const s = stats(rig, vm);
    expect([s.cWakeUpCalls, s.cWakeUpNotHalted, s.cPokeCalls]).toEqual([3, 1, 0]);
    expect(rig.gvmm.wakeUpAndPokeCpus(vm.handle, vm.emt(3), [], [0, 2, 3])).toBe(VINF_SUCCESS);
    expect(vm.pokes).toEqual([2, 0]);
  });
});

describe('gvmmR0SchedDoWakeUps (early wake-ups in three rounds)', () => {
  /** vCPUs 1..3 halted at expiries now + 10 µs (round 2), + 40 µs (round 3) and + 100 µs (beyond EW2). */
  function scene(wakeUpIndex: 'scan' | 'heap', fidelity: 'intended' | 'as-written') {
    const rig = gvmmRig({ wakeUpIndex, fidelity });
    const vm = rig.addVm(5);
    const { woken, halt } = halter(rig);
    rig.advanceTo(1_000_000);
    for (const [cpu, delta] of [[1, 100_000], [2, 140_000], [3, 200_000]] as const) halt(vm, cpu, 1_000_000 + delta);
    rig.sched.clock.advanceTo(1_100_000 - 10_000); // 10 µs before the first expiry
    return { rig, vm, woken, halt };
  }

  it.each(['scan', 'heap'] as const)('%s, intended: wakes every expiry within EW2 (rounds 2 and 3) and keeps the next one', (index) => {
    const { rig, vm, woken, halt } = scene(index, 'intended');
    expect(halt(vm, 0, 5_000_000)).toBe(GVMM_HALT_BLOCKED);
    // now = 1.09 ms: 1.10 (≤ now + 25 µs) and 1.14 (≤ now + 50 µs) go; 1.20 stays.
    expect(woken.sort()).toEqual(['1.1@1090000', '1.2@1090000']);
    expect(stats(rig, vm).cHaltWakeUps).toBe(2);
    // u64Min of what is left (1.20 ms) went into uNsNextEmtWakeup; EMT0's own 5 ms then did not lower it.
    expect(rig.gvmm.uNsNextEmtWakeup).toBe(1_200_000);
  });

  it.each(['scan', 'heap'] as const)('%s, intended: round 1 wakes expiries already past', (index) => {
    const { rig, vm, woken } = scene(index, 'intended');
    rig.sched.clock.advanceTo(1_300_000);
    expect(rig.gvmm.schedPoll(vm.handle, 4, vm.emt(4), false)).toBe(VINF_SUCCESS);
    expect(woken.sort()).toEqual(['1.1@1300000', '1.2@1300000', '1.3@1300000']);
    expect(rig.gvmm.uNsNextEmtWakeup).toBe(NS_NEVER);
  });

  it.each(['scan', 'heap'] as const)('%s, intended: nothing due within EW2, the quick check skips the pass', (index) => {
    const rig = gvmmRig({ wakeUpIndex: index });
    const vm = rig.addVm(3);
    const { woken, halt } = halter(rig);
    halt(vm, 1, 1_100_000);
    expect(rig.gvmm.uNsNextEmtWakeup).toBe(0); // 0: to be recalculated by the next pass
    rig.gvmm.schedPoll(vm.handle, 2, vm.emt(2), false);
    expect(rig.gvmm.uNsNextEmtWakeup).toBe(1_100_000);
    // On the class (the scan index is one frozen instance every GVMM shares).
    const passes = vi.spyOn(Object.getPrototypeOf(rig.gvmm.schedOps.index) as typeof rig.gvmm.schedOps.index, 'pass');
    rig.sched.clock.advanceTo(1_049_999); // now + 50 µs < 1.10 ms
    rig.gvmm.schedPoll(vm.handle, 2, vm.emt(2), false);
    expect(passes).toHaveBeenCalledTimes(0);
    rig.sched.clock.advanceTo(1_050_000); // now + 50 µs = 1.10 ms: due
    rig.gvmm.schedPoll(vm.handle, 2, vm.emt(2), false);
    expect(passes).toHaveBeenCalledTimes(1);
    expect(woken).toEqual(['1.1@1050000']);
    expect(stats(rig, vm).cPollCalls).toBe(3);
    passes.mockRestore();
  });

  it.each(['scan', 'heap'] as const)(
    '%s, as written: uNsNextEmtWakeup starts at 0 and the inverted quick check skips every pass',
    (index) => {
      const { rig, vm, woken, halt } = scene(index, 'as-written');
      expect(halt(vm, 0, 5_000_000)).toBe(GVMM_HALT_BLOCKED);
      rig.sched.clock.advanceTo(1_300_000);
      expect(rig.gvmm.schedPoll(vm.handle, 4, vm.emt(4), false)).toBe(VINF_SUCCESS);
      expect(woken).toEqual([]);
      expect(stats(rig, vm).cHaltWakeUps + stats(rig, vm).cPollWakeUps).toBe(0);
      expect(rig.gvmm.uNsNextEmtWakeup).toBe(0);
    },
  );

  it.each(['scan', 'heap'] as const)('%s: the round-1 minimum quirk (as written u64Min never moves)', (index) => {
    for (const fidelity of ['intended', 'as-written'] as const) {
      const { rig } = scene(index, fidelity);
      const wake = () => true;
      const result = rig.gvmm.schedOps.index.pass(rig.gvmm.schedOps.table, 1_000_000, 25_000, 50_000, fidelity === 'as-written', wake);
      expect(result).toEqual({ woken: 0, minNs: fidelity === 'as-written' ? NS_NEVER : 1_100_000 });
    }
  });

  it('with early wake-ups off, nothing is woken early', () => {
    const rig = gvmmRig({ config: { '/GVMM/EarlyWakeUp2': 0 } });
    const vm = rig.addVm(3);
    const { woken, halt } = halter(rig);
    halt(vm, 1, 100_000);
    rig.sched.clock.advanceTo(99_000);
    halt(vm, 0, 10_000_000);
    expect(woken).toEqual([]);
    expect(stats(rig, vm).cHaltWakeUps).toBe(0);
  });
});

describe('GVMMR0QueryStatistics / GVMMR0ResetStatistics', () => {
  it('keeps StatsSched per VM, sums the live VMs, and resets the fields a template marks', () => {
    const rig = gvmmRig();
    const [a, b] = [rig.addVm(2), rig.addVm(2)];
    const { halt } = halter(rig);
    halt(a, 1, 100_000_000);
    rig.gvmm.schedWakeUp(a.handle, 1);
    rig.gvmm.schedWakeUp(b.handle, 0);
    rig.gvmm.schedPoke(b.handle, 1);
    const q = rig.gvmm.queryStatistics(a.handle);
    expect([q.schedVM!.cHaltCalls, q.schedVM!.cWakeUpCalls, q.schedVM!.cPokeCalls]).toEqual([1, 1, 0]);
    expect([q.schedSum.cHaltCalls, q.schedSum.cWakeUpCalls, q.schedSum.cWakeUpNotHalted, q.schedSum.cPokeCalls]).toEqual([1, 2, 1, 1]);
    expect([q.cVMs, q.cEMTs, q.cHaltedEMTs]).toEqual([2, 4, 1]);
    rig.gvmm.resetStatistics({ schedVM: { cWakeUpCalls: 1 } }, a.handle);
    expect(rig.gvmm.queryStatistics(a.handle).schedVM!.cWakeUpCalls).toBe(0);
    expect(rig.gvmm.queryStatistics(a.handle).schedVM!.cHaltCalls).toBe(1);
    rig.gvmm.resetStatistics({ schedSum: { cHaltCalls: 1, cPokeCalls: 7 } });
    const after = rig.gvmm.queryStatistics().schedSum;
    expect([after.cHaltCalls, after.cPokeCalls, after.cWakeUpCalls]).toEqual([0, 0, 1]);
  });
});
