/**
 * What a run exercised: VMSTATE edges (of the 65 + 2 the reference allows), transitions of every machine (as
 * `from>to` pairs read from the definitions), and the rendezvous types that ran. Collected from the event
 * stream of every world the explorer steps; printed by the reporters and returned in the result.
 */
import { MACHINES } from '../../machines/index.js';
import { rendezvousTypeOf } from '../../machines/rendezvous.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';
import { VBoxError, VERR_SSM_INTEGRITY } from '../status.js';
import { at } from './map-at.js';
import { VMSTATE_ALLOWED_EDGES } from './vmstate-table.js';

/** The machines the checker's worlds run (others, such as the GVMM handle, join when the worlds use them). */
export const COVERED_MACHINES = ['vm', 'vmcpu', 'emt', 'request', 'rendezvous'] as const;
export type MachineName = (typeof COVERED_MACHINES)[number];

export interface MachineCoverage {
  readonly covered: number;
  readonly total: number;
  readonly missing: readonly string[];
}

export interface Coverage {
  /** VMSTATE edges taken, `FROM>TO`, out of the reference's 65 table edges plus the 2 code-only reset edges. */
  readonly vmEdges: { readonly covered: readonly string[]; readonly total: number; readonly missing: readonly string[] };
  readonly machines: Readonly<Record<MachineName, MachineCoverage>>;
  readonly rendezvousTypes: readonly string[];
}

/** Every `from>to` pair a machine's definition allows (targetless transitions stay in their state). */
export function machineTransitions(name: MachineName): string[] {
  const pairs = new Set<string>();
  for (const [from, node] of Object.entries(MACHINES[name].root.states)) {
    for (const transitions of node.transitions.values()) {
      for (const t of transitions) {
        const targets = t.target ?? [];
        if (targets.length === 0) pairs.add(`${from}>${from}`);
        for (const target of targets) pairs.add(`${from}>${target.key}`);
      }
    }
  }
  return [...pairs].sort();
}

const EVENT_MACHINE: Partial<Record<VmTraceEvent['kind'], MachineName>> = {
  state: 'vm', 'cpu-state': 'vmcpu', emt: 'emt', request: 'request', rendezvous: 'rendezvous',
};

/** Whether coverage reads events of this kind (a worker sends the main thread only these: explore-worker.ts). */
export const coversKind = (kind: VmTraceEvent['kind']): boolean => EVENT_MACHINE[kind] !== undefined;

const newSet = (): Set<string> => new Set();

export class CoverageSink {
  /** The pairs seen, by machine, from and to: an event met before builds no `from>to` string. */
  readonly #seen: Record<MachineName, Map<string, Set<string>>> = { vm: new Map(), vmcpu: new Map(), emt: new Map(), request: new Map(), rendezvous: new Map() };
  readonly #types = new Set<string>();

  onEvent(event: VmTraceEvent): void {
    const machine = EVENT_MACHINE[event.kind];
    if (!machine) return;
    const e = event as { from: string; to: string };
    at(this.#seen[machine], e.from, newSet).add(e.to);
    if (event.kind === 'rendezvous' && event.flags !== undefined) this.#types.add(rendezvousTypeOf(event.flags));
  }

  /** Rendezvous that never built an instance (one vCPU: the direct path) still count as exercised. */
  noteRendezvousType(type: string): void {
    this.#types.add(type);
  }

  /** What was seen, as plain data (a checkpoint carries it: checkpoint/), and back. */
  seen(): { machines: Record<string, string[]>; types: string[] } {
    const machines: Record<string, string[]> = {};
    for (const name of COVERED_MACHINES) machines[name] = [...this.#pairs(name)];
    return { machines, types: [...this.#types] };
  }

  /** A pair that is no `from>to` is a forged or torn checkpoint: refused (VERR_SSM_INTEGRITY) as checkpoint/ refuses. */
  restore(seen: { machines: Record<string, string[]>; types: string[] }): void {
    for (const name of COVERED_MACHINES) {
      for (const pair of seen.machines[name] ?? []) {
        const cut = pair.indexOf('>');
        if (cut < 0) throw new VBoxError(VERR_SSM_INTEGRITY, `checkpoint: coverage of ${name}: '${pair}' is no from>to pair`);
        at(this.#seen[name], pair.slice(0, cut), newSet).add(pair.slice(cut + 1));
      }
    }
    for (const t of seen.types) this.#types.add(t);
  }

  /** A machine's pairs seen, as `from>to`. */
  *#pairs(name: MachineName): Iterable<string> {
    for (const [from, tos] of this.#seen[name]) for (const to of tos) yield `${from}>${to}`;
  }

  result(): Coverage {
    const machines = {} as Record<MachineName, MachineCoverage>;
    for (const name of COVERED_MACHINES) {
      const all = machineTransitions(name);
      const seen = new Set(this.#pairs(name));
      machines[name] = { covered: all.filter((t) => seen.has(t)).length, total: all.length, missing: all.filter((t) => !seen.has(t)) };
    }
    const vmSeen = new Set(this.#pairs('vm'));
    const allowed = VMSTATE_ALLOWED_EDGES.map(([from, to]) => `${from}>${to}`);
    return {
      vmEdges: { covered: allowed.filter((e) => vmSeen.has(e)), total: allowed.length, missing: allowed.filter((e) => !vmSeen.has(e)) },
      machines,
      rendezvousTypes: [...this.#types].sort(),
    };
  }
}
