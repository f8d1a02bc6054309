/**
 * After VMR3Save returns, nothing is left in a live-save state (vbox-facts.md §7.1): a live save ends SUSPENDED
 * (or wherever step 2 or the cleanup put it: OFF, FATAL_ERROR, GURU_MEDITATION, RUNNING), because no other API
 * leaves SUSPENDED_EXT_LS, SUSPENDED_LS, OFF_LS … once the saving thread is gone. As written (§12 item 2)
 * VirtualBox breaks this when a VMR3Suspend lands during the live phase.
 */
import { statusName } from '../../status.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { CallRef } from '../labels.js';

export const saveCleanup: PropertyDef = {
  name: 'save-cleanup',
  description: 'when VMR3Save returns, the VM is not left in a live-save (_LS) state (§7.1)',
  create: () => new SaveCleanupMonitor(),
};

class SaveCleanupMonitor implements Monitor {

  readonly name = 'save-cleanup';
  onCallEnd(call: CallRef, rc: number, ctx: MonitorContext): void {
    if (call.spec.call !== 'save' && call.spec.call !== 'teleport') return;
    const state = ctx.view.vmState;
    if (state.endsWith('_LS')) {
      ctx.fail('save-cleanup', `${call.label} ${call.spec.call} returned ${statusName(rc)} (${rc}) but left the VM in ${state}: no API leaves a live-save state once the saving thread is gone`);
    }
  }
}

persistable('SaveCleanupMonitor', SaveCleanupMonitor);
