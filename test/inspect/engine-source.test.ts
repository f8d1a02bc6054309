/**
 * Goal: a trace's engine events announce each actor exactly once, in the state its first event leaves, with
 * the VM as a root (no parent) and everything else under its VM — also when the VM's first event is a state
 * change, as in an observed excerpt of a VBox.log that starts mid-life (SUSPENDING) and has no context line
 * before it. Method: one-event traces through inspectionOf (the viewer's path), the @xstate.actor records
 * counted; and the hand-trimmed real log of test/observe/fixtures end to end.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inspectionOf } from '../../src/inspect/replayer.js';
import type { TraceRecord } from '../../src/inspect/trace-format.js';
import { observeFile } from '../../src/observe/index.js';

const stateChange = (from: string, to: string): TraceRecord =>
  ({ type: 'event', seq: 0, vm: 1, event: { kind: 'state', from, to, event: 'x', by: 'log', tNs: 5 } }) as unknown as TraceRecord;

const announcements = (records: readonly TraceRecord[], actorId: string) =>
  inspectionOf(records).filter((r) => r.type === '@xstate.actor' && r.actorId === actorId);

describe('EngineFactSource: announcing actors', () => {
  it.each([
    ['CREATING', 'CREATED'],
    ['SUSPENDING', 'SUSPENDED'],
    ['RUNNING', 'POWERING_OFF'],
  ])("a VM whose first event is the change %s -> %s is announced once, in the state it leaves, as a root", (from, to) => {
    const actors = announcements([stateChange(from, to)], 'vm.1');
    expect(actors).toHaveLength(1);
    expect(actors[0]).toMatchObject({ actorId: 'vm.1', rootId: 'vm.1', snapshot: { value: from } });
    expect(actors[0]).not.toHaveProperty('parentId');
  });

  it('a vCPU seen before its VM: the VM is announced once (CREATING, a root), the vCPU under it', () => {
    const cpu = { type: 'event', seq: 0, vm: 1, event: { kind: 'cpu-state', cpu: 0, from: 'STOPPED', to: 'STARTED', tNs: 5 } } as unknown as TraceRecord;
    const records = [cpu, { ...stateChange('CREATED', 'POWERING_ON'), seq: 1 } as TraceRecord];
    const vm = announcements(records, 'vm.1');
    expect(vm).toHaveLength(1);
    expect(vm[0]).not.toHaveProperty('parentId');
    expect(announcements(records, 'vm.1/cpu.0')).toEqual([expect.objectContaining({ parentId: 'vm.1', rootId: 'vm.1' })]);
  });

  it("an observed excerpt (thebagmaster's log starts in SUSPENDING): the log's VM is announced once, in SUSPENDING", async () => {
    const file = fileURLToPath(new URL('../observe/fixtures/thebagmaster__WEB_Streambot__Logs__VBox.log.2.log', import.meta.url));
    const { trace } = await observeFile(file);
    const vm = announcements(trace, 'vm.1');
    expect(vm.map((r) => (r.type === '@xstate.actor' ? r.snapshot.value : null))).toEqual(['SUSPENDING']);
    expect(vm[0]).not.toHaveProperty('parentId');
  });
});
