/**
 * VMR3WaitHalted, VMR3WaitU and VMR3NotifyCpuFF at run time (vbox-facts.md §3.3, §4.2): each method's halt
 * loop (GLOBAL_1 in GVMM, OLD's spin / yield / block table, METHOD_1's blocks and lag-driven spinning,
 * BOOTSTRAP), who a notification wakes (GVMM wake-up, ring-3 semaphore, a spinning loop, a poke out of guest
 * code), the halted masks with and without VMWAITHALTED_F_IGNORE_IRQS, idle waits, and a fatal wait error.
 *
 * Method: a scripted guest per vCPU on the deterministic scheduler; interrupts are raised from scheduler
 * timers at exact virtual times; the vCPU's STARTED_HALTED / STARTED_EXEC spans come from vm.events$, the
 * counts from GVMM's StatsSched and the halt statistics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VMHALTMETHOD } from '../../machines/halt-method.js';
import { createVMM, type Vmm, type VmTraceEvent } from '../../src/index.js';
import { VERR_VM_FATAL_WAIT_ERROR, VINF_SUCCESS } from '../../src/status.js';
import type { GuestAction, GuestContext } from '../../src/vmm/emt.js';
import {
  VMCPU_FF_INTERRUPT_APIC, VMCPU_FF_INTERRUPT_NMI, VMNOTIFYFF_FLAGS_DONE_REM, VMNOTIFYFF_FLAGS_POKE,
} from '../../src/vmm/ff.js';
import { raiseCpuInterrupt, VMR3NotifyGlobalFF } from '../../src/vmm/halt/notify.js';
import { vmR3SetHaltMethodU } from '../../src/vmm/halt/set-method.js';
import { GLOBAL1_RING0_PASS_NS } from '../../src/vmm/halt/halt-loops.js';
import { haltOf, queryHaltStats } from '../../src/vmm/halt/state.js';

const MS = 1_000_000;
const US = 1_000;

let engines: Vmm[] = [];
afterEach(() => {
  for (const vmm of engines) vmm.dispose();
  engines = [];
});

type Step = GuestAction | ((ctx: GuestContext) => GuestAction);

/**
 * A powered-on VM whose vCPU i runs `scripts[i]` (then 1 s slices), under halt method `method`.
 * `spans` lists "cpu:STATE@from-to" for every STARTED_HALTED and STARTED_EXEC span.
 */
async function scripted(cpus: number, scripts: Step[][], method = 'GLOBAL_1' as 'GLOBAL_1' | 'OLD' | 'METHOD_1' | 'BOOTSTRAP') {
  const next = scripts.map(() => 0);
  const vmm = createVMM({
    hooks: {
      executeGuest: (ctx) => {
        const step = scripts[ctx.cpu]?.[next[ctx.cpu]!++];
        // The guest takes its interrupts; one that has nothing left to do runs long slices.
        ctx.vm.cpuFF[ctx.cpu]! &= ~(VMCPU_FF_INTERRUPT_APIC | VMCPU_FF_INTERRUPT_NMI);
        if (!step) return { kind: 'run', ns: 1_000 * MS };
        return typeof step === 'function' ? step(ctx) : step;
      },
    },
  });
  engines.push(vmm);
  const vm = await vmm.create({ cpus, config: { NumCPUs: cpus } });
  if (method !== 'GLOBAL_1') await vm.reqCallWait('any', (ctx) => vmR3SetHaltMethodU(ctx.vm, VMHALTMETHOD[method]));
  const spans: string[] = [];
  const open = new Map<number, { state: string; from: number }>();
  vm.events$.subscribe((e: VmTraceEvent) => {
    if (e.kind !== 'cpu-state') return;
    if (e.to === 'STARTED_HALTED' || e.to === 'STARTED_EXEC') open.set(e.cpu, { state: e.to, from: e.tNs });
    else if (open.has(e.cpu) && e.from === open.get(e.cpu)!.state) {
      const s = open.get(e.cpu)!;
      spans.push(`${e.cpu}:${s.state === 'STARTED_HALTED' ? 'halt' : 'exec'}@${s.from / US}-${e.tNs / US}`);
      open.delete(e.cpu);
    }
  });
  await vm.powerOn();
  const sched = () => vmm.gvmm.queryStatistics(vm.handle).schedVM!;
  const at = (ns: number, fn: () => void) => vmm.sched.setTimer(ns, 'test/at', fn);
  return { vmm, vm, spans, sched, at, halt: () => queryHaltStats(vm.core) };
}

describe('GLOBAL_1 (vmR3HaltGlobal1Halt)', () => {
  it('blocks in GVMM when the deadline is past the threshold and ends on time', async () => {
    const { vmm, spans, halt } = await scripted(2, [[], [{ kind: 'halt', untilNs: 2 * MS }]]);
    await vmm.advance(5 * MS);
    expect(spans).toContain('1:halt@0-2000');
    expect(halt().cpus[1]).toMatchObject({ cHalts: 1, cTimerExpiries: 1, cBlocks: 1, cBlockOnTime: 1, cSpins: 0 });
  });

  it('spins below the 50 µs threshold (and helps GVMM with a poll on the first pass)', async () => {
    const { vmm, spans, sched, halt } = await scripted(2, [[], [{ kind: 'halt', untilNs: 30 * US }]]);
    await vmm.advance(1 * MS);
    expect(spans).toContain('1:halt@0-30');
    expect(halt().cpus[1]).toMatchObject({ cSpins: 1, cTimerExpiries: 1 });
    expect(sched().cPollCalls).toBe(1);
  });

  /**
   * vmR3HaltGlobal1Halt goes round after every ring-0 return: while the time left is at least the spin/block
   * threshold it calls SCHED_HALT again, so a halt GVMM will not sleep for (alone: under MinSleepAlone, 750 µs)
   * is one ring-0 call per pass until under the threshold (50 µs at 1 ms resolution), then a spin. Long halts
   * sleep in slices of GVMM's 1 s cap, one call each.
   */
  it.each([
    { why: 'under MinSleepAlone: a ring-0 call per pass, none sleeps, then a spin', untilUs: 500, sleeps: 0 },
    { why: 'just over the threshold: two calls, then a spin', untilUs: 51, sleeps: 0 },
    { why: 'over MinSleepAlone: one call that sleeps to the deadline', untilUs: 800, sleeps: 1 },
    { why: 'past the 1 s cap: a call per 1 s slice', untilUs: 2_500_000, sleeps: 3 },
  ])('alone (1 EMT), $untilUs µs — $why', async ({ untilUs, sleeps }) => {
    const counts = (ctx: GuestContext) => haltOf(ctx.vm).gvmm.queryStatistics(ctx.vm.handle).schedVM!;
    let before = { cHaltCalls: 0, cHaltNotBlocking: 0, cHaltBlocking: 0, cHaltTimeouts: 0 };
    const { vmm, vm, spans, sched, halt } = await scripted(1, [[
      (ctx) => {
        before = { ...counts(ctx) };
        return { kind: 'halt', untilNs: untilUs * US };
      },
    ]]);
    await vmm.advance(untilUs * US + 1 * MS);
    expect(spans[0]).toBe(`0:halt@0-${untilUs}`);
    const thresholdNs = haltOf(vm.core).global1ThresholdNs;
    expect(thresholdNs).toBe(50 * US);
    // Not sleeping: calls at 0, 1, 2 … passes while the time left is still at least the threshold.
    const busyCalls = sleeps === 0 ? Math.floor((untilUs * US - thresholdNs) / GLOBAL1_RING0_PASS_NS) + 1 : 0;
    const after = sched();
    const delta = (key: keyof typeof before) => after[key] - before[key];
    expect([delta('cHaltCalls'), delta('cHaltNotBlocking'), delta('cHaltBlocking'), delta('cHaltTimeouts')]).toEqual([sleeps + busyCalls, busyCalls, sleeps, sleeps]);
    expect(halt().cpus[0]).toMatchObject({ cSpins: sleeps === 0 ? 1 : 0, cBlocks: sleeps, cTimerExpiries: 1 });
  });

  it('a halt without deadline sleeps 1 s at a time in GVMM (the cap) until an interrupt', async () => {
    const { vmm, vm, spans, sched, at } = await scripted(2, [[], [{ kind: 'halt' }]]);
    at(2_500 * MS, () => raiseCpuInterrupt(vm.core, 1));
    await vmm.advance(3_000 * MS);
    expect(spans).toContain('1:halt@0-2500000');
    expect(sched().cHaltTimeouts).toBeGreaterThanOrEqual(2);
  });
});

describe('VMR3NotifyCpuFF: who wakes whom', () => {
  it.each(['GLOBAL_1', 'OLD', 'METHOD_1', 'BOOTSTRAP'] as const)('%s: an interrupt ends a 10 ms halt at once', async (method) => {
    const { vmm, vm, spans, sched, halt, at } = await scripted(2, [[], [{ kind: 'halt', untilNs: 10 * MS }]], method);
    const wakeUps = sched().cWakeUpCalls;
    at(3 * MS, () => raiseCpuInterrupt(vm.core, 1, VMCPU_FF_INTERRUPT_APIC, VMNOTIFYFF_FLAGS_DONE_REM));
    await vmm.advance(20 * MS);
    expect(spans).toContain('1:halt@0-3000');
    expect(halt().cpus[1]!.cNotifyWakeUps).toBeGreaterThanOrEqual(1);
    // GLOBAL_1 wakes through GVMM (SCHED_WAKE_UP), the others signal the EMT's semaphore.
    expect(sched().cWakeUpCalls - wakeUps).toBe(method === 'GLOBAL_1' ? 1 : 0);
  });

  it.each([
    { why: 'GLOBAL_1 with POKE: SCHED_POKE gets the vCPU out of guest code', method: 'GLOBAL_1', flags: VMNOTIFYFF_FLAGS_POKE, end: 2_000, pokes: 1 },
    { why: 'GLOBAL_1 without POKE: the slice runs to its end', method: 'GLOBAL_1', flags: 0, end: 10_000, pokes: 0 },
    { why: 'OLD with POKE: DefaultNotifyCpuFF pokes only NEM', method: 'OLD', flags: VMNOTIFYFF_FLAGS_POKE, end: 10_000, pokes: 0 },
  ] as const)('$why', async ({ method, flags, end, pokes }) => {
    const { vmm, vm, spans, sched, at } = await scripted(2, [[], [{ kind: 'run', ns: 10 * MS }]], method);
    at(2 * MS, () => raiseCpuInterrupt(vm.core, 1, VMCPU_FF_INTERRUPT_APIC, flags));
    await vmm.advance(20 * MS);
    expect(spans[0]).toBe(`1:exec@0-${end}`);
    expect(sched().cPokeCalls).toBe(pokes);
  });

  it('VMR3NotifyGlobalFF: a broadcast interrupt wakes every halted vCPU, CPU 0 first', async () => {
    const { vmm, vm, spans, at, halt } = await scripted(3, [[{ kind: 'halt', untilNs: 10 * MS }], [{ kind: 'halt', untilNs: 10 * MS }], [{ kind: 'halt', untilNs: 10 * MS }]]);
    const woken: number[] = [];
    vm.events$.subscribe((e) => {
      if (e.kind === 'cpu-state' && e.from === 'STARTED_HALTED') woken.push(e.cpu);
    });
    let before: number[] = [];
    at(4 * MS, () => {
      for (let cpu = 0; cpu < 3; cpu++) vm.core.cpuFF[cpu]! |= VMCPU_FF_INTERRUPT_APIC;
      before = halt().cpus.map((c) => c.cNotifyWakeUps);
      VMR3NotifyGlobalFF(vm.core);
    });
    await vmm.advance(20 * MS);
    expect(spans.filter((x) => x.includes('halt'))).toEqual(['0:halt@0-4000', '1:halt@0-4000', '2:halt@0-4000']);
    expect(woken).toEqual([0, 1, 2]);
    expect(halt().cpus.map((c, i) => c.cNotifyWakeUps - before[i]!)).toEqual([1, 1, 1]);
  });

  it('VMWAITHALTED_F_IGNORE_IRQS: an APIC interrupt does not end the halt, an NMI does', async () => {
    const { vmm, vm, spans, at } = await scripted(2, [[], [{ kind: 'halt', untilNs: 9 * MS, ignoreInterrupts: true }]]);
    at(2 * MS, () => raiseCpuInterrupt(vm.core, 1, VMCPU_FF_INTERRUPT_APIC));
    at(4 * MS, () => raiseCpuInterrupt(vm.core, 1, VMCPU_FF_INTERRUPT_NMI));
    await vmm.advance(20 * MS);
    expect(spans[0]).toBe('1:halt@0-4000');
  });

  it('a halted-mask flag already pending: VMR3WaitHalted returns at once, the vCPU never goes STARTED_HALTED', async () => {
    const { vmm, spans, halt } = await scripted(2, [[], [
      (ctx) => {
        ctx.vm.cpuFF[ctx.cpu]! |= VMCPU_FF_INTERRUPT_NMI;
        return { kind: 'halt', untilNs: 5 * MS };
      },
      { kind: 'run', ns: 1 * MS },
    ]]);
    await vmm.advance(3 * MS);
    expect(spans[0]).toBe('1:exec@0-1000');
    expect(halt().cpus[1]!.cHalts).toBe(0);
  });
});

describe('OLD (vmR3HaltOldDoHalt) and METHOD_1 (vmR3HaltMethod1Halt)', () => {
  /**
   * vCPU 1 halts 5 ms first: that halt's first block returns at once, on the semaphore signal power-on left
   * behind (an RTSemEvent keeps a signal nobody waited for). Then the measured halt runs from 5 ms.
   */
  async function measured(method: 'OLD' | 'METHOD_1', deadlineUs: number, setup?: (ctx: GuestContext) => void) {
    let before = queryHaltStatsZero();
    const rig = await scripted(2, [[], [
      { kind: 'halt', untilNs: 5 * MS },
      (ctx) => {
        before = queryHaltStats(ctx.vm).cpus[1]!;
        setup?.(ctx);
        return { kind: 'halt', untilNs: 5 * MS + deadlineUs * US };
      },
    ]], method);
    await rig.vmm.advance(30 * MS);
    const after = rig.halt().cpus[1]!;
    const delta = { cSpins: after.cSpins - before.cSpins, cYields: after.cYields - before.cYields, cBlocks: after.cBlocks - before.cBlocks };
    return { ...rig, delta };
  }
  const queryHaltStatsZero = () => ({ cSpins: 0, cYields: 0, cBlocks: 0 });

  it('a semaphore signal nobody waited for ends the next block at once (RTSemEvent auto-reset)', async () => {
    const { spans, halt } = await measured('OLD', 20);
    expect(spans[0]).toBe('1:halt@0-5000');
    expect(halt().cpus[1]!.cBlocks).toBe(3); // 4 ms at 0 (returned at once), 4 ms again, then 1 ms
  });

  it.each([
    { deadlineUs: 20, spins: 1, yields: 0, blocks: 0 },
    { deadlineUs: 500, spins: 0, yields: 1, blocks: 0 },
    { deadlineUs: 1_500, spins: 0, yields: 1, blocks: 1 }, // 1 ms block, then 0.5 ms left: yield
    { deadlineUs: 10_000, spins: 0, yields: 0, blocks: 2 }, // 9 ms, then 1 ms
  ])('OLD: a $deadlineUs µs halt spins $spins, yields $yields, blocks $blocks', async ({ deadlineUs, spins, yields, blocks }) => {
    const { spans, delta } = await measured('OLD', deadlineUs);
    expect(spans[1]).toBe(`1:halt@5000-${5_000 + deadlineUs}`);
    expect(delta).toEqual({ cSpins: spins, cYields: yields, cBlocks: blocks });
  });

  it('METHOD_1 without catch-up blocks min(ms left, 15) and at least 1 ms (so it oversleeps a 0.5 ms rest)', async () => {
    const { vm, spans, delta } = await measured('METHOD_1', 5_500);
    expect(spans[1]).toBe('1:halt@5000-11000');
    expect(delta).toEqual({ cSpins: 0, cYields: 0, cBlocks: 2 });
    expect(haltOf(vm.core).cpus[1]!.method1.cNSBlockedTooLong).toBe(500 * US);
  });

  it('METHOD_1 spins while TM catches up with a lag over StartSpinning', async () => {
    const { vm, spans, delta } = await measured('METHOD_1', 5_000, (ctx) => {
      haltOf(ctx.vm).virtualSync = { catchUpPct: 25, lagNs: 40 * MS };
    });
    expect(spans[1]).toBe('1:halt@5000-10000');
    expect(delta).toEqual({ cSpins: 1, cYields: 0, cBlocks: 0 });
    expect(haltOf(vm.core).cpus[1]!.method1.startSpinNs).toBe(5 * MS);
  });
});

describe('VMR3WaitU (idle EMTs)', () => {
  it('GLOBAL_1: idle EMTs halt in GVMM a second at a time; a request wakes one through SCHED_WAKE_UP', async () => {
    const vmm = createVMM();
    engines.push(vmm);
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
    const sched = () => vmm.gvmm.queryStatistics(vm.handle).schedVM!;
    expect(vmm.gvmm.cHaltedEMTs).toBe(2);
    await vmm.advance(3_500 * MS);
    expect(sched().cHaltTimeouts + sched().cHaltWakeUps).toBeGreaterThanOrEqual(6);
    const calls = sched().cWakeUpCalls;
    expect(await vm.reqCallWait(1, () => VINF_SUCCESS)).toBe(VINF_SUCCESS);
    expect(sched().cWakeUpCalls).toBeGreaterThan(calls);
    expect(queryHaltStats(vm.core).total.cWaits).toBeGreaterThanOrEqual(2);
  });

  it('an idle wait alone does not keep a held simulation going (its timeout is a daemon timer)', async () => {
    const vmm = createVMM();
    engines.push(vmm);
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
    const release = vmm.sched.hold();
    await vmm.runUntilIdle();
    expect(vmm.clock.nowNs()).toBe(0);
    release();
    expect(vm.state).toBe('CREATED');
  });

  it('a GVMM failure in the wait is fatal (vmR3FatalWaitError): VERR_VM_FATAL_WAIT_ERROR, the EMTs terminate', async () => {
    const vmm = createVMM();
    engines.push(vmm);
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
    const errors: number[] = [];
    vm.atError((rc) => errors.push(rc));
    // Behind the engine's back: EMT 1 is no longer the vCPU's EMT, so its next SCHED_HALT is VERR_NOT_OWNER.
    expect(vmm.gvmm.deregisterVCpu(vm.handle, 1, 'vm.1/emt.1')).toBe(VINF_SUCCESS);
    await vmm.advance(1_500 * MS);
    expect(errors).toEqual([VERR_VM_FATAL_WAIT_ERROR]);
    expect(vm.core.fTerminateEMT).toBe(true);
    expect(vm.core.emts.every((e) => e.terminated)).toBe(true);
    expect(vmm.gvmm.cVMs).toBe(0); // EMT(0) destroyed the VM in GVMM on its way out
  });
});
