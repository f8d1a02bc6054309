/**
 * The rendezvous status is the merge of its callbacks' statuses (vbox-facts.md §6.4): first failure sticks,
 * otherwise the lowest informational EM status wins. The reference merge is the pure function the machine
 * exports (mergeRendezvousStatus); this monitor folds it over the statuses it saw in the events and compares
 * the result with what the caller read at finish.
 */
import { mergeRendezvousStatus } from '../../../machines/rendezvous.js';
import { statusName, VINF_SUCCESS } from '../../status.js';
import type { Monitor, PropertyDef } from '../property.js';

export const statusMerge: PropertyDef = {
  name: 'status-merge',
  description: "the status a rendezvous caller reads is the §6.4 merge of the callbacks' statuses",
  create(): Monitor {
    const merged = new Map<string, { status: number; seen: number[] }>();
    return {
      name: 'status-merge',
      events: ['rendezvous'],
      onEvent(event, ctx) {
        if (event.kind !== 'rendezvous') return;
        if (event.event === 'begin') merged.set(event.id, { status: VINF_SUCCESS, seen: [] });
        const watch = merged.get(event.id);
        if (!watch) return;
        if (event.event === 'callbackDone' && event.rc !== undefined) {
          watch.status = mergeRendezvousStatus(watch.status, event.rc);
          watch.seen.push(event.rc);
        } else if (event.event === 'finish') {
          if (event.status !== undefined && event.status !== watch.status) {
            ctx.fail('status-merge', `rendezvous ${ctx.view.rendezvousName(event.id)} finished with ${statusName(event.status)} (${event.status}), but merging its callbacks' statuses [${watch.seen.join(', ')}] gives ${statusName(watch.status)} (${watch.status})`);
          }
          merged.delete(event.id);
        }
      },
      encode(key) {
        key.w(merged.size);
        for (const watch of merged.values()) key.w(watch.status);
      },
    };
  },
};
