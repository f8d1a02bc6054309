/**
 * The early wake-up index: our expiry heap must behave exactly like VirtualBox's full scan (vbox-facts.md
 * §9.3, issue "beyond VirtualBox"). Same random halt / wake-up / poke / poll / run / advance sequences on a
 * 'scan' GVMM and a 'heap' GVMM must wake the same vCPUs at the same virtual times, return the same statuses
 * and leave the same counters, uNsNextEmtWakeup and cHaltedEMTs after every operation — with both
 * fidelities and random early wake-up limits. Then the same for whole engines running the demo guest.
 *
 * Method: fast-check generates the VM shapes, the config and the operations; a small harness plays the EMTs
 * (running → blocked in GVMM → woken → running again through schedHaltDone).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoGuest } from '../../src/guest/demo-guest.js';
import { createVMM } from '../../src/api/vmm.js';
import { play, setupArb, type Setup } from './scan-heap-harness.js';

describe("early wake-ups: 'heap' ≡ 'scan'", () => {
  it('random halt / wake-up / poke / poll / run / advance sequences give the same wake-ups, statuses and counters', () => {
    fc.assert(
      fc.property(setupArb, (setup) => {
        expect(play('heap', setup)).toEqual(play('scan', setup));
      }),
      { numRuns: 500 },
    );
  });

  it('the property can fail: a heap that forgets round 3 differs from the scan', () => {
    const setup: Setup = {
      cpus: [3], fidelity: 'intended', ew1: 10_000, ew2: 50_000, minSleep: 0,
      ops: [
        { op: 'halt', vm: 0, cpu: 1, deltaNs: 40_000 },
        { op: 'halt', vm: 0, cpu: 0, deltaNs: 900_000 },
      ],
    };
    const scan = play('scan', setup);
    // Same run with EW2 = EW1: what an index without round 3 would do.
    const withoutRound3 = play('heap', { ...setup, ew2: 10_000 });
    expect(withoutRound3).not.toEqual(scan);
    expect(scan[1]).toContain('woken=[1.1@0]');
  });

  it('whole engines running the demo guest give the same events and GVMM statistics', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 4 }), async (seed, cpus) => {
        const run = async (wakeUpIndex: 'scan' | 'heap') => {
          const vmm = createVMM({ seed, gvmm: { wakeUpIndex }, hooks: demoGuest({ ipiEvery: 3 }) });
          const vm = await vmm.create({ cpus, config: { NumCPUs: cpus } });
          const events: string[] = [];
          vm.events$.subscribe((e) => events.push(JSON.stringify(e)));
          await vm.powerOn();
          await vmm.advance(20_000_000);
          const stats = vmm.gvmm.queryStatistics(vm.handle).schedVM;
          await vm.powerOff();
          vmm.dispose();
          return { events, stats };
        };
        const [scan, heap] = [await run('scan'), await run('heap')];
        expect(heap.stats).toEqual(scan.stats);
        expect(heap.events).toEqual(scan.events);
        expect(scan.stats!.cHaltBlocking).toBeGreaterThan(0);
      }),
      { numRuns: 6 },
    );
  });
});
