/**
 * VMMEMTRENDEZVOUS_FLAGS_STOP_ON_ERROR (vbox-facts.md §6.1, §6.4): once a callback of such a rendezvous has
 * returned a failure, no EMT runs the callback again in that rendezvous; the rest only pass through.
 */
import { RV_STOP_ON_ERROR } from '../../../machines/rendezvous.js';
import { statusName } from '../../status.js';
import type { Monitor, PropertyDef } from '../property.js';

export const stopOnError: PropertyDef = {
  name: 'stop-on-error',
  description: 'in a STOP_ON_ERROR rendezvous no callback runs after one failed (§6.4)',
  create(): Monitor {
    /** Rendezvous with STOP_ON_ERROR → the first failure seen (null while none). */
    const watches = new Map<string, { cpu: number; rc: number } | null>();
    return {
      name: 'stop-on-error',
      events: ['rendezvous'],
      onEvent(event, ctx) {
        if (event.kind !== 'rendezvous') return;
        if (event.event === 'begin') {
          if (((event.flags ?? 0) & RV_STOP_ON_ERROR) !== 0) watches.set(event.id, null);
        } else if (event.event === 'callbackDone' && watches.has(event.id)) {
          const failed = watches.get(event.id);
          if (failed && event.ran) {
            ctx.fail('stop-on-error', `STOP_ON_ERROR rendezvous ${ctx.view.rendezvousName(event.id)}: the callback ran on EMT ${event.cpu} after EMT ${failed.cpu} failed with ${statusName(failed.rc)}`);
          }
          if (!failed && event.rc !== undefined && event.rc < 0) watches.set(event.id, { cpu: event.cpu ?? -1, rc: event.rc });
        } else if (event.event === 'finish') watches.delete(event.id);
      },
      encode(key) {
        key.w(watches.size);
        for (const failed of watches.values()) key.w(failed ? failed.rc : 0);
      },
    };
  },
};
