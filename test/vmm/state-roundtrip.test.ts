/**
 * A VM caught between any two steps of a call — a request waiting on another CPU, each rendezvous type, an ALL
 * walk, a soft reset, a fatal runtime error, a destroy — is restored from its snapshot (through JSON) and goes
 * on exactly as the original (issue 12, "Tests": the pair test, for the VMM area's protocols).
 *
 * Method: an original engine starts one call and takes k steps (k over the call's whole length); its snapshot,
 * through JSON text, is restored with the same-named embedder functions. Both then run until idle. Expected,
 * from the original's own run: the same VM trace events after the snapshot (kinds, edges, CPUs, GIP times), the
 * same final VM state, and the call's answer — the original's promise settles with it, and the restored engine,
 * whose promise stayed behind, reports it in restoredCalls (never throws, never loses it).
 */
import { describe, expect, it } from 'vitest';
import { createVMM, VMSETRTERR_FLAGS_FATAL, type EmtContext, type EmtResult, type VM, type Vmm, type VmmOptions, type VmTraceEvent } from '../../src/index.js';
import type { DeterministicScheduler } from '../../src/sched/deterministic.js';

const SEED = 4242;

/** The embedder's functions, by name (what a snapshot writes for them; the restore gets the same names). */
function functions(log: string[]) {
  const onAll = ({ cpu }: EmtContext): EmtResult => void log.push(`all on ${cpu}`);
  const inner = ({ cpu }: EmtContext): EmtResult => void log.push(`inner on ${cpu}`);
  const afterInner = (rc: number): EmtResult => (log.push(`after inner ${rc}`), rc);
  const outer = (ctx: EmtContext): EmtResult => ctx.reqCallWait(0, inner, [], afterInner);
  const rendezvous = ({ cpu }: EmtContext): void => void log.push(`rendezvous on ${cpu}`);
  return { onAll, inner, afterInner, outer, rendezvous };
}
type Fns = ReturnType<typeof functions>;

/** The calls, each started on a powered-on 3-vCPU VM. */
const CALLS: Record<string, (vm: VM, f: Fns) => Promise<unknown>> = {
  'request waiting on another CPU': (vm, f) => vm.reqCallWait(2, f.outer),
  'ALL walk': (vm, f) => vm.reqCallWait('all', f.onAll),
  'ALL_REVERSE walk': (vm, f) => vm.reqCallWait('all-reverse', f.onAll),
  'one-by-one rendezvous': (vm, f) => vm.emtRendezvous({ type: 'one-by-one' }, f.rendezvous),
  'all-at-once rendezvous': (vm, f) => vm.emtRendezvous({ type: 'all-at-once' }, f.rendezvous),
  'once rendezvous': (vm, f) => vm.emtRendezvous({ type: 'once' }, f.rendezvous),
  'ascending rendezvous': (vm, f) => vm.emtRendezvous({ type: 'ascending' }, f.rendezvous),
  'suspend': (vm) => vm.suspend(),
  'soft reset': (vm) => vm.softReset(),
  'fatal runtime error': (vm) => vm.setRuntimeError(VMSETRTERR_FLAGS_FATAL, 'test', 'fatal'),
  'destroy': (vm) => vm.destroy(),
};
/** What a call needs first (VMR3Destroy: the VM OFF). */
const PREPARE: Record<string, (vm: VM) => Promise<unknown>> = { destroy: (vm) => vm.powerOff() };

const text = (e: VmTraceEvent) => `${e.kind} ${'from' in e ? `${String(e.from)}>${String(e.to)}` : ''} ${'cpu' in e ? String(e.cpu) : ''} @${e.tNs}`;

async function poweredOn(options: VmmOptions): Promise<{ vmm: Vmm; vm: VM }> {
  const vmm = createVMM({ seed: SEED, ...options });
  const vm = await vmm.create({ cpus: 3 });
  await vm.powerOn();
  return { vmm, vm };
}

/** The original, `k` steps into `call`; its JSON snapshot restored. Both run to the end. */
async function pair(name: string, k: number) {
  const call = CALLS[name]!;
  const logA: string[] = [];
  const fA = functions(logA);
  const { vmm: original, vm } = await poweredOn({ functions: fA });
  await PREPARE[name]?.(vm);
  const answer = call(vm, fA).then((rc) => rc, (e: { rc: number }) => `rejected ${e.rc}`);
  const taken = (original.sched as DeterministicScheduler).runSync(false, k);
  const snapshot = JSON.parse(JSON.stringify(original.getPersistedSnapshot()));
  const logB: string[] = [];
  const copy = createVMM({ snapshot, functions: functions(logB) });
  const stateAtSnapshot = vm.state;
  const restoredVm = copy.vms.has(vm.handle);
  const [eventsA, eventsB] = [[] as string[], [] as string[]];
  vm.events$.subscribe((e) => eventsA.push(text(e)));
  const unclaimed: number[] = [];
  copy.vms.get(vm.handle)?.events$.subscribe((e) => (e.kind === 'call-unclaimed' ? unclaimed.push(e.rc) : eventsB.push(text(e))));
  const logBefore = logA.length;
  const rcA = await answer;
  await original.runUntilIdle();
  await copy.runUntilIdle();
  const result = { taken, rcA, eventsA, eventsB, logA: logA.slice(logBefore), logB, stateAtSnapshot, restoredVm, unclaimed, copy, original };
  return result;
}

describe('a VM restored between any two steps of a call goes on as the original', () => {
  for (const name of Object.keys(CALLS)) {
    it(`${name}: at every step`, async () => {
      let k = 0;
      let carried = 0;
      const unreported: boolean[] = []; // per snapshot with the call not over: its answer was not reported
      for (; k < 200; k++) {
        const r = await pair(name, k);
        const over = r.taken < k; // the call was over before the snapshot
        try {
          // A VM destroyed at snapshot time is in no engine's vms (its last sweep still runs on the destroying thread).
          if (r.restoredVm) expect(r.eventsB, `events after ${k} steps`).toEqual(r.eventsA);
          else expect(r.stateAtSnapshot).toBe('TERMINATED');
          expect(r.logB, `callbacks after ${k} steps`).toEqual(r.logA);
          expect(r.copy.vms.get(1)?.state ?? 'gone').toBe(r.original.vms.get(1)?.state ?? 'gone');
          // The call's answer: the original's promise; the restored engine reports it (its promise stayed behind).
          const reported = r.copy.restoredCalls.map((c) => (typeof c.result === 'number' ? c.result : `rejected ${(c.result as unknown as { rc: number }).rc}`));
          // The VM's events tell it too (destroy answers after the VM's streams completed).
          if (r.restoredVm && name !== 'destroy') expect(r.unclaimed).toEqual(r.copy.restoredCalls.map((c) => (typeof c.result === 'number' ? c.result : (c.result as unknown as { rc: number }).rc)));
          // None when the original settled it within the k steps (its last step may settle it).
          // Over before the snapshot: nothing to report; else the restored engine reports the answer, or nothing
          // when the original's k-th step settled it (checked below: only the last steps before the end may).
          if (over) expect(reported, `restored calls after ${k} steps`).toEqual([]);
          else expect([[], [r.rcA]], `restored calls after ${k} steps`).toContainEqual(reported);
          if (!over) unreported.push(reported.length === 0);
          if (reported.length > 0) carried++;
        } finally {
          r.original.dispose();
          r.copy.dispose();
        }
        if (over) break; // every step of the call was covered
      }
      expect(k).toBeGreaterThan(3);
      expect(carried).toBeGreaterThan(2); // snapshots with the call pending, answered by the restored engine
      // A call pending at the snapshot is never dropped: the snapshots with nothing to report are the last ones,
      // taken after the original's step that settled it.
      const firstQuiet = unreported.indexOf(true);
      if (firstQuiet >= 0) expect(unreported.slice(firstQuiet).every(Boolean), `reported again after step ${firstQuiet}`).toBe(true);
    });
  }
});
