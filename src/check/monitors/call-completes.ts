/**
 * Liveness as a P-style hot-state monitor: the monitor is hot while some client call is in flight, and no
 * infinite run may stay hot forever under weak fairness (an actor that stays able to step eventually steps).
 * Runs that end are judged by the deadlock invariant; this monitor judges cycles: the explorer looks for a
 * strongly connected set of states, all hot, that admits a fair cycle.
 */
import type { CallRef } from '../labels.js';
import { describeCall } from '../scenario.js';
import type { WorldView } from '../view.js';

export const callCompletes = {
  name: 'liveness',
  description: 'every client call eventually returns under weakly fair scheduling (hot state: a call in flight)',
  /** The calls that keep the monitor hot. */
  hot(view: WorldView): CallRef[] {
    return view.pendingCalls;
  },
  message(calls: readonly CallRef[], cycleSteps: number): string {
    const list = calls.map((c) => `${c.label} ${describeCall(c.spec)}`).join(', ');
    return `liveness: ${list} never returns: a fair cycle of ${cycleSteps} steps keeps the monitor in its hot state 'call in flight'`;
  },
};
