/**
 * Each request completes exactly once with a status (vbox-facts.md §5.11): a queued packet goes QUEUED →
 * PROCESSING → COMPLETED once (or is killed, INVALID, at destruction) before it is freed or requeued for the
 * next CPU, its status is a real status (not VERR_VM_REQUEST_STATUS_STILL_PENDING), and no run ends with a
 * queued packet that never completed.
 */
import { statusName, VERR_VM_REQUEST_STATUS_STILL_PENDING } from '../../status.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { KeyWriter } from '../key-writer.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';

export const requestOnce: PropertyDef = {
  name: 'request-once',
  description: 'every queued request completes exactly once with a status, and none is left behind when a run ends (§5.11)',
  create: () => new RequestOnceMonitor(),
};

class RequestOnceMonitor implements Monitor {
  /** Raw packet id → completions in the current life (from QUEUED to FREE or requeue). */
  private readonly lives = new Map<number, number>();
  readonly name = 'request-once';
  readonly events: readonly VmTraceEvent['kind'][] = ['request'];
  onEvent(event: VmTraceEvent, ctx: MonitorContext): void {
    if (event.kind !== 'request') return;
    const world = ctx.view.world;
    if (event.to === 'QUEUED') this.lives.set(event.id, 0);
    else if (event.to === 'COMPLETED' || event.to === 'INVALID') {
      const count = (this.lives.get(event.id) ?? 0) + 1;
      this.lives.set(event.id, count);
      if (count > 1) ctx.fail('request-once', `request ${world.labels.reqName(world.labels.reqById.get(event.id)!)} (target ${event.target}) completed ${count} times`);
      const status = world.labels.reqById.get(event.id)?.status;
      if (status === undefined || !Number.isInteger(status) || status === VERR_VM_REQUEST_STATUS_STILL_PENDING) {
        ctx.fail('request-once', `request ${world.labels.reqName(world.labels.reqById.get(event.id)!)} completed without a status (${status === undefined ? 'none' : statusName(status)})`);
      }
    } else if (event.to === 'FREE' || (event.from === 'COMPLETED' && event.to === 'ALLOCATED')) {
      if ((this.lives.get(event.id) ?? 1) === 0) ctx.fail('request-once', `request ${world.labels.reqName(world.labels.reqById.get(event.id)!)} was ${event.to === 'FREE' ? 'freed' : 'requeued'} before it completed`);
      this.lives.delete(event.id);
    }
  }
  atTerminal(ctx: MonitorContext): void {
    const world = ctx.view.world;
    for (const [id, count] of this.lives) {
      const req = world.labels.reqById.get(id);
      if (count === 0 && req) {
        ctx.fail('request-once', `request ${world.labels.reqName(req)} (target ${String(req.target)}) never completed: the run ended with it ${req.state}`);
        return;
      }
    }
  }
  encode(key: KeyWriter): void {
    let done = 0;
    for (const count of this.lives.values()) done += count;
    key.w(this.lives.size);
    key.w(done);
  }
}

persistable('RequestOnceMonitor', RequestOnceMonitor);
