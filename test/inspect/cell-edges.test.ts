/**
 * Every machine cell reaches inspection (issue 12): the save's SSM handle (machines/ssm-live-save.ts) and the
 * VM's GVMM handle (machines/gvmm-handle.ts) report their edges like the VM, vCPU, EMT, request and rendezvous
 * cells do, so they appear in a recorded trace and in the viewer's model.
 * The VM-level flow (machines/vm-save-teleport.ts, vbox-facts.md §7.1) reports its states the same way.
 * Method: create → powerOn → live save → powerOff → destroy under a TraceRecorder. The expected walks are read
 * off the machines themselves (XState's pure transition with the events the flow sends, vbox-facts.md §7.2 and
 * §9.1), not from the engine's output; the recorded trace is then folded by the viewer's TraceModel.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyStateMachine, type EventObject } from 'xstate';
import { gvmmHandleMachine } from '../../machines/gvmm-handle.js';
import { ssmLiveSaveMachine } from '../../machines/ssm-live-save.js';
import { vmSaveTeleportMachine } from '../../machines/vm-save-teleport.js';
import { TraceRecorder } from '../../src/inspect/recorder.js';
import { MemorySink } from '../../src/ssm/sinks.js';
import { createVMM } from '../../src/api/vmm.js';
import type { VmTraceEvent } from '../../src/vmm/vm-core.js';
import { traceRecordProblem } from '../../src/inspect/trace-validate.js';
import { VBoxError, VERR_WRITE_ERROR } from '../../src/status.js';

/** The state values a machine walks through for `events`, starting after `from`. */
function walk(machine: AnyStateMachine, events: EventObject[]): string[] {
  let snapshot = initialTransition(machine)[0];
  const values: string[] = [];
  for (const event of events) {
    snapshot = transition(machine, snapshot, event)[0];
    values.push(String(snapshot.value));
  }
  return values;
}

interface Step { actorId: string; machine?: string; from: string; to: string; event: { type: string } }

async function recordedRun() {
  const recorder = new TraceRecorder({ source: 'test', setup: { cpus: 2 } });
  const vmm = createVMM({ inspect: recorder });
  const vm = await vmm.create({ cpus: 2 });
  const engineEvents: VmTraceEvent[] = [];
  vm.events$.subscribe((e) => engineEvents.push(e));
  await vm.powerOn();
  const result = await vm.save(new MemorySink());
  await vm.powerOff();
  await vm.destroy();
  vmm.dispose();
  const inspect = recorder.records.flatMap((r) => (r.type === 'inspect' ? [r.event as Record<string, any>] : []));
  return { vm, result, inspect, engineEvents, jsonl: recorder.toJsonl() };
}

describe('SSM and GVMM handle cells in traces and in the viewer', () => {
  it('records the live save\'s SSM handle and the VM\'s GVMM handle as actors with their machines\' edges', async () => {
    const { vm, result, inspect } = await recordedRun();
    const ssmId = `${vm.core.id}/ssm`;
    const gvmmId = `gvmm/handle.${vm.core.handle}`;
    const actor = (id: string) => inspect.find((r) => r.type === '@xstate.actor' && r.actorId === id);
    expect(actor(ssmId)).toMatchObject({ machine: 'ssmLiveSave', parentId: vm.core.id });
    expect(actor(gvmmId)).toMatchObject({ machine: 'gvmmHandle' });
    const values = (id: string) => inspect.filter((r) => r.type === '@xstate.snapshot' && r.actorId === id).map((r) => r.snapshot.value);
    const events = (id: string) => inspect.filter((r) => r.type === '@xstate.snapshot' && r.actorId === id).map((r) => r.event.type);

    // SSMR3LiveSave … SSMR3LiveDone with as many exec/vote passes as the save reports.
    const passes = Array.from({ length: result.passes }, (_, i) => [{ type: 'execDone' }, { type: i === result.passes - 1 ? 'voteDone' : 'voteAnotherPass' }]).flat();
    const ssmEvents = [
      { type: 'liveSave', after: 'CONTINUE' }, { type: 'livePrep' }, { type: 'prepDone' }, ...passes,
      { type: 'step2' }, { type: 'prepDone' }, { type: 'execDone' }, { type: 'close' },
    ];
    expect(result.passes).toBeGreaterThan(0);
    expect(values(ssmId)).toEqual(walk(ssmLiveSaveMachine, ssmEvents));
    expect(events(ssmId)).toEqual(ssmEvents.map((e) => e.type));

    // GVMMR0CreateVM (the handle was reserved before the VM), the second vCPU, teardown (§9.1).
    const emt = (cpu: number) => `${vm.core.id}/emt.${cpu}`;
    const handleEvents = [
      { type: 'alloc' }, { type: 'bind', emt0: emt(0), cCpus: 2, session: vm.core.id }, { type: 'registerVCpu', cpu: 1, emt: emt(1) },
      { type: 'deregisterVCpu', cpu: 1, emt: emt(1) }, { type: 'destroy', caller: emt(0), vmState: 'TERMINATED' }, { type: 'release' },
    ];
    expect(values(gvmmId)).toEqual(walk(gvmmHandleMachine, handleEvents).slice(1));
    expect(events(gvmmId)).toEqual(handleEvents.slice(1).map((e) => e.type));
    expect(actor(gvmmId)?.snapshot.value).toBe('used');
  });

  it('the viewer\'s model folds them into steps of their machines', async () => {
    const { vm, jsonl } = await recordedRun();
    const modelUrl = new URL('../../src/inspect/viewer/model.js', import.meta.url).href;
    const { TraceModel } = (await import(modelUrl)) as { TraceModel: new () => { add(raw: unknown): boolean; flush(): void; steps: Step[] } };
    const model = new TraceModel();
    for (const line of jsonl.trim().split('\n')) {
      const record = JSON.parse(line) as { type: string; event?: unknown };
      if (record.type === 'inspect') model.add(record.event);
    }
    model.flush();
    const stepsOf = (id: string) => model.steps.filter((s) => s.actorId === id);
    const ssm = stepsOf(`${vm.core.id}/ssm`);
    expect(ssm.every((s) => s.machine === 'ssmLiveSave')).toBe(true);
    expect(ssm.map((s) => s.to)).toContain('LIVE_VOTE');
    expect(ssm.at(-1)).toMatchObject({ from: 'SAVE_DONE', to: 'done', event: { type: 'close' } });
    const handle = stepsOf(`gvmm/handle.${vm.core.handle}`);
    expect(handle.every((s) => s.machine === 'gvmmHandle')).toBe(true);
    expect(handle.map((s) => [s.from, s.to])).toEqual([['used', 'bound'], ['bound', 'bound'], ['bound', 'bound'], ['bound', 'destroying'], ['destroying', 'free']]);
  });

  it('a trace\'s event records of these edges validate; a malformed one is refused', async () => {
    const { engineEvents } = await recordedRun();
    const edges = engineEvents.filter((e) => e.kind === 'machine');
    expect(new Set(edges.map((e) => e.kind === 'machine' && e.machine))).toEqual(new Set(['ssmLiveSave', 'gvmmHandle', 'vmSaveTeleport', 'reqCall']));
    for (const event of edges) expect(traceRecordProblem({ type: 'event', vm: 1, event, seq: 0 })).toBeUndefined();
    expect(traceRecordProblem({ type: 'event', vm: 1, event: { ...edges[0], to: 7 }, seq: 0 })).toMatch(/"to" must be/);
  });
});

describe('the vmR3SaveTeleport flow in traces', () => {
  // §7.1: vmR3Save on EMT(0); a live save runs step 1 (prepare, then per pass exec + transfer + vote), the
  // vmR3LiveDoSuspend rendezvous, vmR3LiveDoStep2 in two halves around the final pass's drain; a plain save
  // (VM suspended) is done inside vmR3Save.
  const liveEvents = (passes: number) => [
    { type: 'start' }, { type: 'prep' }, ...Array.from({ length: passes }, () => [{ type: 'exec' }, { type: 'transfer' }]).flat(),
    { type: 'suspend' }, { type: 'step2' }, { type: 'drain' }, { type: 'step2Done' }, { type: 'finish', rc: 0 },
  ];
  /** A sink whose first write fails: the header goes out with the first exec run (step 1 fails there). */
  const diskFull = () => {
    const sink = new MemorySink();
    sink.write = () => { throw new VBoxError(VERR_WRITE_ERROR, 'test: write error'); };
    return sink;
  };
  // [title, VM running (else suspended first), sink, expected events given the passes, final state and VM state]
  const CASES: [string, boolean, () => MemorySink, (passes: number) => EventObject[], string, string][] = [
    ['a live save of a running VM (step 2 leaves it SUSPENDED)', true, () => new MemorySink(), liveEvents, 'done', 'SUSPENDED'],
    ['a plain save of a suspended VM', false, () => new MemorySink(), () => [{ type: 'start' }, { type: 'finish', rc: 0 }], 'done', 'SUSPENDED'],
    // Step 1 failed: SSMR3LiveDone, then the vmR3LiveDoStep1Cleanup ONCE rendezvous takes RUNNING_LS back to RUNNING.
    ['a live save whose stream fails in step 1', true, diskFull,
      () => [{ type: 'start' }, { type: 'prep' }, { type: 'exec' }, { type: 'liveDone' }, { type: 'cleanup' }, { type: 'finish', rc: VERR_WRITE_ERROR }], 'failed', 'RUNNING'],
  ];
  it.each(CASES)('%s walks the machine\'s states in order, one actor per flow', async (_title, running, sink, events, end, vmState) => {
    const recorder = new TraceRecorder({ source: 'test', setup: { cpus: 2 } });
    const vmm = createVMM({ inspect: recorder });
    const vm = await vmm.create({ cpus: 2 });
    await vm.powerOn();
    if (!running) await vm.suspend();
    const rc = await vm.save(sink()).then((r) => (expect(r.live).toBe(running), r.passes), (e: VBoxError) => (expect(e.rc).toBe(VERR_WRITE_ERROR), 0));
    const state = vm.state;
    await vm.powerOff();
    vmm.dispose();
    expect(state).toBe(vmState);
    const inspect = recorder.records.flatMap((r) => (r.type === 'inspect' ? [r.event as Record<string, any>] : []));
    const flows = inspect.filter((r) => r.type === '@xstate.actor' && r.machine === 'vmSaveTeleport');
    expect(flows).toHaveLength(1);
    const id = flows[0]!.actorId as string;
    expect(flows[0]).toMatchObject({ parentId: vm.core.id });
    const snapshots = inspect.filter((r) => r.type === '@xstate.snapshot' && r.actorId === id);
    const expected = events(rc);
    expect(snapshots.map((r) => r.snapshot.value)).toEqual(walk(vmSaveTeleportMachine, expected));
    expect(snapshots.map((r) => r.event.type)).toEqual(expected.map((e) => e.type));
    expect(snapshots.at(-1)?.snapshot.value).toBe(end);
    // The flow hung off the VM's saved-state port while it ran, and left it when it ended.
    expect(vm.core.ssm?.saveFlows).toEqual([]);
  });
});
