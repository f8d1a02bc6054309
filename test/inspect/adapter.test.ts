/**
 * Goal: every engine actor is visible as XState v5 inspection events (and in v6's two-event form) with stable
 * systemIds, GIP time and the actor that caused each step — and inspection costs nothing when nobody listens.
 * Method: a deterministic create → powerOn → powerOff → destroy run with record sinks attached; the record
 * stream is checked against the engine's own event stream and the machine definitions.
 */
import { describe, expect, it } from 'vitest';
import { createVMM } from '../../src/api/vmm.js';
import { VERR_INVALID_PARAMETER, VERR_VM_INVALID_VM_STATE } from '../../src/status.js';
import type { EventRecord, InspectionRecord, MicrostepRecord, TransitionRecord } from '../../src/inspect/records.js';
import { collect, lifecycle, rendezvousOf, snapshotsOf, SYSTEM_ID } from './helpers.js';

describe('inspection adapter (VMR3Create … VMR3Destroy under createVMM({ inspect }))', () => {
  it('costs nothing without an inspector: no listener, no choice observer, no session', async () => {
    const plain = await lifecycle(undefined);
    const inspected = await lifecycle(collect().sink);
    expect(plain.vmm.inspection).toBeUndefined();
    expect(plain.vmm.sched.onChoice).toBeUndefined();
    // dispose() took the inspector's listener off again: both engines end with the same listeners.
    expect(inspected.vm.core.listeners.size).toBe(plain.vm.core.listeners.size);
  });

  it('attaches one listener and one choice observer per inspected engine, and removes them on dispose', async () => {
    const baseline = (await lifecycle(undefined)).vm.core.listeners.size;
    const { sink } = collect();
    const vmm = createVMM({ inspect: sink });
    const vm = await vmm.create({ cpus: 2 });
    expect(vm.core.listeners.size).toBe(baseline + 1);
    expect(vmm.sched.onChoice).toBeTypeOf('function');
    vmm.dispose();
    expect(vm.core.listeners.size).toBe(baseline);
    expect(vmm.sched.onChoice).toBeUndefined();
  });

  it('announces the VM, its vCPUs and EMTs first, with machines and parents', async () => {
    const { records, sink } = collect();
    await lifecycle(sink);
    expect(records.slice(0, 5).map((r) => [r.type, r.actorId, r.type === '@xstate.actor' ? [r.machine, r.parentId ?? null, r.snapshot.value] : null])).toEqual([
      ['@xstate.actor', 'vm.1', ['vm', null, 'CREATING']],
      ['@xstate.actor', 'vm.1/cpu.0', ['vmcpu', 'vm.1', 'STOPPED']],
      ['@xstate.actor', 'vm.1/cpu.1', ['vmcpu', 'vm.1', 'STOPPED']],
      ['@xstate.actor', 'vm.1/emt.0', ['emt', 'vm.1', 'waiting']],
      ['@xstate.actor', 'vm.1/emt.1', ['emt', 'vm.1', 'waiting']],
    ]);
  });

  it('uses stable systemIds only, announces every actor before it appears, numbers records in order', async () => {
    const { records, sink } = collect();
    await lifecycle(sink);
    const announced = new Set<string>();
    records.forEach((r, i) => {
      expect(r.seq).toBe(i);
      expect(r.actorId).toMatch(SYSTEM_ID);
      if (r.type === '@xstate.actor') announced.add(r.actorId);
      else expect(announced.has(r.actorId), `${r.actorId} before its @xstate.actor`).toBe(true);
      const source = (r as EventRecord).sourceId;
      if (source) expect(announced.has(source), `source ${source} announced`).toBe(true);
    });
  });

  it('reports each step as event → microstep → snapshot of one actor (v5), and signals as a lone event', async () => {
    const { records, sink } = collect();
    await lifecycle(sink);
    let signals = 0;
    records.forEach((r, i) => {
      if (r.type === '@xstate.microstep') expect([records[i - 1]!.type, records[i - 1]!.actorId]).toEqual(['@xstate.event', r.actorId]);
      if (r.type === '@xstate.snapshot') expect([records[i - 1]!.type, records[i - 1]!.actorId]).toEqual(['@xstate.microstep', r.actorId]);
      if (r.type === '@xstate.event' && records[i + 1]?.type !== '@xstate.microstep') signals++;
    });
    expect(records.filter((r) => r.type === '@xstate.snapshot').length).toBeGreaterThan(50);
    expect(signals).toBe(records.filter((r) => r.type === '@xstate.event').length - records.filter((r) => r.type === '@xstate.snapshot').length);
  });

  it('follows the VM through its states with the event that took each edge and the actor that caused it', async () => {
    const { records, sink } = collect();
    const { events } = await lifecycle(sink, 2);
    const vm = snapshotsOf(records, 'vm.1');
    expect(vm.map((r) => [r.event.type, r.snapshot.value, r.sourceId])).toEqual([
      ['created', 'CREATED', 'vm.1/emt.0'],
      ['powerOn', 'POWERING_ON', 'vm.1/emt.1'], // DESCENDING rendezvous: the last EMT first
      ['powerOnDone', 'RUNNING', 'vm.1/emt.0'],
      ['powerOff', 'POWERING_OFF', 'vm.1/emt.1'],
      ['powerOffDone', 'OFF', 'vm.1/emt.0'],
      ['destroy', 'DESTROYING', expect.stringMatching(/^ext\.\d+$/)], // VMR3Destroy runs on the caller's thread
      ['terminated', 'TERMINATED', 'vm.1/emt.0'],
    ]);
    expect(vm.at(-1)!.snapshot.status).toBe('done');
    // GIP time comes from the engine's own events.
    const stateTimes = events.filter((e) => e.kind === 'state').map((e) => e.tNs);
    expect(vm.slice(1).map((r) => r.tNs)).toEqual(stateTimes);
  });

  it('carries the rendezvous order, the counters and the guard of each transition', async () => {
    const { records, sink } = collect();
    await lifecycle(sink, 3);
    const rv = rendezvousOf(records, 'powerOn');
    const powerOn = records.filter((r): r is EventRecord => r.type === '@xstate.event' && r.actorId === rv);
    expect(powerOn.filter((r) => r.event.type === 'callbackDone').map((r) => [r.event.cpu, r.sourceId, r.event.ran])).toEqual([
      [2, 'vm.1/emt.2', true], [1, 'vm.1/emt.1', true], [0, 'vm.1/emt.0', true],
    ]);
    const last = records.find((r): r is MicrostepRecord => r.type === '@xstate.microstep' && r.actorId === rv && r.snapshot.value === 'running');
    expect(last!.transitions).toEqual([{ source: 'entering', target: 'running', eventType: 'enter', guard: 'isLastArrival' }]);
    expect(last!.snapshot.context).toMatchObject({ type: 'descending', cEntered: 3, runner: 2 });
    const counting = records.find((r): r is MicrostepRecord => r.type === '@xstate.microstep' && r.actorId === rv && r.event.type === 'enter');
    expect(counting!.transitions[0]).toEqual({ source: 'entering', target: null, eventType: 'enter' }); // targetless countEntry
  });

  it('names the queue of a request and the EMT that processed it', async () => {
    const { records, sink } = collect();
    await lifecycle(sink);
    const first = records.filter((r): r is EventRecord => r.type === '@xstate.event' && r.actorId === 'vm.1/req.1').slice(0, 3);
    expect(first.map((r) => [r.event.type, r.event.queue, r.sourceId])).toEqual([
      ['queue', 'global', 'ext.1'],
      ['process', 'global', 'vm.1/emt.0'],
      ['complete', 'global', 'vm.1/emt.0'],
    ]);
  });

  it('reports VMSetError as an event to the VM without a transition', async () => {
    const { records, sink } = collect();
    const vmm = createVMM({ inspect: sink });
    const vm = await vmm.create({ cpus: 2 });
    await expect(vm.resume()).rejects.toMatchObject({ rc: VERR_VM_INVALID_VM_STATE });
    vmm.dispose();
    const index = records.findIndex((r) => r.type === '@xstate.event' && r.event.type === 'VMSetError');
    expect(records[index]).toMatchObject({ actorId: 'vm.1', event: { rc: VERR_VM_INVALID_VM_STATE, message: expect.stringContaining('CREATED') } });
    expect(records[index]!.actorId).toBe('vm.1');
    expect(records[index + 1]?.type).not.toBe('@xstate.microstep');
  });

  it.each([
    ['an event of an unknown kind', { kind: 'gvmm-handle', handle: 7, tNs: 5 }, '@xstate.event', { type: 'gvmm-handle', handle: 7 }],
    ['a transition of an unknown actor', { kind: 'halt', systemId: 'vm.1/halt.0', machine: 'no-such-machine', from: 'a', to: 'b', event: 'go', tNs: 5 }, '@xstate.snapshot', { type: 'go' }],
  ])('handles %s gracefully', async (_name, engineEvent, lastType, event) => {
    const { records, sink } = collect();
    const vmm = createVMM({ inspect: sink });
    const vm = await vmm.create({ cpus: 1 });
    vm.core.emit(engineEvent as never);
    vmm.dispose();
    const last = records.at(-1)!;
    expect(last.type).toBe(lastType);
    expect(last).toMatchObject({ tNs: 5, event });
    if (lastType === '@xstate.snapshot') {
      expect(records.find((r) => r.type === '@xstate.actor' && r.actorId === 'vm.1/halt.0')).toMatchObject({ parentId: 'vm.1', snapshot: { value: 'a' } });
      expect(last).toMatchObject({ actorId: 'vm.1/halt.0', snapshot: { value: 'b' } });
    }
  });

  it('gives XState v6 one @xstate.transition per step, side by side with v5 from the same facts', async () => {
    const v5 = collect('v5');
    const v6 = collect('v6');
    await lifecycle([v5.sink, v6.sink]);
    const v5Steps = v5.records.filter((r) => r.type === '@xstate.snapshot' || (r.type === '@xstate.event' && !v5.records.some((s) => s.seq === r.seq + 2 && s.type === '@xstate.snapshot')));
    const transitions = v6.records.filter((r): r is TransitionRecord => r.type === '@xstate.transition');
    expect(new Set(v6.records.map((r) => r.type))).toEqual(new Set(['@xstate.actor', '@xstate.transition']));
    expect(transitions.length).toBe(v5Steps.length);
    const vm = transitions.filter((r) => r.actorId === 'vm.1' && r.transitions.length > 0);
    expect(vm.map((r) => r.snapshot.value)).toEqual(snapshotsOf(v5.records, 'vm.1').map((r) => r.snapshot.value));
    expect(vm[1]).toMatchObject({ sourceId: 'vm.1/emt.1', event: { type: 'powerOn' }, transitions: [{ source: 'CREATED', target: 'POWERING_ON' }] });
  });

  it.each([
    ['a number', 42],
    ['an object with nothing to call', { foo: 1 }],
    ['an unknown protocol', { protocol: 'v7', record: () => undefined }],
  ])('refuses %s as an inspector with VERR_INVALID_PARAMETER', (_name, inspect) => {
    expect(() => createVMM({ inspect: inspect as never })).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER }));
  });

  it('keeps records JSON: what goes into a trace comes back equal', async () => {
    const { records, sink } = collect();
    await lifecycle(sink);
    expect(JSON.parse(JSON.stringify(records)) as InspectionRecord[]).toEqual(records);
  });
});
