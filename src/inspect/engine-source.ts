/**
 * Engine events → inspection facts. Every component of a VM reports its transitions on VmCore's listeners
 * (`state`, `cpu-state`, `emt`, `request`, `rendezvous`, `error`, `runtime-error`, and kinds other parts
 * add later); this file names the actor each one is about (a stable systemId), the machine it runs, the
 * event that took the edge (read from the machine graph when the engine does not say) and the actor that
 * caused it: the one the scheduler is stepping (`vm.1/emt.0`, `ext.3`). It works on a live engine and on
 * the `event` records of a trace alike (checker counterexamples carry no inspection records).
 */
import type { SchedChoice } from '../sched/scheduler.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';
import type { InspectionFact } from './adapter.js';
import { findTransition, graphOf, isFinalState, machineByName, machineKeyById, type MachineGraph } from './machine-graph.js';
import type { InspectedEvent, InspectedSnapshot } from './records.js';

/**
 * Engine events of kinds this file does not know. One that names an actor (`systemId`) and its move
 * (`from`, `to`, optionally `machine` from MACHINES and `event`) is shown as that actor's transition;
 * anything else is reported to the VM as an event of type `kind`.
 */
export interface GenericEngineEvent {
  kind: string;
  tNs: number;
  systemId?: string;
  machine?: string;
  from?: string;
  to?: string;
  event?: string;
  [key: string]: unknown;
}

/** Live engines can tell an actor's context (the VM's prevState, a rendezvous' counters). */
export type ContextLookup = (actorId: string, machine: string) => unknown;

const EXTERNAL_ROOT = /^ext\.\d+$/;
/** What a systemId looks like: `vm.1`, `vm.1/emt.0`, `vm.1/halt`, `ext.3`, `gvmm/handle.2`. */
const SYSTEM_ID = /^[a-z][\w-]*(\.\d+)?(\/[a-z][\w-]*(\.\d+)?)*$/i;

const defined = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));

export class EngineFactSource {
  /** The actor the scheduler is stepping; null between steps and while a timer fires. */
  current: string | null = null;
  readonly #snapshots = new Map<string, InspectedSnapshot>();

  constructor(
    readonly emit: (fact: InspectionFact) => void,
    readonly context?: ContextLookup,
  ) {}

  /** A scheduler decision: who steps next. */
  choice(choice: SchedChoice): void {
    this.current = choice.kind === 'step' ? choice.actor : null;
  }

  has(actorId: string): boolean {
    return this.#snapshots.has(actorId);
  }

  /** A new VM got a handle used before (GVMM recycles them): its actors are new actors. */
  forget(rootId: string): void {
    for (const actorId of [...this.#snapshots.keys()]) {
      if (actorId === rootId || actorId.startsWith(`${rootId}/`)) this.#snapshots.delete(actorId);
    }
  }

  /** Announce an actor with its current state (once). */
  announce(actorId: string, machine: string | undefined, value: string, tNs: number, parentId?: string): void {
    if (this.#snapshots.has(actorId)) return;
    const graph = machine ? this.#graph(machine) : undefined;
    if (parentId && !this.#snapshots.has(parentId)) {
      this.announce(parentId, 'vm', this.#graph('vm')?.initial ?? '', tNs);
    }
    const snapshot = this.#snapshot(actorId, machine, graph, value);
    this.#snapshots.set(actorId, snapshot);
    const rootId = parentId ?? actorId;
    this.emit({
      kind: 'actor', actorId, rootId, tNs, snapshot,
      ...(machine ? { machine } : {}), ...(parentId ? { parentId } : {}),
    });
  }

  /** One engine event of VM `vmId`. */
  event(vmId: string, e: VmTraceEvent | GenericEngineEvent): void {
    const ev = e as VmTraceEvent;
    // A VM's first move on a handle whose last VM terminated: GVMM recycled the handle for a new VM.
    if (ev.kind === 'state' && ev.from === 'CREATING' && this.#snapshots.get(vmId)?.status === 'done') this.forget(vmId);
    switch (ev.kind) {
      case 'state': // the VM is a root: no parent (a trace that starts with a change announces it once, in `from`)
        return this.#transition(vmId, null, 'vm', ev.from, ev.to, { type: ev.event }, ev.tNs, this.#cause(vmId, ev.by));
      case 'cpu-state':
        return this.#transition(`${vmId}/cpu.${ev.cpu}`, vmId, 'vmcpu', ev.from, ev.to, undefined, ev.tNs, this.current ?? `${vmId}/emt.${ev.cpu}`);
      case 'emt':
        return this.#transition(`${vmId}/emt.${ev.cpu}`, vmId, 'emt', ev.from, ev.to, undefined, ev.tNs, this.current ?? `${vmId}/emt.${ev.cpu}`);
      case 'request': {
        const queue = ev.cpu === null ? 'global' : `cpu.${ev.cpu}`;
        return this.#transition(`${vmId}/req.${ev.id}`, vmId, 'request', ev.from, ev.to, { target: ev.target, queue }, ev.tNs, this.current ?? undefined);
      }
      case 'rendezvous': {
        const cause = ev.cpu === null ? (this.current ?? undefined) : `${vmId}/emt.${ev.cpu}`;
        const { kind: _kind, id: _id, from: _from, to: _to, event: type, cpu, tNs: _tNs, ...details } = ev;
        const event: InspectedEvent = { type, ...(cpu === null ? {} : { cpu }), ...defined(details) };
        return this.#transition(ev.id, vmId, 'rendezvous', ev.from, ev.to, event, ev.tNs, cause);
      }
      case 'halt-method':
        return this.#transition(`${vmId}/halt`, vmId, machineKeyById('haltMethod'), ev.from, ev.to, undefined, ev.tNs, this.current ?? undefined);
      case 'error':
        return this.#signal(vmId, { type: 'VMSetError', rc: ev.rc, message: ev.message }, ev.tNs);
      case 'runtime-error':
        return this.#signal(vmId, { type: 'VMSetRuntimeError', flags: ev.flags, errorId: ev.errorId, message: ev.message }, ev.tNs);
      default:
        return this.#generic(vmId, e as GenericEngineEvent);
    }
  }

  #generic(vmId: string, e: GenericEngineEvent): void {
    const { kind, tNs, systemId, machine, from, to, event, ...rest } = e;
    if (typeof systemId === 'string' && typeof from === 'string' && typeof to === 'string') {
      const name = typeof machine === 'string' && machineByName(machine) ? machine : undefined;
      const payload = { ...(typeof event === 'string' ? { type: event } : {}), ...rest };
      return this.#transition(systemId, systemId === vmId ? null : vmId, name, from, to, payload, tNs, this.current ?? undefined);
    }
    const payload: InspectedEvent = { ...rest, type: kind };
    for (const [k, v] of [['systemId', systemId], ['machine', machine], ['from', from], ['to', to], ['event', event]] as const) {
      if (v !== undefined) payload[k] = v;
    }
    // Parts that say who acted (GVMM's `by`) name the source when the scheduler does not.
    const by = typeof rest.by === 'string' && SYSTEM_ID.test(rest.by) ? rest.by : undefined;
    this.#signal(vmId, payload, typeof tNs === 'number' ? tNs : 0, by);
  }

  /** Who made a VM state change: the stepping actor, else what the VM said (`emt.N` or `ext`). */
  #cause(vmId: string, by: string): string {
    if (this.current) return this.current;
    return by.startsWith('emt.') ? `${vmId}/${by}` : by;
  }

  #transition(
    actorId: string, parentId: string | null, machine: string | undefined, from: string, to: string,
    event: Partial<InspectedEvent> | undefined, tNs: number, sourceId: string | undefined,
  ): void {
    const graph = machine ? this.#graph(machine) : undefined;
    this.announce(actorId, machine, from, tNs, parentId ?? undefined);
    if (sourceId && !this.#snapshots.has(sourceId) && EXTERNAL_ROOT.test(sourceId)) this.announce(sourceId, undefined, 'active', tNs);
    const edge = graph ? findTransition(graph, from, to, event?.type) : undefined;
    const type = event?.type ?? edge?.event ?? `${from}->${to}`;
    const snapshot = this.#snapshot(actorId, machine, graph, to);
    this.#snapshots.set(actorId, snapshot);
    this.emit({
      kind: 'transition', actorId, rootId: parentId ?? actorId, tNs, snapshot,
      event: { ...event, type }, ...(sourceId ? { sourceId } : {}),
      transitions: [{
        source: from, target: edge ? edge.target : to === from ? null : to, eventType: type,
        ...(edge?.guard ? { guard: edge.guard } : {}),
      }],
    });
  }

  #signal(actorId: string, event: InspectedEvent, tNs: number, by?: string): void {
    this.announce(actorId, 'vm', this.#graph('vm')?.initial ?? '', tNs);
    const sourceId = this.current ?? by;
    if (sourceId && !this.#snapshots.has(sourceId) && EXTERNAL_ROOT.test(sourceId)) this.announce(sourceId, undefined, 'active', tNs);
    const snapshot = this.#snapshots.get(actorId);
    this.emit({ kind: 'signal', actorId, rootId: actorId, tNs, event, ...(sourceId ? { sourceId } : {}), ...(snapshot ? { snapshot } : {}) });
  }

  #snapshot(actorId: string, machine: string | undefined, graph: MachineGraph | undefined, value: string): InspectedSnapshot {
    const status = graph && isFinalState(graph, value) ? 'done' : 'active';
    const context = machine ? this.context?.(actorId, machine) : undefined;
    return context === undefined ? { status, value } : { status, value, context };
  }

  #graph(machine: string): MachineGraph | undefined {
    const definition = machineByName(machine);
    return definition ? graphOf(definition, machine) : undefined;
  }
}
