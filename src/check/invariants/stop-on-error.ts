/**
 * VMMEMTRENDEZVOUS_FLAGS_STOP_ON_ERROR (vbox-facts.md §6.1, §6.4): once a callback of such a rendezvous has
 * returned a failure, no EMT runs the callback again in that rendezvous; the rest only pass through.
 */
import { RV_STOP_ON_ERROR } from '../../../machines/rendezvous.js';
import { statusName } from '../../status.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { KeyWriter } from '../key-writer.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';

export const stopOnError: PropertyDef = {
  name: 'stop-on-error',
  description: 'in a STOP_ON_ERROR rendezvous no callback runs after one failed (§6.4)',
  create: () => new StopOnErrorMonitor(),
};

class StopOnErrorMonitor implements Monitor {
  /** Rendezvous with STOP_ON_ERROR → the first failure seen (null while none). */
  private readonly watches = new Map<string, { cpu: number; rc: number } | null>();
  readonly name = 'stop-on-error';
  readonly events: readonly VmTraceEvent['kind'][] = ['rendezvous'];
  onEvent(event: VmTraceEvent, ctx: MonitorContext): void {
    if (event.kind !== 'rendezvous') return;
    if (event.event === 'begin') {
      if (((event.flags ?? 0) & RV_STOP_ON_ERROR) !== 0) this.watches.set(event.id, null);
    } else if (event.event === 'callbackDone' && this.watches.has(event.id)) {
      const failed = this.watches.get(event.id);
      if (failed && event.ran) {
        ctx.fail('stop-on-error', `STOP_ON_ERROR rendezvous ${ctx.view.rendezvousName(event.id)}: the callback ran on EMT ${event.cpu} after EMT ${failed.cpu} failed with ${statusName(failed.rc)}`);
      }
      if (!failed && event.rc !== undefined && event.rc < 0) this.watches.set(event.id, { cpu: event.cpu ?? -1, rc: event.rc });
    } else if (event.event === 'finish') this.watches.delete(event.id);
  }
  encode(key: KeyWriter): void {
    key.w(this.watches.size);
    for (const failed of this.watches.values()) key.w(failed ? failed.rc : 0);
  }
}

persistable('StopOnErrorMonitor', StopOnErrorMonitor);
