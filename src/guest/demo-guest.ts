/**
 * The built-in demo guest (the guest-execution hook): each vCPU runs a time slice of guest code (vCPU i a
 * little longer than vCPU i-1), then halts until its next timer tick, the way an idle OS kernel does. Every
 * few halts a vCPU first sends an inter-processor interrupt to the next one (VMCPU_FF_INTERRUPT_APIC through
 * VMR3NotifyCpuFF with DONE_REM | POKE, as the APIC does), which wakes that vCPU from its halt early or pokes
 * it out of guest code. A vCPU takes its
 * pending interrupts when it next runs guest code. Enough to make virtual time, vCPU states and the halt
 * method's wake-ups move. While it runs it dirties the VM's simulated RAM at the rate set with
 * `create({ ram: { dirtyBytesPerSec } })`.
 */
import type { EmtHooks, GuestAction, GuestContext } from '../vmm/emt.js';
import {
  VMCPU_FF_INTERRUPT_APIC, VMCPU_FF_INTERRUPT_NMI, VMCPU_FF_INTERRUPT_PIC, VMCPU_FF_TIMER, VMCPU_FF_UNHALT,
  VMNOTIFYFF_FLAGS_DONE_REM, VMNOTIFYFF_FLAGS_POKE,
} from '../vmm/ff.js';
import { raiseCpuInterrupt } from '../vmm/halt/notify.js';
import { guestRamOf } from '../ssm/vm-units.js';

export interface DemoGuestOptions {
  /** Guest code per slice of vCPU 0 (GIP ns); vCPU i runs `sliceStepNs` × (i mod 8) longer. */
  sliceNs?: number;
  sliceStepNs?: number;
  /** Timer period: a halted vCPU wakes at the next multiple of this. */
  tickNs?: number;
  /** Every n-th halt of a vCPU sends an IPI to the next vCPU first; 0 never. */
  ipiEvery?: number;
}

/** What the demo guest counted, per VM handle and vCPU. */
export interface DemoGuestCounters {
  slices: number;
  halts: number;
  ipisSent: number;
  interruptsTaken: number;
}

const INTERRUPTS = VMCPU_FF_INTERRUPT_APIC | VMCPU_FF_INTERRUPT_PIC | VMCPU_FF_INTERRUPT_NMI | VMCPU_FF_TIMER | VMCPU_FF_UNHALT;

export function demoGuest(
  options: DemoGuestOptions = {},
): Required<Pick<EmtHooks, 'executeGuest'>> & { counters(handle: number): DemoGuestCounters[] } {
  const sliceNs = options.sliceNs ?? 200_000;
  const sliceStepNs = options.sliceStepNs ?? 100_000;
  const tickNs = options.tickNs ?? 1_000_000;
  const ipiEvery = options.ipiEvery ?? 4;
  const perCpu = new Map<string, DemoGuestCounters & { ranSlice: boolean }>();
  const countersOf = (ctx: GuestContext) => {
    const key = `${ctx.vm.handle}.${ctx.cpu}`;
    let c = perCpu.get(key);
    if (!c) perCpu.set(key, (c = { slices: 0, halts: 0, ipisSent: 0, interruptsTaken: 0, ranSlice: false }));
    return c;
  };
  return {
    executeGuest(ctx: GuestContext): GuestAction {
      const c = countersOf(ctx);
      // The running guest writes its RAM at the VM's dirty rate (what a live save has to chase).
      guestRamOf(ctx.vm)?.guestRan(ctx.nowNs);
      // Take pending interrupts (the guest's handlers run as part of the next slice).
      const pending = ctx.vm.cpuFF[ctx.cpu]! & INTERRUPTS;
      if (pending !== 0) {
        ctx.vm.cpuFF[ctx.cpu]! &= ~INTERRUPTS;
        c.interruptsTaken++;
      }
      // Alternate: a slice of guest code, then HLT until the next tick.
      if (!c.ranSlice || pending !== 0) {
        c.ranSlice = true;
        c.slices++;
        return { kind: 'run', ns: sliceNs + sliceStepNs * (ctx.cpu % 8) };
      }
      c.ranSlice = false;
      c.halts++;
      if (ipiEvery > 0 && ctx.vm.cCpus > 1 && c.halts % ipiEvery === 0) {
        c.ipisSent++;
        raiseCpuInterrupt(ctx.vm, (ctx.cpu + 1) % ctx.vm.cCpus, VMCPU_FF_INTERRUPT_APIC, VMNOTIFYFF_FLAGS_DONE_REM | VMNOTIFYFF_FLAGS_POKE);
      }
      return { kind: 'halt', untilNs: (Math.floor(ctx.nowNs / tickNs) + 1) * tickNs };
    },
    counters(handle: number): DemoGuestCounters[] {
      const out: DemoGuestCounters[] = [];
      for (const [key, { slices, halts, ipisSent, interruptsTaken }] of perCpu) {
        const [h, cpu] = key.split('.').map(Number) as [number, number];
        if (h === handle) out[cpu] = { slices, halts, ipisSent, interruptsTaken };
      }
      return out;
    },
  };
}
