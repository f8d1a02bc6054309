/**
 * VMCPUID_ALL and VMCPUID_ALL_REVERSE (vbox-facts.md §5.8): the same packet visits every CPU in turn, 0 … n-1
 * or n-1 … 0, each once, waiting for each before the next. VMR3Destroy relies on ALL_REVERSE so that EMT(0)
 * runs vmR3Destroy last.
 */
import type { Monitor, PropertyDef } from '../property.js';

export const requestOrder: PropertyDef = {
  name: 'request-order',
  description: 'an ALL request runs on CPUs 0 … n-1 and an ALL_REVERSE one on n-1 … 0, each once (§5.8)',
  create(): Monitor {
    const visits = new Map<number, number[]>();
    return {
      name: 'request-order',
      events: ['request'],
      onEvent(event, ctx) {
        if (event.kind !== 'request' || event.to !== 'PROCESSING') return;
        const world = ctx.view.world;
        const req = world.labels.reqById.get(event.id);
        const label = req ? world.labels.reqs.get(req) : undefined;
        const spec = label?.call?.spec;
        const target = spec?.call === 'destroy' ? 'all-reverse' : spec?.call === 'reqCallWait' ? spec.target : undefined;
        if (target !== 'all' && target !== 'all-reverse') return;
        const seen = visits.get(event.id) ?? [];
        const n = ctx.view.cpus;
        const expected = target === 'all' ? seen.length : n - 1 - seen.length;
        if (event.cpu !== expected) {
          ctx.fail('request-order', `${target === 'all' ? 'ALL' : 'ALL_REVERSE'} request ${label!.label} ran on CPU ${event.cpu} as visit ${seen.length + 1}, expected CPU ${expected} (visits so far: ${seen.join(', ') || 'none'})`);
        }
        seen.push(event.cpu ?? -1);
        if (seen.length >= n) visits.delete(event.id);
        else visits.set(event.id, seen);
      },
      encode(key) {
        key.w(visits.size);
        const counts = [...visits.values()].map((seen) => seen.length).sort((a, b) => a - b);
        for (const count of counts) key.w(count);
      },
    };
  },
};
