/**
 * An external thread's request call as data (issue 12, "state is data"): VMR3ReqCallWaitU from a thread outside
 * the VM (VMReq.cpp, vbox-facts.md §5) is the reqCall machine (machines/req-call.ts). Checked here:
 *   - while the call waits, the queued packet and the waiting thread hold no function values: the callback is a
 *     function-table id (req.fnId), the waiter a record, the thread's wake-ups `{ target, event }` records;
 *   - each call's walk (alloc → queue → wait → [timeout] → completed / NO_WAIT) reaches a recorded trace as the
 *     machine's edges, in order. The expected walks are §5's call sequence, not read off the engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createVMM, VERR_TIMEOUT, VINF_SUCCESS, VMREQFLAGS_NO_WAIT, type CpuTarget, type Vmm } from '../../src/index.js';
import { TraceRecorder } from '../../src/inspect/recorder.js';
import { MachineCell } from '../../src/sched/machine-cell.js';
import { OperationCall } from '../../src/vmm/external.js';
import { ReqPool } from '../../src/vmm/requests.js';
import { VmCore } from '../../src/vmm/vm-core.js';
import { EmtGate } from '../support/emt-gate.js';

const vmms: Vmm[] = [];
afterEach(() => {
  for (const vmm of vmms.splice(0)) vmm.dispose();
});

/**
 * Paths under `value` that hold a function. The engine's shared structure a packet or a call points at (the
 * VM, the packet pool) is not the packet's own state and is not walked; a machine cell counts by its snapshot.
 */
function functionPaths(value: unknown, path = '$', seen = new Set<unknown>()): string[] {
  if (typeof value === 'function') return [path];
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  if (value instanceof VmCore || value instanceof ReqPool) return [];
  if (value instanceof MachineCell) return functionPaths({ value: value.value, context: value.context }, `${path}.cell`, seen);
  // The operation's call (the caller's `done`): its scheduler hold and kill switch are the promise API's, not the call's state.
  const fields = Object.entries(value).filter(([k]) => !(value instanceof OperationCall && (k === 'release' || k === 'untrack')));
  // The thread's pending steps live in a private field; its `work` getter shows them.
  const work = (value as { work?: unknown }).work;
  if (Array.isArray(work)) fields.push(['work', work]);
  return fields.flatMap(([k, v]) => functionPaths(v, `${path}.${k}`, seen));
}

describe('a waiting external request call is data', () => {
  it('the queued packet, its caller and the waiting thread hold only ids and records', async () => {
    const vmm = createVMM({ seed: 1 });
    vmms.push(vmm);
    const vm = await vmm.create({ cpus: 2 });
    const gate = new EmtGate(vm.core.emts[1]!);
    let ran = false;
    const fn = () => void (ran = true);
    const pending = vm.reqCall({ target: 1 }, fn);
    await vmm.advance(0); // the caller's thread queued the packet and waits (forever); EMT 1 is held
    const req = vm.core.cpuQueues[1]!.normal[0]!;
    expect(req.state).toBe('QUEUED');
    const call = req.caller!;
    expect(call.state).toBe('waiting');
    expect(call.thread.work).toEqual([]);
    expect(vm.core.functions.get(req.fnId)).toBe(fn); // the callback lives in the VM's table, by id
    expect(functionPaths(req)).toEqual([]);
    expect(functionPaths(call.thread)).toEqual([]);
    gate.release();
    expect(await pending).toBe(VINF_SUCCESS);
    expect(ran).toBe(true);
    expect(req.state).toBe('FREE');
    expect(() => vm.core.functions.get(req.fnId)).toThrow(); // freed with the packet
  });

  it('a wait that timed out leaves a packet with a caller record; the late completion frees it', async () => {
    const vmm = createVMM({ seed: 2 });
    vmms.push(vmm);
    const vm = await vmm.create({ cpus: 2 });
    const gate = new EmtGate(vm.core.emts[1]!);
    const tables = vm.core.functions.size;
    await expect(vm.reqCall({ target: 1, timeoutMs: 5 }, () => VINF_SUCCESS)).rejects.toMatchObject({ rc: VERR_TIMEOUT });
    const req = vm.core.cpuQueues[1]!.normal[0]!;
    expect(req.caller?.state).toBe('timedOut');
    expect(functionPaths(req)).toEqual([]);
    gate.release();
    await vmm.advance(0);
    expect(req.state).toBe('FREE');
    expect(vm.core.functions.size).toBe(tables); // neither the callback nor the report stays behind
  });
});

interface Case {
  name: string;
  target: CpuTarget;
  flags?: number;
  timeoutMs?: number;
  /** Hold this EMT until the call has answered. */
  gate?: number;
  /** §5: the caller's walk, as `from>to:event`. */
  walk: string[];
}

const CASES: Case[] = [
  { name: 'one CPU: alloc, queue, wait, completed, free', target: 1, walk: ['idle>allocated:alloc', 'allocated>waiting:queue', 'waiting>done:complete'] },
  { name: 'NO_WAIT: alloc, queue, answered at once', target: 1, flags: VMREQFLAGS_NO_WAIT, walk: ['idle>allocated:alloc', 'allocated>detached:queueNoWait'] },
  {
    name: 'VMCPUID_ALL on 2 CPUs: the same packet to each CPU in turn', target: 'all',
    walk: ['idle>allocated:alloc', 'allocated>waiting:queue', 'waiting>allocated:nextCpu', 'allocated>waiting:queue', 'waiting>done:complete'],
  },
  {
    name: 'a timeout: VERR_TIMEOUT, then the late completion', target: 1, timeoutMs: 5, gate: 1,
    walk: ['idle>allocated:alloc', 'allocated>waiting:queue', 'waiting>timedOut:timeout', 'timedOut>done:complete'],
  },
];

describe('the reqCall machine in a recorded trace', () => {
  it.each(CASES)('$name', async ({ target, flags, timeoutMs, gate, walk }) => {
    const recorder = new TraceRecorder({ source: 'test', setup: { cpus: 2 } });
    const vmm = createVMM({ inspect: recorder });
    vmms.push(vmm);
    const vm = await vmm.create({ cpus: 2 });
    const held = gate === undefined ? undefined : new EmtGate(vm.core.emts[gate]!);
    const from = recorder.records.length;
    const rc = await vm.reqCall({ target, ...(flags === undefined ? {} : { flags }), ...(timeoutMs === undefined ? {} : { timeoutMs }) }, () => VINF_SUCCESS)
      .catch((error: { rc: number }) => error.rc);
    expect(rc).toBe(timeoutMs === undefined ? VINF_SUCCESS : VERR_TIMEOUT);
    held?.release();
    await vmm.advance(0);
    const steps = recorder.records.slice(from).flatMap((r) => {
      const e = r.type === 'inspect' ? (r.event as Record<string, any>) : undefined;
      if (e?.type !== '@xstate.microstep' || !/^ext\.\d+\/req\.\d+$/.test(e.actorId)) return [];
      return (e.transitions as { source: string; target: string; eventType: string }[]).map((t) => ({ actor: e.actorId as string, edge: `${t.source}>${t.target}:${t.eventType}` }));
    });
    expect(new Set(steps.map((s) => s.actor)).size).toBe(1); // one call, one actor
    expect(steps.map((s) => s.edge)).toEqual(walk);
  });
});
