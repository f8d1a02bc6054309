/**
 * Disposal is final and prompt; streams complete (issue 15 items 2 and 3).
 *
 * Goal: after `vmm.dispose()` every pending call rejects with VERR_VM_REQUEST_KILLED (VirtualBox's status for the
 * requests left when a VM terminates) and every later call with VERR_INVALID_VM_HANDLE, before any macrotask
 * runs; nothing steps or fires afterwards; every stream completes. A VM's `events$`, `state$`, `cpu(i).state$`
 * and `progress$` complete when it is destroyed, `vmm.vms$` tells VMs created and destroyed and completes at
 * dispose, and `state$` gives a late subscriber the last real change (its own `from`, `by` and time).
 *
 * Method: tables over API calls × {virtual, real clock}; "at once" is checked against a setImmediate sentinel, so
 * no figure depends on host speed. Before the change pending calls never settled and streams never completed.
 */
import { connect } from 'node:net';
import { firstValueFrom, lastValueFrom, type Observable, Subject, takeUntil, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createVMM, emtCallWait, type VM, type Vmm, type VmTraceEvent } from '../../src/index.js';
import { demoGuest } from '../../src/guest/demo-guest.js';
import { VBoxError, VERR_INVALID_VM_HANDLE, VERR_VM_REQUEST_KILLED, VINF_SUCCESS } from '../../src/status.js';

const CLOCKS = ['virtual', 'real'] as const;

/** Settles before the next macrotask, or 'late'. */
async function atOnce(promise: Promise<unknown>): Promise<unknown> {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return Promise.race([outcome, new Promise((resolve) => setImmediate(() => resolve('late')))]);
}

function expectRejection(outcome: unknown, rc: number): void {
  expect(outcome).toHaveProperty('error');
  const error = (outcome as { error: unknown }).error;
  expect(error).toBeInstanceOf(VBoxError);
  expect((error as VBoxError).rc).toBe(rc);
}

/** API calls, each started on a VM that runs (RUNNING, 2 vCPUs). */
const CALLS: [string, (vm: VM, vmm: Vmm) => Promise<unknown>][] = [
  ['powerOff', (vm) => vm.powerOff()],
  ['suspend', (vm) => vm.suspend()],
  ['reset', (vm) => vm.reset()],
  ['setRuntimeError', (vm) => vm.setRuntimeError(0, 'Id', 'message')],
  ['reqCallWait', (vm) => vm.reqCallWait(1, () => VINF_SUCCESS)],
  ['reqCall (timeout)', (vm) => vm.reqCall({ target: 'any', timeoutMs: 10_000 }, () => VINF_SUCCESS)],
  ['emtRendezvous', (vm) => vm.emtRendezvous({ type: 'all-at-once' }, () => VINF_SUCCESS)],
  ['save', (vm) => vm.save({ write: () => {} } as never)],
  ['loadFromFile', (vm) => vm.loadFromFile('/nonexistent.sav')],
  ['vmm.create', (_vm, vmm) => vmm.create({ cpus: 1 })],
  ['vmm.advance', (_vm, vmm) => vmm.advance(1_000_000_000)],
  ['vmm.listenForTeleport', (_vm, vmm) => vmm.listenForTeleport({ port: 0, password: 'x', cpus: 1 })],
];

async function runningVm(clock: (typeof CLOCKS)[number]): Promise<{ vmm: Vmm; vm: VM }> {
  const vmm = createVMM({ clock, hooks: demoGuest() });
  const vm = await vmm.create({ cpus: 2 });
  await vm.powerOn();
  return { vmm, vm };
}

describe('vmm.dispose(): final and prompt', () => {
  const rows = CALLS.flatMap(([name, call]) => CLOCKS.map((clock) => ({ name, call, clock })));

  it.each(rows)('a pending $name rejects with VERR_VM_REQUEST_KILLED at once ($clock clock)', async ({ call, clock }) => {
    const { vmm, vm } = await runningVm(clock);
    const pending = call(vm, vmm);
    vmm.dispose();
    expectRejection(await atOnce(pending), VERR_VM_REQUEST_KILLED);
  });

  it.each(rows)('a later $name rejects with VERR_INVALID_VM_HANDLE at once ($clock clock)', async ({ call, clock }) => {
    const { vmm, vm } = await runningVm(clock);
    vmm.dispose();
    expectRejection(await atOnce(call(vm, vmm)), VERR_INVALID_VM_HANDLE);
  });

  it.each(CLOCKS)('a call stuck in a deadlock between two EMTs is killed too (%s clock)', async (clock) => {
    const { vmm, vm } = await runningVm(clock);
    // EMT 0 waits for a request on EMT 1, which waits for one on EMT 0: neither ever completes.
    const stuck = vm.reqCallWait(0, () => emtCallWait(1, () => emtCallWait(0, () => VINF_SUCCESS)));
    const seen: VmTraceEvent[] = [];
    vm.events$.subscribe((e) => seen.push(e));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen.some((e) => e.kind === 'request' && e.to === 'QUEUED')).toBe(true); // the call got under way
    vmm.dispose();
    expectRejection(await atOnce(stuck), VERR_VM_REQUEST_KILLED);
  });

  it.each(CLOCKS)('nothing steps and no timer fires after dispose; every stream completes (%s clock)', async (clock) => {
    const { vmm, vm } = await runningVm(clock);
    const streams: Observable<unknown>[] = [vm.events$, vm.state$, vm.cpu(1).state$, vm.progress$, vmm.vms$];
    const ends = streams.map((stream) => lastValueFrom(stream.pipe(toArray())));
    let choices = 0;
    vmm.sched.onChoice = () => choices++;
    vmm.dispose();
    await Promise.all(ends); // each completes (lastValueFrom would hang otherwise)
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(choices).toBe(0);
  });
});

describe('vmm.dispose() and a teleport listener', () => {
  it('stops listening: the port refuses connections afterwards', async () => {
    const vmm = createVMM();
    const listening = new Promise<number>((resolve) => {
      const pending = vmm.listenForTeleport({ port: 0, password: 'secret', cpus: 1, onListening: ({ port }) => resolve(port) });
      pending.catch(() => {});
    });
    const port = await listening;
    vmm.dispose();
    await new Promise((resolve) => setImmediate(resolve));
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('streams complete when the VM is destroyed', () => {
  it.each(CLOCKS)('events$, state$, cpu(i).state$ and progress$ end at TERMINATED (%s clock)', async (clock) => {
    const vmm = createVMM({ clock });
    try {
      const vm = await vmm.create({ cpus: 2 });
      const events = lastValueFrom(vm.events$.pipe(toArray()));
      const states = lastValueFrom(vm.state$.pipe(toArray()));
      const cpu1 = lastValueFrom(vm.cpu(1).state$.pipe(toArray()));
      const progress = lastValueFrom(vm.progress$.pipe(toArray()));
      await vm.powerOn();
      await vm.powerOff();
      await vm.destroy();
      expect((await states).map((s) => s.to)).toEqual(['CREATED', 'POWERING_ON', 'RUNNING', 'POWERING_OFF', 'OFF', 'DESTROYING', 'TERMINATED']);
      expect((await cpu1).map((s) => s.to)).toEqual(['STOPPED', 'STARTED', 'STOPPED']);
      expect(await progress).toEqual([]);
      // The last sweep of VMR3Destroy is in: the queues' end comes before the stream's.
      const all = await events;
      expect(all.filter((e) => e.kind === 'state').at(-1)).toMatchObject({ to: 'TERMINATED' });
      // takeUntil on a destroyed VM's stream: a late subscriber gets the last change and the end.
      const stop = new Subject<void>();
      expect(await lastValueFrom(vm.state$.pipe(takeUntil(stop), toArray()))).toEqual([
        expect.objectContaining({ from: 'DESTROYING', to: 'TERMINATED', by: 'emt.0' }),
      ]);
    } finally {
      vmm.dispose();
    }
  });

  it.each(CLOCKS)('vmm.vms$ tells each VM created and destroyed, and completes at dispose (%s clock)', async (clock) => {
    const vmm = createVMM({ clock });
    const life = lastValueFrom(vmm.vms$.pipe(toArray()));
    const a = await vmm.create({ cpus: 1 });
    const b = await vmm.create({ cpus: 2 });
    await a.powerOff();
    await a.destroy();
    await expect(vmm.create({ cpus: 0 })).rejects.toBeInstanceOf(VBoxError); // refused: never created
    vmm.dispose();
    expect((await life).map((e) => [e.kind, e.vm])).toEqual([
      ['created', a],
      ['created', b],
      ['destroyed', a],
    ]);
  });
});

describe('state$ for a late subscriber: the last real change', () => {
  it.each(CLOCKS)('replays the change that made the current state, with its thread and time (%s clock)', async (clock) => {
    const vmm = createVMM({ clock });
    try {
      const vm = await vmm.create({ cpus: 2 });
      const changes: Extract<VmTraceEvent, { kind: 'state' }>[] = [];
      vm.events$.subscribe((e) => {
        if (e.kind === 'state') changes.push(e);
      });
      await vm.powerOn();
      await vmm.advance(2_000_000); // time passes after the change
      const last = changes.at(-1)!;
      const first = await firstValueFrom(vm.state$);
      expect(first).toEqual({ from: last.from, to: last.to, tNs: last.tNs, by: last.by });
      expect(first).toEqual({ from: 'POWERING_ON', to: 'RUNNING', tNs: last.tNs, by: 'emt.0' });
      expect(vmm.clock.nowNs()).toBeGreaterThan(first.tNs);
      const cpu = await firstValueFrom(vm.cpu(0).state$);
      expect(cpu).toMatchObject({ cpu: 0, from: 'STOPPED', to: 'STARTED' });
    } finally {
      vmm.dispose();
    }
  });
});
