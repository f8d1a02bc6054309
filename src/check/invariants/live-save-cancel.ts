/**
 * Automatic cancellation of a live save (vbox-facts.md §7.5): VMR3PowerOff from an _LS state (ordinal ≥ 7),
 * VMR3SetGuruMeditation from RUNNING_LS and a fatal runtime error from RUNNING_LS call SSMR3Cancel in the same
 * step that takes the edge, so the saving thread stops at its next unit. Dormant unless a save runs.
 */
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';

const CANCELLING = new Set(['RUNNING_LS>POWERING_OFF_LS', 'DEBUGGING_LS>POWERING_OFF_LS', 'GURU_MEDITATION_LS>POWERING_OFF_LS', 'FATAL_ERROR_LS>POWERING_OFF_LS', 'RUNNING_LS>GURU_MEDITATION_LS', 'RUNNING_LS>FATAL_ERROR_LS']);

export const liveSaveCancel: PropertyDef = {
  name: 'live-save-cancel',
  description: 'leaving RUNNING_LS for power-off, guru meditation or a fatal error cancels the live save (SSMR3Cancel, §7.5)',
  create: () => new LiveSaveCancelMonitor(),
};

class LiveSaveCancelMonitor implements Monitor {
  private pending: { edge: string; cancels: number } | null = null;
  readonly name = 'live-save-cancel';
  readonly events: readonly VmTraceEvent['kind'][] = ['state'];
  onEvent(event: VmTraceEvent, ctx: MonitorContext): void {
    if (event.kind === 'state' && CANCELLING.has(`${event.from}>${event.to}`)) this.pending = { edge: `${event.from} -> ${event.to}`, cancels: ctx.view.cancels };
  }
  afterStep(ctx: MonitorContext): void {
    if (!this.pending) return;
    if (ctx.view.cancels === this.pending.cancels) ctx.fail('live-save-cancel', `VMSTATE ${this.pending.edge} without SSMR3Cancel: the live save goes on after the VM left RUNNING_LS`);
    this.pending = null;
  }
}

persistable('LiveSaveCancelMonitor', LiveSaveCancelMonitor);
