/**
 * VMCPUID_ALL and VMCPUID_ALL_REVERSE (vbox-facts.md §5.8): the same packet visits every CPU in turn, 0 … n-1
 * or n-1 … 0, each once, waiting for each before the next. VMR3Destroy relies on ALL_REVERSE so that EMT(0)
 * runs vmR3Destroy last.
 */
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { KeyWriter } from '../key-writer.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';

export const requestOrder: PropertyDef = {
  name: 'request-order',
  description: 'an ALL request runs on CPUs 0 … n-1 and an ALL_REVERSE one on n-1 … 0, each once (§5.8)',
  create: () => new RequestOrderMonitor(),
};

class RequestOrderMonitor implements Monitor {
  private readonly visits = new Map<number, number[]>();
  readonly name = 'request-order';
  readonly events: readonly VmTraceEvent['kind'][] = ['request'];
  onEvent(event: VmTraceEvent, ctx: MonitorContext): void {
    if (event.kind !== 'request' || event.to !== 'PROCESSING') return;
    const world = ctx.view.world;
    const req = world.labels.reqById.get(event.id);
    const label = req ? world.labels.reqs.get(req) : undefined;
    const spec = label?.call?.spec;
    const target = spec?.call === 'destroy' ? 'all-reverse' : spec?.call === 'reqCallWait' ? spec.target : undefined;
    if (target !== 'all' && target !== 'all-reverse') return;
    const seen = this.visits.get(event.id) ?? [];
    const n = ctx.view.cpus;
    const expected = target === 'all' ? seen.length : n - 1 - seen.length;
    if (event.cpu !== expected) {
      ctx.fail('request-order', `${target === 'all' ? 'ALL' : 'ALL_REVERSE'} request ${label!.label} ran on CPU ${event.cpu} as visit ${seen.length + 1}, expected CPU ${expected} (this.visits so far: ${seen.join(', ') || 'none'})`);
    }
    seen.push(event.cpu ?? -1);
    if (seen.length >= n) this.visits.delete(event.id);
    else this.visits.set(event.id, seen);
  }
  encode(key: KeyWriter): void {
    key.w(this.visits.size);
    this.visits.forEach(writeVisits, key);
    key.sortLast(this.visits.size);
  }
}

/** How far one request has come (a module function with the key as `this`: no closure per key). */
function writeVisits(this: KeyWriter, seen: number[]): void {
  this.w(seen.length);
}

persistable('RequestOrderMonitor', RequestOrderMonitor);
