/**
 * Virtual time that costs nothing while idle (issue 3, deliverable 4): four vCPUs that halt until the next
 * 1 ms tick, for 10 simulated seconds, wake exactly 40,000 times — the clock jumps from deadline to deadline
 * because every halted EMT sleeps on a scheduler timer. Same counts with the 'scan' and 'heap' indexes.
 *
 * Method: a guest that always halts until the next tick; wake-ups are counted from the vCPU leaving
 * STARTED_HALTED; GVMM's counters split them into timeouts and early wake-ups. No wall-clock assertion here:
 * bench/gvmm-idle.ts measures how long the 10 simulated seconds take.
 */
import { describe, expect, it } from 'vitest';
import { createVMM } from '../../src/index.js';
import { queryHaltStats } from '../../src/vmm/halt/state.js';

const TICK_NS = 1_000_000;
const SIMULATED_NS = 10_000_000_000;

describe('VMR3WaitHalted on GLOBAL_1: halted vCPUs on virtual time', () => {
  it.each(['heap', 'scan'] as const)('10 s of four vCPUs waking every 1 ms: 40,000 wake-ups (%s)', async (wakeUpIndex) => {
    const vmm = createVMM({
      gvmm: { wakeUpIndex },
      hooks: { executeGuest: (ctx) => ({ kind: 'halt', untilNs: (Math.floor(ctx.nowNs / TICK_NS) + 1) * TICK_NS }) },
    });
    const vm = await vmm.create({ cpus: 4, config: { NumCPUs: 4 } });
    const wakeUps = [0, 0, 0, 0];
    vm.events$.subscribe((e) => {
      if (e.kind === 'cpu-state' && e.from === 'STARTED_HALTED') wakeUps[e.cpu]!++;
    });
    await vm.powerOn();
    const before = vmm.gvmm.queryStatistics(vm.handle).schedVM!;
    // Half a tick past 10 s, so the last deadline (10,000 ms) is inside the run and no tie decides.
    await vmm.advance(SIMULATED_NS + TICK_NS / 2);
    expect(wakeUps).toEqual([10_000, 10_000, 10_000, 10_000]);
    expect(vmm.clock.nowNs()).toBe(SIMULATED_NS + TICK_NS / 2);
    const after = vmm.gvmm.queryStatistics(vm.handle).schedVM!;
    // Per tick: the first timer to fire ends one halt; that EMT's next SCHED_HALT wakes the other three early.
    expect(after.cHaltBlocking - before.cHaltBlocking).toBe(40_000);
    expect(after.cHaltTimeouts - before.cHaltTimeouts).toBe(10_000);
    expect(after.cHaltWakeUps - before.cHaltWakeUps).toBe(30_000);
    expect(after.cHaltNotBlocking).toBe(0);
    // VMR3WaitHalted's one-second averages: a halt every millisecond.
    const cpu0 = queryHaltStats(vm.core).cpus[0]!;
    expect(cpu0.haltFrequency).toBe(1_000);
    expect(cpu0.haltIntervalNs).toBe(1_000_000);
    await vm.powerOff();
    vmm.dispose();
  });

  it('with early wake-ups off every halt ends by its own timeout', async () => {
    const vmm = createVMM({
      gvmm: { config: { '/GVMM/EarlyWakeUp1': 0 } },
      hooks: { executeGuest: (ctx) => ({ kind: 'halt', untilNs: (Math.floor(ctx.nowNs / TICK_NS) + 1) * TICK_NS }) },
    });
    const vm = await vmm.create({ cpus: 4, config: { NumCPUs: 4 } });
    await vm.powerOn();
    const before = vmm.gvmm.queryStatistics(vm.handle).schedVM!;
    await vmm.advance(1_000 * TICK_NS + TICK_NS / 2);
    const after = vmm.gvmm.queryStatistics(vm.handle).schedVM!;
    expect(after.cHaltTimeouts - before.cHaltTimeouts).toBe(4_000);
    expect(after.cHaltWakeUps).toBe(0);
    vmm.dispose();
  });
});
