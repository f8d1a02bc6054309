/**
 * Deadlock: a run ends (no actor can step, no timer is pending) while a client call has not returned. In
 * VirtualBox terms: every EMT sleeps in VMR3WaitU and nobody will ever signal the caller's event semaphore.
 */
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import { describeCall } from '../scenario.js';

export const deadlock: PropertyDef = {
  name: 'deadlock',
  description: 'no run ends with a client call unfinished (nothing can step, no timer, a caller still waits)',
  create: () => new DeadlockMonitor(),
};

class DeadlockMonitor implements Monitor {

  readonly name = 'deadlock';
  atTerminal(ctx: MonitorContext): void {
    const pending = ctx.view.pendingCalls;
    if (pending.length === 0) return;
    const calls = pending.map((c) => `${c.label} ${describeCall(c.spec)}`).join(', ');
    ctx.fail('deadlock', `deadlock: nothing can step and no timer is pending, but ${calls} has not returned (VM ${ctx.view.vmState}; ${ctx.view.describeEmts()})`);
  }
}

persistable('DeadlockMonitor', DeadlockMonitor);
