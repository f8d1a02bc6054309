/**
 * vmm.getPersistedSnapshot() / createVMM({ snapshot, functions }) (issue 12 item 3, "Tests": a restored engine
 * keeps working as a live one).
 *
 * Goal: the snapshot is plain versioned data that survives JSON; a restored engine is the original engine —
 * given the same calls after the snapshot, it produces the same statuses and the same events at the same GIP
 * times (virtual clock: same scheduler policy, PRNG state and time); its facade works (`vms`, `getSnapshot`,
 * `subscribe`, `state$`, `system.get`); the embedder's functions travel by the names given in `functions`.
 * Method: an original engine and its restore run the same script; expectations come from the original's own run
 * (the pair) and from VM.cpp's rules (resume from RUNNING is VERR_VM_INVALID_VM_STATE, DESCENDING runs EMT n-1
 * first). Refusals: docs/snapshot.md's table.
 */
import { describe, expect, it } from 'vitest';
import {
  SNAPSHOT_FORMAT, SNAPSHOT_VERSION, VERR_INVALID_PARAMETER, VERR_INVALID_VM_HANDLE, VERR_NOT_SUPPORTED, VERR_VM_INVALID_VM_STATE,
  VERR_VM_THREAD_IS_EMT, VINF_EM_OFF, VINF_EM_RESUME, VINF_EM_SUSPEND, VINF_SUCCESS, type EmtContext, type GuestAction, type GuestContext, type PartSnapshot, type Vmm, type VmState,
} from '../../src/index.js';
import { engine, recordEvents, restored, throughJson } from './snapshot-support.js';

const SEED = 1207;

/** The same calls, on an engine that was never snapshotted and on a restored one. */
async function script(vmm: Vmm, log: string[]): Promise<void> {
  const vm = vmm.vms.get(1)!;
  const status = (p: Promise<unknown>) => p.then((rc) => log.push(`ok ${String(rc)}`), (e: { rc: number }) => log.push(`rc ${e.rc}`));
  await status(vm.suspend());
  await status(vm.resume());
  await status(vm.resume()); // from RUNNING: VERR_VM_INVALID_VM_STATE
  await status(vm.reqCallWait(1, ({ cpu }: EmtContext) => void log.push(`on EMT ${cpu}`)));
  await status(vm.emtRendezvous({ type: 'descending' }, ({ cpu }) => void log.push(`rendezvous on ${cpu}`)));
  await status(vm.powerOff());
  await status(vm.destroy());
}

async function runningEngine(cpus = 2): Promise<Vmm> {
  const vmm = engine({ seed: SEED });
  await (await vmm.create({ cpus, config: { NumCPUs: cpus, Name: 'pair' } })).powerOn();
  return vmm;
}

describe('vmm.getPersistedSnapshot()', () => {
  it('is versioned plain data: the envelope says what it is, and JSON keeps it whole', async () => {
    const vmm = await runningEngine();
    const snapshot = vmm.getPersistedSnapshot();
    expect(snapshot).toMatchObject({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, clock: 'virtual', functions: [] });
    expect(snapshot.vms).toEqual([{ handle: 1, name: 'pair', state: 'RUNNING' }]);
    expect(snapshot.tNs).toBe(vmm.clock.nowNs());
    expect(throughJson(snapshot)).toEqual(snapshot);
    // Taking it changes nothing: a second one is the same.
    expect(throughJson(vmm.getPersistedSnapshot())).toEqual(throughJson(snapshot));
  });

  it('refuses inside a step (on an EMT) and on a disposed engine', async () => {
    const vmm = await runningEngine();
    const vm = vmm.vms.get(1)!;
    let inside: unknown;
    await vm.reqCallWait(0, () => {
      try {
        vmm.getPersistedSnapshot();
      } catch (error) {
        inside = error;
      }
    });
    expect(inside).toMatchObject({ rc: VERR_VM_THREAD_IS_EMT });
    vmm.dispose();
    expect(() => vmm.getPersistedSnapshot()).toThrow(expect.objectContaining({ rc: VERR_INVALID_VM_HANDLE }));
  });

  it('refuses an embedder function it holds without a name, saying where and how to name it', async () => {
    const vmm = await runningEngine();
    vmm.vms.get(1)!.atState(() => {});
    expect(() => vmm.getPersistedSnapshot()).toThrow(expect.objectContaining({ rc: VERR_NOT_SUPPORTED, message: expect.stringMatching(/atState\[0\].*createVMM\(\{ functions/) }));
  });
});

describe('createVMM({ functions })', () => {
  it.each([
    ['not an object', 42],
    ['an array', [() => 0]],
    ['a value that is not a function', { f: 'text' }],
    ['one function under two names', ((f: () => void) => ({ a: f, b: f }))(() => {})],
  ])('refuses %s with VERR_INVALID_PARAMETER', (_case, functions) => {
    expect(() => engine({ functions: functions as never })).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER }));
  });
});

describe('a restored engine', () => {
  it('goes on exactly as the original: same statuses, same events at the same GIP times', async () => {
    const original = await runningEngine();
    const copy = restored(original);
    const [logA, logB] = [[] as string[], [] as string[]];
    const [eventsA, eventsB] = [recordEvents(original), recordEvents(copy)];
    await script(original, logA);
    await script(copy, logB);
    // VMR3Suspend / Resume / PowerOff answer the EM status their rendezvous merged (vbox-facts.md §1.4).
    expect(logA).toEqual([
      `ok ${VINF_EM_SUSPEND}`, `ok ${VINF_EM_RESUME}`, `rc ${VERR_VM_INVALID_VM_STATE}`, 'on EMT 1', `ok ${VINF_SUCCESS}`,
      'rendezvous on 1', 'rendezvous on 0', `ok ${VINF_SUCCESS}`, `ok ${VINF_EM_OFF}`, `ok ${VINF_SUCCESS}`,
    ]);
    expect(logB).toEqual(logA);
    expect(eventsA.length).toBeGreaterThan(20);
    expect(eventsB).toEqual(eventsA);
  });

  it('has a working facade: vms, getSnapshot, state$, subscribe, system.get, vms$', async () => {
    const original = await runningEngine();
    const before = original.vms.get(1)!;
    const copy = restored(original);
    const vm = copy.vms.get(1)!;
    expect(vm).not.toBe(before);
    expect(vm.getSnapshot()).toEqual(before.getSnapshot());
    expect(copy.system.get('vm.1')).toBe(vm);
    expect((copy.system.get('vm.1/emt.0')!.getSnapshot() as PartSnapshot).value).toBe((original.system.get('vm.1/emt.0')!.getSnapshot() as PartSnapshot).value);
    const firsts: VmState[] = [];
    vm.state$.subscribe(({ to }) => firsts.push(to));
    expect(firsts).toEqual(['RUNNING']); // the last change before the snapshot
    const values: VmState[] = [];
    let completed = false;
    vm.subscribe({ next: (s) => values.push(s.value), complete: () => (completed = true) });
    const life: string[] = [];
    copy.vms$.subscribe(({ kind, handle }) => life.push(`${kind} ${handle}`));
    await vm.powerOff();
    await vm.destroy();
    expect(values).toEqual(expect.arrayContaining(['POWERING_OFF', 'OFF', 'TERMINATED']));
    expect(completed).toBe(true);
    expect(life).toEqual(['destroyed 1']);
    expect(copy.system.get('vm.1')).toBeUndefined();
    // The original is untouched by its copy's life.
    expect(before.state).toBe('RUNNING');
  });

  it('calls a named embedder function it held, found again under its name', async () => {
    const seen: string[] = [];
    const onState = (to: VmState, from: VmState) => void seen.push(`${from}>${to}`);
    const original = engine({ seed: SEED, functions: { onState } });
    const vm = await original.create({ cpus: 1 });
    vm.atState(onState);
    await vm.powerOn();
    const snapshot = original.getPersistedSnapshot();
    expect(snapshot.functions).toEqual(['onState']);
    seen.length = 0;
    const other: string[] = [];
    const copy = engine({ snapshot: throughJson(snapshot), functions: { onState: (to: VmState, from: VmState) => void other.push(`${from}>${to}`) } });
    await copy.vms.get(1)!.suspend();
    expect(other).toEqual(['RUNNING>SUSPENDING', 'SUSPENDING>SUSPENDED']);
    expect(seen).toEqual([]); // the restore calls the function its own `functions` give, not the original's
  });

  it('shows its VMs to the inspectors the restore is given', async () => {
    const original = await runningEngine();
    const seen: { type: string; value: unknown }[] = [];
    const copy = engine({ snapshot: throughJson(original.getPersistedSnapshot()), inspect: (e) => seen.push({ type: e.type, value: (e as { snapshot?: { value?: unknown } }).snapshot?.value }) });
    await copy.vms.get(1)!.suspend();
    expect(seen.filter((e) => e.value === 'SUSPENDED').length).toBeGreaterThan(0);
  });

  it('keeps hooks whose functions are named (they travel with the snapshot); closures must be given again', async () => {
    const guest = (): GuestAction => ({ kind: 'run', ns: 100_000 });
    const original = engine({ seed: SEED, functions: { guest }, hooks: { executeGuest: guest } });
    await (await original.create({ cpus: 1 })).powerOn();
    const snapshot = throughJson(original.getPersistedSnapshot());
    expect(snapshot.functions).toEqual(['guest']);
    const slices: number[] = [];
    const copy = engine({ snapshot, functions: { guest: ({ cpu }: GuestContext): GuestAction => (slices.push(cpu), { kind: 'run', ns: 100_000 }) } });
    await copy.advance(1_000_000);
    expect(slices.length).toBeGreaterThan(0); // the restored guest hook runs without `hooks` given again
    const unnamed = engine({ seed: SEED, hooks: { executeGuest: () => ({ kind: 'run', ns: 100_000 }) } });
    await (await unnamed.create({ cpus: 1 })).powerOn();
    expect(unnamed.getPersistedSnapshot().functions).toEqual([]); // a closure hook is the host's, not written
  });

  it('can be snapshotted and restored again', async () => {
    const original = await runningEngine(3);
    const twice = restored(restored(original));
    const [logA, logB] = [[] as string[], [] as string[]];
    await script(original, logA);
    await script(twice, logB);
    expect(logB).toEqual(logA);
  });

  it('finishes the promise-API calls pending at snapshot time and reports them in restoredCalls', async () => {
    const original = await runningEngine();
    const pending = original.vms.get(1)!.suspend(); // queued, not yet stepped: the snapshot holds the call
    const copy = restored(original);
    expect(await pending).toBe(VINF_EM_SUSPEND); // the original settles its own promise
    const reported: number[] = [];
    copy.restoredCalls$.subscribe(({ result }) => reported.push(result as number));
    await copy.runUntilIdle();
    expect(copy.vms.get(1)!.state).toBe('SUSPENDED');
    expect(copy.restoredCalls).toMatchObject([{ vm: 1, result: VINF_EM_SUSPEND }]);
    expect(reported).toEqual([VINF_EM_SUSPEND]);
  });
});
