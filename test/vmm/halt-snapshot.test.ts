/**
 * A VM whose vCPUs are halted (VMR3WaitHalted through OLD, METHOD_1 or GLOBAL_1: on the ring-3 semaphore, in
 * GVMM, or spinning toward a deadline) goes through a snapshot of the whole engine — getPersistedSnapshot →
 * JSON → createVMM({ snapshot }), and copyGraph — and the restored engines continue exactly as the original:
 * the same events at the same GIP times (halts ending on their deadlines and on interrupts raised from
 * outside), the same halt and GVMM statistics (issue 12 "Snapshot and restore").
 *
 * Method: a guest that halts until the next 1 ms tick on every vCPU (a pure function, named as the embedder's);
 * snapshot 2.5 ms after power-on, then on each engine the same continuation: time passes, an interrupt is raised
 * on vCPU 1, time passes again.
 */
import { describe, expect, it } from 'vitest';
import { VMHALTMETHOD } from '../../machines/halt-method.js';
import type { PersistedVmm, Vmm, VmTraceEvent } from '../../src/index.js';
import { engine } from '../api/snapshot-support.js';
import { copyGraph } from '../../src/persist/graph.js';
import type { GuestContext, GuestAction } from '../../src/vmm/emt.js';
import { VMCPU_FF_INTERRUPT_APIC } from '../../src/vmm/ff.js';
import { raiseCpuInterrupt } from '../../src/vmm/halt/notify.js';
import { vmR3SetHaltMethodU } from '../../src/vmm/halt/set-method.js';
import { haltOf, queryHaltStats } from '../../src/vmm/halt/state.js';

const US = 1_000;
const MS = 1_000_000;

/**
 * Halt until the next 1 ms tick (vCPU 1 a little after: its halts start closer to their deadlines); an interrupt
 * is taken (the flag cleared) with a 50 µs slice of guest code.
 */
const tickGuest = (ctx: GuestContext): GuestAction => {
  if (ctx.vm.cpuFF[ctx.cpu]! & VMCPU_FF_INTERRUPT_APIC) {
    ctx.vm.cpuFF[ctx.cpu]! &= ~VMCPU_FF_INTERRUPT_APIC;
    return { kind: 'run', ns: 50 * US };
  }
  return { kind: 'halt', untilNs: (Math.floor(ctx.nowNs / MS) + 1) * MS + ctx.cpu * 40 * US };
};
const functions = { tickGuest };

/** The same continuation on any engine: what it emits and counts. */
async function continueRun(vmm: Vmm): Promise<string[]> {
  const core = [...vmm.vms.values()][0]!.core;
  const seen: string[] = [];
  core.listeners.add((e: VmTraceEvent) => {
    if (e.kind === 'cpu-state' || e.kind === 'state' || e.kind === 'halt-method') seen.push(`${e.tNs} ${e.kind} ${'cpu' in e ? e.cpu : ''} ${e.from}→${e.to}`);
  });
  await vmm.advance(300 * US);
  raiseCpuInterrupt(core, 1);
  await vmm.advance(3 * MS);
  const gvmm = vmm.gvmm.queryStatistics(core.handle);
  return [...seen, JSON.stringify(queryHaltStats(core)), JSON.stringify(gvmm)];
}

describe('a VM with halted vCPUs through a snapshot', () => {
  it.each(['OLD', 'METHOD_1', 'GLOBAL_1'] as const)('%s: JSON and in-memory copies continue as the original', async (method) => {
    const vmm = engine({ seed: 3, hooks: { executeGuest: tickGuest }, functions });
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
    await vm.reqCallWait('any', (ctx) => vmR3SetHaltMethodU(ctx.vm, VMHALTMETHOD[method]));
    await vm.powerOn();
    await vmm.advance(2_500 * US);
    // Not vacuous: a halt loop runs on some vCPU at the snapshot.
    expect(haltOf(vm.core).cpus.some((c) => c.active !== null)).toBe(true);

    const json = JSON.parse(JSON.stringify(vmm.getPersistedSnapshot())) as PersistedVmm;
    const fromJson = engine({ snapshot: json, functions });
    const copy = copyGraph(vmm, { userName: (fn) => vmm.functions.nameOf(fn) });

    const expected = await continueRun(vmm);
    expect(await continueRun(fromJson)).toEqual(expected);
    try {
      expect(await continueRun(copy)).toEqual(expected);
    } finally {
      copy.dispose();
    }
    expect(expected.filter((line) => line.includes('STARTED_HALTED→')).length).toBeGreaterThan(3);
  });
});
