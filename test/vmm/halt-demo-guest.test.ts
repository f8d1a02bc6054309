/**
 * The demo guest on the halt methods (issue 3, deliverable 7): vCPUs run slices, halt until a timer tick, and
 * are woken early by inter-processor interrupts raised through VMR3NotifyCpuFF (DONE_REM | POKE, as the APIC
 * does); `vmm-actors demo` prints the halt / wake-up statistics.
 *
 * Method: the demo guest on a seeded deterministic engine; every interrupt sent is taken; the interrupts that
 * found their target halted ended the halt before the tick (GVMM wake-ups), the others poked it out of guest
 * code (GVMM pokes). The CLI demo runs in-process with its output collected.
 */
import { describe, expect, it } from 'vitest';
import { createVMM } from '../../src/index.js';
import { demoGuest } from '../../src/guest/demo-guest.js';
import { runDemo } from '../../src/cli/commands/demo.js';
import { queryHaltStats } from '../../src/vmm/halt/state.js';

describe('demo guest: IPIs through VMR3NotifyCpuFF', () => {
  it.each([1, 2, 3])('seed %i: every IPI is taken; halted targets wake before their tick, running ones are poked', async (seed) => {
    const guest = demoGuest({ ipiEvery: 2 });
    const vmm = createVMM({ seed, hooks: guest });
    const vm = await vmm.create({ cpus: 3, config: { NumCPUs: 3 } });
    const early: number[] = [];
    vm.events$.subscribe((e) => {
      if (e.kind === 'cpu-state' && e.from === 'STARTED_HALTED' && e.tNs % 1_000_000 !== 0) early.push(e.cpu);
    });
    await vm.powerOn();
    await vmm.advance(20_000_000);
    await vm.powerOff();
    const counters = guest.counters(vm.handle);
    const sent = counters.reduce((n, c) => n + c.ipisSent, 0);
    const taken = counters.reduce((n, c) => n + c.interruptsTaken, 0);
    expect(sent).toBeGreaterThan(10);
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThanOrEqual(sent); // two IPIs before the target runs are one pending flag
    const sched = vmm.gvmm.queryStatistics(vm.handle).schedVM!;
    const halt = queryHaltStats(vm.core).total;
    expect(early.length).toBeGreaterThan(0);
    expect(halt.cNotifyWakeUps + halt.cNotifyPokes).toBeGreaterThanOrEqual(sent);
    expect(sched.cPokeCalls).toBe(halt.cNotifyPokes);
    expect(sched.cPokeCalls - sched.cPokeNotBusy).toBeGreaterThan(0);
    vmm.dispose();
  });
});

describe('vmm-actors demo', () => {
  it('prints the halt / wake-up statistics after power-off', async () => {
    const lines: string[] = [];
    expect(await runDemo({ cpus: 2, seed: 7, clock: 'virtual', quiet: true }, (l) => lines.push(l))).toBe(0);
    const at = lines.findIndex((l) => l.startsWith('halt / wake-up statistics of vm.1'));
    expect(lines[at]).toContain("halt method GLOBAL_1, GVMM index 'heap'");
    expect(lines.slice(at + 1, at + 6).map((l) => l.trim().split(' ')[0])).toEqual(['halt', 'wake-up', 'poke', 'poll', 'EMTs']);
    expect(lines[at + 1]).toMatch(/calls [1-9]\d*, blocking [1-9]/);
    expect(lines.slice(at + 6, at + 8).map((l) => l.trim().split(' ')[0])).toEqual(['cpu.0', 'cpu.1']);
  });
});
