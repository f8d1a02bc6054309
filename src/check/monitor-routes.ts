/**
 * Which of a world's monitors hear each event kind, and whether any wants the engine's fine-grained events (a
 * rendezvous member's every edge, a request call's: those the engine emits only when a listener wants detail).
 * A world copy's routes are transient (built again on its first event), so they are shared by every world whose
 * monitors ask for the same kinds: indices into the world's monitors, no table or array per world.
 */
import type { VmTraceEvent } from '../vmm/vm-core.js';
import type { Monitor } from './property.js';

type Kind = VmTraceEvent['kind'];

export interface MonitorRoutes {
  /** The monitors (by index) that hear a kind; a kind met first is added on the spot. */
  readonly byKind: Map<Kind, readonly number[]>;
  /** Some monitor hears the kinds only a detail listener gets. */
  readonly detail: boolean;
  readonly wants: readonly (readonly Kind[] | null | undefined)[];
}

/** The kinds VmCore emits only when a listener wants detail (VmCore.wantsDetail's callers). */
const DETAIL_KINDS: readonly Kind[] = ['rendezvous-member', 'machine'];

const shared = new Map<string, MonitorRoutes>();
/** The routes last handed out: a world copy's monitors ask as its original's did, so this is checked first. */
let recent: MonitorRoutes | undefined;

/** A monitor's ask: null for every kind, undefined for none (no onEvent). */
const askOf = (monitor: Monitor): readonly Kind[] | null | undefined => (monitor.onEvent ? (monitor.events ?? null) : undefined);

/** The routes of `monitors`, shared by every world whose monitors ask the same (in the same order). */
export function routesOf(monitors: readonly Monitor[]): MonitorRoutes {
  if (recent && asksAlike(recent.wants, monitors)) return recent;
  let signature = '';
  for (const monitor of monitors) {
    const ask = askOf(monitor);
    signature += ask === undefined ? '-,' : ask === null ? '*,' : ask.join('+') + ',';
  }
  let routes = shared.get(signature);
  if (!routes) {
    const wants = monitors.map(askOf);
    const detail = wants.some((ask) => ask === null || (ask !== undefined && ask.some((kind) => DETAIL_KINDS.includes(kind))));
    routes = { byKind: new Map(), detail, wants };
    shared.set(signature, routes);
  }
  return (recent = routes);
}

/** Whether `monitors` ask for what `wants` says (element by element: building no signature). */
function asksAlike(wants: MonitorRoutes['wants'], monitors: readonly Monitor[]): boolean {
  if (wants.length !== monitors.length) return false;
  for (let i = 0; i < wants.length; i++) {
    const want = wants[i];
    const ask = askOf(monitors[i]!);
    if (want === ask) continue;
    if (!want || !ask || want.length !== ask.length) return false;
    for (let k = 0; k < want.length; k++) if (want[k] !== ask[k]) return false;
  }
  return true;
}

/** The indices of the monitors that hear `kind`. */
export function routeOf(routes: MonitorRoutes, kind: Kind): readonly number[] {
  let route = routes.byKind.get(kind);
  if (!route) {
    route = [];
    for (let i = 0; i < routes.wants.length; i++) {
      const ask = routes.wants[i];
      if (ask === null || (ask !== undefined && ask.includes(kind))) (route as number[]).push(i);
    }
    routes.byKind.set(kind, route);
  }
  return route;
}
