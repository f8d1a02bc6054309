/**
 * GVMM's handle lists stay consistent with the VM (vbox-facts.md §9.1, §4.1): while the VM exists its handle is
 * bound, cVMs counts it and cEMTs its vCPUs; an EMT other than EMT(0) that left its loop has deregistered
 * (its slot no longer names it) and one still in its loop is registered; after TERMINATED the handle is back
 * on the free list and both counters are zero. Every GVMM call of the lifecycle succeeds.
 */
import { statusName } from '../../status.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';

export const gvmmHandles: PropertyDef = {
  name: 'gvmm-handles',
  description: 'the GVMM handle, cVMs, cEMTs and per-vCPU EMT registrations agree with the VM and its EMTs (§9.1)',
  create: () => new GvmmHandlesMonitor(),
};

class GvmmHandlesMonitor implements Monitor {
  private touched = false;
  readonly name = 'gvmm-handles';
  readonly events: readonly VmTraceEvent['kind'][] = ['gvmm', 'state', 'emt'];
  onEvent(event: VmTraceEvent, ctx: MonitorContext): void {
    if (event.kind === 'gvmm') {
      this.touched = true;
      if (event.rc < 0) ctx.fail('gvmm-handles', `GVMM ${event.op} of vCPU ${event.cpu} by ${event.by} failed with ${statusName(event.rc)} (${event.rc})`);
    } else if (event.kind === 'state' || (event.kind === 'emt' && event.to === 'terminated')) this.touched = true;
  }
  afterStep(ctx: MonitorContext): void {
    if (!this.touched) return;
    this.touched = false;
    const core = ctx.view.world.core;
    const gvmm = core.gvmm;
    if (!gvmm) return;
    const state = gvmm.table.state(core.handle);
    const fail = (what: string) => ctx.fail('gvmm-handles', `VM ${core.vmState}: ${what}`);
    if (core.vmState === 'TERMINATED') {
      if (state !== 'free' || gvmm.cVMs !== 0 || gvmm.cEMTs !== 0) fail(`handle ${core.handle} is ${state}, cVMs ${gvmm.cVMs}, cEMTs ${gvmm.cEMTs} (expected free, 0, 0)`);
      return;
    }
    if (state !== 'bound' || gvmm.cVMs !== 1 || gvmm.cEMTs !== core.cCpus) {
      return fail(`handle ${core.handle} is ${state}, cVMs ${gvmm.cVMs}, cEMTs ${gvmm.cEMTs} (expected bound, 1, ${core.cCpus})`);
    }
    const slots = gvmm.table.context(core.handle).emts;
    for (const emt of core.emts) {
      if (emt.cpu === 0) continue;
      const registered = slots[emt.cpu] === emt.id;
      const exited = emt.state === 'terminated';
      if (registered === exited) fail(`EMT ${emt.cpu} ${exited ? 'left its loop but is still registered' : 'runs but is not registered'} (slot: ${String(slots[emt.cpu])})`);
    }
  }
}

persistable('GvmmHandlesMonitor', GvmmHandlesMonitor);
