/**
 * The facade follows XState's actor conventions (issue 12 item 4).
 *
 * Goal: `vm.getSnapshot()` is a plain, JSON-serializable snapshot (`status` 'done' once TERMINATED, VMSTATE as
 * `value`, vCPU / EMT / halt-method states in `context`) that stays the same object until something changes;
 * `vm.subscribe(observer | next)` gives every new snapshot and completes when the VM is TERMINATED (at once when
 * it already is); `vmm.system.get(systemId)` finds the VM and its actors under inspection's systemIds; and the
 * `actorRef.getSnapshot()` of inspection events is live (before: an announced actor said CREATING forever).
 *
 * Method: a deterministic create → powerOn → powerOff → destroy; expectations come from the engine's other,
 * already tested views (`state$`, `vm.cpu(i).state`, the inspection records) and from XState's own contract.
 */
import { describe, expect, it } from 'vitest';
import { createVMM, type PartSnapshot, type VM, type VmSnapshot } from '../../src/index.js';
import type { ShapedInspectionEvent } from '../../src/inspect/xstate-shape.js';

/** The VMSTATEs create → powerOn → powerOff → destroy passes through (VM.cpp, vbox-facts.md §1.4). */
const LIFECYCLE = ['CREATED', 'POWERING_ON', 'RUNNING', 'POWERING_OFF', 'OFF', 'DESTROYING', 'TERMINATED'];

async function lifecycle(vm: VM): Promise<void> {
  await vm.powerOn();
  await vm.powerOff();
  await vm.destroy();
}

describe('vm.getSnapshot()', () => {
  it('tells status, VMSTATE and the vCPU, EMT and halt-method states, as plain data', async () => {
    const vmm = createVMM();
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2, Name: 'snap' } });
    const [emt0, emt1, halt] = ['vm.1/emt.0', 'vm.1/emt.1', 'vm.1/halt'].map((id) => vmm.system.get(id)!);
    const check = (status: 'active' | 'done') => {
      const snapshot = vm.getSnapshot();
      expect(snapshot).toMatchObject({ status, value: vm.state, context: { handle: vm.handle, name: 'snap' } });
      expect(snapshot.context.cpus).toEqual([0, 1].map((i) => vm.cpu(i).state));
      expect(snapshot.context.emts).toEqual([emt0, emt1].map((ref) => (ref!.getSnapshot() as PartSnapshot).value));
      expect(snapshot.context.haltMethod).toBe((halt!.getSnapshot() as PartSnapshot).value);
      expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    };
    check('active');
    await vm.powerOn();
    check('active');
    expect(vm.getSnapshot().context.prevState).toBe('POWERING_ON');
    await vm.powerOff();
    await vm.destroy();
    check('done');
    expect(vm.getSnapshot().value).toBe('TERMINATED');
  });

  it('is the same object until the VM changes, a new one after', async () => {
    const vmm = createVMM();
    const vm = await vmm.create({ cpus: 1 });
    const before = vm.getSnapshot();
    expect(vm.getSnapshot()).toBe(before);
    await vm.reqCallWait(0, () => 0); // a request and EMT wake-ups, no VMSTATE change
    await vm.powerOn();
    const after = vm.getSnapshot();
    expect(after).not.toBe(before);
    expect([before.value, after.value]).toEqual(['CREATED', 'RUNNING']);
  });
});

describe('vm.subscribe()', () => {
  it('gives every new snapshot, the TERMINATED one last, then completes (observer form)', async () => {
    const vmm = createVMM();
    const vm = await vmm.create({ cpus: 2 });
    const seen: VmSnapshot[] = [];
    const order: string[] = [];
    const changes: string[] = [];
    vm.state$.subscribe((c) => changes.push(c.to));
    vm.subscribe({ next: (s) => seen.push(s), complete: () => order.push(`complete after ${seen.at(-1)?.value}`) });
    await lifecycle(vm);
    const values = seen.map((s) => s.value).filter((v, i, all) => i === 0 || all[i - 1] !== v);
    expect(values).toEqual(changes);
    expect(changes).toEqual(LIFECYCLE);
    expect(seen.every((s, i) => i === 0 || s !== seen[i - 1])).toBe(true); // only changes
    expect(seen.filter((s) => s.status === 'done').map((s) => s.value)).toEqual(['TERMINATED']);
    expect(order).toEqual(['complete after TERMINATED']);
  });

  it('takes a bare next function, with error and complete beside it (XState second form)', async () => {
    const vmm = createVMM();
    const vm = await vmm.create({ cpus: 1 });
    const values: string[] = [];
    vm.subscribe((s) => values.push(s.value), undefined, () => values.push('complete'));
    await lifecycle(vm);
    expect(values.slice(-2)).toEqual(['TERMINATED', 'complete']);
  });

  it('completes at once on a VM already TERMINATED, and stops on unsubscribe', async () => {
    const vmm = createVMM();
    const vm = await vmm.create({ cpus: 1 });
    const early: string[] = [];
    const subscription = vm.subscribe((s) => early.push(s.value));
    await vm.powerOn();
    subscription.unsubscribe();
    const count = early.length;
    await vm.powerOff();
    await vm.destroy();
    expect(early.length).toBe(count);
    expect(early.at(-1)).toBe('RUNNING');
    const late = { next: 0, complete: 0 };
    vm.subscribe({ next: () => late.next++, complete: () => late.complete++ });
    expect(late).toEqual({ next: 0, complete: 1 });
  });

  it('completes when the engine is disposed', async () => {
    const vmm = createVMM();
    const vm = await vmm.create({ cpus: 1 });
    let completed = false;
    vm.subscribe({ complete: () => (completed = true) });
    vmm.dispose();
    expect(completed).toBe(true);
  });
});

describe('vmm.system.get(systemId)', () => {
  it.each([
    ['vm.1', 'the VM'],
    ['vm.1/cpu.0', 'cpu'],
    ['vm.1/cpu.1', 'cpu'],
    ['vm.1/emt.1', 'emt'],
    ['vm.1/halt', 'halt'],
    ['vm.2', undefined],
    ['vm.1/cpu.2', undefined],
    ['vm.1/cpu.01', undefined],
    ['vm.1/emt.-1', undefined],
    ['vm.1/req.1', undefined],
    ['vm.1/', undefined],
    ['gvmm', undefined],
    ['', undefined],
  ])('finds %s: %s', async (systemId, kind) => {
    const vmm = createVMM();
    const vm = await vmm.create({ cpus: 2 });
    await vm.powerOn();
    const ref = vmm.system.get(systemId);
    if (kind === undefined) return expect(ref).toBeUndefined();
    if (kind === 'the VM') return expect(ref).toBe(vm);
    expect(ref).toMatchObject({ id: systemId, systemId });
    expect(vmm.system.get(systemId)).toBe(ref); // one ref per actor, as XState's system keeps
    const snapshot = ref!.getSnapshot() as PartSnapshot;
    const cpu = Number(systemId.split('.').at(-1));
    const expected = { cpu: () => vm.cpu(cpu).state, emt: () => vm.getSnapshot().context.emts[cpu], halt: () => vm.getSnapshot().context.haltMethod }[kind]!;
    expect(snapshot).toMatchObject({ status: 'active', value: expected() });
    const parts: PartSnapshot[] = [];
    let completed = false;
    ref!.subscribe({ next: (s) => parts.push(s as PartSnapshot), complete: () => (completed = true) });
    await vm.powerOff();
    await vm.destroy();
    // A part ends with its VM: its last snapshot is done, then complete; the system forgets the VM.
    expect(parts.at(-1)).toMatchObject({ status: 'done', value: expected() });
    expect(completed).toBe(true);
    expect(vmm.system.get(systemId)).toBeUndefined();
  });
});

describe('inspection events: actorRef.getSnapshot() is live', () => {
  it.each(['vm.1', 'vm.1/cpu.0', 'vm.1/emt.0', 'vm.1/halt'])('%s, read after TERMINATED, says where the actor is now', async (systemId) => {
    const events: ShapedInspectionEvent[] = [];
    const vmm = createVMM({ inspect: (e) => events.push(e) });
    const vm = await vmm.create({ cpus: 1 });
    const live = vmm.system.get(systemId)!;
    const last = () => (live.getSnapshot() as { value: string }).value;
    await lifecycle(vm);
    const announced = events.find((e) => e.type === '@xstate.actor' && e.actorRef.sessionId === systemId)!;
    const lastRecord = events.filter((e) => e.actorRef.sessionId === systemId && 'snapshot' in e).at(-1) as unknown as { snapshot: { value: string } };
    expect((announced.actorRef.getSnapshot() as { value: string }).value).toBe(lastRecord.snapshot.value);
    if (systemId !== 'vm.1/halt') expect(lastRecord.snapshot.value).toBe(last());
    if (systemId === 'vm.1') expect(announced.actorRef.getSnapshot()).toMatchObject({ status: 'done', value: 'TERMINATED' });
  });
});
