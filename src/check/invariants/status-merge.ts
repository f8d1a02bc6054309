/**
 * The rendezvous status is the merge of its callbacks' statuses (vbox-facts.md §6.4): first failure sticks,
 * otherwise the lowest informational EM status wins. The reference merge is the pure function the machine
 * exports (mergeRendezvousStatus); this monitor folds it over the statuses it saw in the events and compares
 * the result with what the caller read at finish.
 */
import { mergeRendezvousStatus } from '../../../machines/rendezvous.js';
import { statusName, VINF_SUCCESS } from '../../status.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { KeyWriter } from '../key-writer.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';

export const statusMerge: PropertyDef = {
  name: 'status-merge',
  description: "the status a rendezvous caller reads is the §6.4 merge of the callbacks' statuses",
  create: () => new StatusMergeMonitor(),
};

class StatusMergeMonitor implements Monitor {
  private readonly merged = new Map<string, { status: number; seen: number[] }>();
  readonly name = 'status-merge';
  readonly events: readonly VmTraceEvent['kind'][] = ['rendezvous'];
  onEvent(event: VmTraceEvent, ctx: MonitorContext): void {
    if (event.kind !== 'rendezvous') return;
    if (event.event === 'begin') this.merged.set(event.id, { status: VINF_SUCCESS, seen: [] });
    const watch = this.merged.get(event.id);
    if (!watch) return;
    if (event.event === 'callbackDone' && event.rc !== undefined) {
      watch.status = mergeRendezvousStatus(watch.status, event.rc);
      watch.seen.push(event.rc);
    } else if (event.event === 'finish') {
      if (event.status !== undefined && event.status !== watch.status) {
        ctx.fail('status-merge', `rendezvous ${ctx.view.rendezvousName(event.id)} finished with ${statusName(event.status)} (${event.status}), but merging its callbacks' statuses [${watch.seen.join(', ')}] gives ${statusName(watch.status)} (${watch.status})`);
      }
      this.merged.delete(event.id);
    }
  }
  encode(key: KeyWriter): void {
    key.w(this.merged.size);
    for (const watch of this.merged.values()) key.w(watch.status);
  }
}

persistable('StatusMergeMonitor', StatusMergeMonitor);
