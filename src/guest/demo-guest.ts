/**
 * The built-in demo guest (the guest-execution hook): each vCPU runs a time slice of guest code, then halts
 * until its next timer tick, the way an idle OS kernel does. Enough to make virtual time and vCPU states move.
 */
import type { EmtHooks, GuestAction, GuestContext } from '../vmm/emt.js';

export interface DemoGuestOptions {
  /** Guest code per slice (GIP ns). */
  sliceNs?: number;
  /** Timer period: a halted vCPU wakes at the next multiple of this. */
  tickNs?: number;
}

export function demoGuest(options: DemoGuestOptions = {}): Required<Pick<EmtHooks, 'executeGuest'>> {
  const sliceNs = options.sliceNs ?? 200_000;
  const tickNs = options.tickNs ?? 1_000_000;
  const ranSlice = new Map<string, boolean>();
  return {
    executeGuest(ctx: GuestContext): GuestAction {
      const key = `${ctx.vm.handle}.${ctx.cpu}`;
      // Alternate: a slice of guest code, then HLT until the next tick.
      if (!ranSlice.get(key)) {
        ranSlice.set(key, true);
        return { kind: 'run', ns: sliceNs };
      }
      ranSlice.set(key, false);
      return { kind: 'halt', untilNs: (Math.floor(ctx.nowNs / tickNs) + 1) * tickNs };
    },
  };
}
