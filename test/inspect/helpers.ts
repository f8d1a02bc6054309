/** Shared by the inspection tests: a short lifecycle run with inspectors attached, and record filters. */
import { createVMM } from '../../src/api/vmm.js';
import type { InspectorInput } from '../../src/inspect/inspector.js';
import type { InspectionRecord, SnapshotRecord } from '../../src/inspect/records.js';
import type { VmTraceEvent } from '../../src/vmm/vm-core.js';

/**
 * A stable systemId: a VM, one of its parts (its save's SSM handle too; an EMT's walk through a rendezvous is
 * `vm.1/emt.0/rv.3`, machines/rendezvous-member.ts), an external thread (its request call `ext.1/req.2`,
 * machines/req-call.ts), or a GVMM handle.
 */
export const SYSTEM_ID = /^(vm\.\d+(\/((cpu|req|rv)\.\d+|emt\.\d+(\/rv\.\d+)?|halt|ssm))?|ext\.\d+(\/req\.\d+)?|gvmm\/handle\.\d+)$/;

/** The rendezvous that carried the VM's `event` (its begin is the last one before that state change). */
export function rendezvousOf(records: readonly InspectionRecord[], event: string): string {
  const at = records.findIndex((r) => r.type === '@xstate.event' && r.actorId === 'vm.1' && r.event.type === event);
  const begin = records.slice(0, at).reverse().find((r) => r.type === '@xstate.event' && r.event.type === 'begin');
  return begin!.actorId;
}

/** create → powerOn → powerOff → destroy on `cpus` vCPUs; returns the engine's own events too. */
export async function lifecycle(inspect: InspectorInput | undefined, cpus = 2) {
  const vmm = createVMM({ ...(inspect ? { inspect } : {}) });
  const vm = await vmm.create({ cpus });
  const events: VmTraceEvent[] = [];
  vm.events$.subscribe((e) => events.push(e));
  await vm.powerOn();
  await vm.powerOff();
  await vm.destroy();
  vmm.dispose();
  return { vmm, vm, events };
}

export function collect(protocol: 'v5' | 'v6' = 'v5') {
  const records: InspectionRecord[] = [];
  return { records, sink: { protocol, record: (r: InspectionRecord) => records.push(r) } };
}

export const snapshotsOf = (records: readonly InspectionRecord[], actorId: string) =>
  records.filter((r): r is SnapshotRecord => r.type === '@xstate.snapshot' && r.actorId === actorId);

/** Drop what differs between live and derived streams (numbering, contexts only a live engine knows). */
export function comparable(record: InspectionRecord): Record<string, unknown> {
  const { seq: _seq, ...rest } = record as InspectionRecord & Record<string, unknown>;
  if ('snapshot' in rest && rest.snapshot) {
    const { context: _context, ...snapshot } = rest.snapshot as Record<string, unknown>;
    rest.snapshot = snapshot;
  }
  return rest;
}
