/**
 * A lifecycle call that reports success took its own edge (vbox-facts.md §1.4): VMR3PowerOn moved CREATED →
 * POWERING_ON, VMR3Suspend RUNNING(_LS) → SUSPENDING(_EXT_LS), VMR3Resume SUSPENDED → RESUMING, VMR3Reset into
 * RESETTING(_LS) (or POWERING_OFF with PowerOffInsteadOfReset), VMR3PowerOff into POWERING_OFF(_LS),
 * VMR3Destroy OFF → DESTROYING, a fatal runtime error RUNNING(_LS) → FATAL_ERROR(_LS). Edges are credited to
 * the call whose request (or rendezvous) the stepping EMT serves, so a racing call cannot lend its edge.
 */
import { statusName } from '../../status.js';
import type { CallRef } from '../labels.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { KeyWriter } from '../key-writer.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';
import type { CallSpec } from '../scenario.js';
import { VMSETRTERR_FLAGS_FATAL } from '../../vmm/operations.js';

/** The edges (`FROM>TO`) that prove a call did its work, or undefined when success proves nothing. */
export function provingEdges(spec: CallSpec, powerOffInsteadOfReset: boolean): readonly string[] | undefined {
  switch (spec.call) {
    case 'powerOn':
      return ['CREATED>POWERING_ON'];
    case 'suspend':
      return ['RUNNING>SUSPENDING', 'RUNNING_LS>SUSPENDING_EXT_LS'];
    case 'resume':
      return ['SUSPENDED>RESUMING'];
    case 'reset':
      return powerOffInsteadOfReset ? POWER_OFF_EDGES : ['RUNNING>RESETTING', 'SUSPENDED>RESETTING', 'RUNNING_LS>RESETTING_LS'];
    case 'powerOff':
      return POWER_OFF_EDGES;
    case 'destroy':
      return ['OFF>DESTROYING'];
    case 'save':
    case 'teleport':
      return ['SUSPENDED>SAVING', 'RUNNING>RUNNING_LS'];
    case 'loadFromFile':
    case 'loadFromStream':
      return ['CREATED>LOADING', 'SUSPENDED>LOADING'];
    case 'setRuntimeError':
      return (spec.flags ?? 0) & VMSETRTERR_FLAGS_FATAL ? ['RUNNING>FATAL_ERROR', 'RUNNING_LS>FATAL_ERROR_LS'] : undefined;
    default:
      return undefined;
  }
}

const POWER_OFF_EDGES = [
  'RUNNING>POWERING_OFF', 'SUSPENDED>POWERING_OFF', 'DEBUGGING>POWERING_OFF', 'LOAD_FAILURE>POWERING_OFF',
  'GURU_MEDITATION>POWERING_OFF', 'FATAL_ERROR>POWERING_OFF', 'CREATED>POWERING_OFF', 'RUNNING_LS>POWERING_OFF_LS',
  'DEBUGGING_LS>POWERING_OFF_LS', 'GURU_MEDITATION_LS>POWERING_OFF_LS', 'FATAL_ERROR_LS>POWERING_OFF_LS',
];

export const apiStatus: PropertyDef = {
  name: 'api-status',
  description: 'a lifecycle call that returns success took its own VMSTATE edge (§1.4)',
  create: () => new ApiStatusMonitor(),
};

class ApiStatusMonitor implements Monitor {
  /** Calls in flight that prove something → whether their edge was taken. */
  private readonly inFlight = new Map<CallRef, boolean>();
  readonly name = 'api-status';
  onCallStart(call: CallRef, ctx: MonitorContext): void {
    if (provingEdges(call.spec, ctx.view.powerOffInsteadOfReset)) this.inFlight.set(call, false);
  }
  readonly events: readonly VmTraceEvent['kind'][] = ['state'];
  onEvent(event: VmTraceEvent, ctx: MonitorContext): void {
    if (event.kind !== 'state' || this.inFlight.size === 0) return;
    const owner = ctx.view.world.labels.ownerOfStep().call;
    if (!owner || !this.inFlight.has(owner)) return;
    if (provingEdges(owner.spec, ctx.view.powerOffInsteadOfReset)!.includes(`${event.from}>${event.to}`)) this.inFlight.set(owner, true);
  }
  onCallEnd(call: CallRef, rc: number, ctx: MonitorContext): void {
    const took = this.inFlight.get(call);
    this.inFlight.delete(call);
    if (took === false && rc >= 0) {
      const edges = provingEdges(call.spec, ctx.view.powerOffInsteadOfReset)!.map((e) => e.replace('>', ' -> ')).join(' or ');
      ctx.fail('api-status', `${call.label} ${call.spec.call} returned ${statusName(rc)} (${rc}) but never took ${edges}`);
    }
  }
  encode(key: KeyWriter): void {
    // Sorted: the order calls started in is history, not state.
    key.w(this.inFlight.size);
    this.inFlight.forEach(writeInFlight, key);
    key.sortLast(this.inFlight.size);
  }
}

/** One call in flight, as a word (a module function with the key as `this`: no closure per key). */
function writeInFlight(this: KeyWriter, took: boolean, call: CallRef): void {
  this.w(call.labelId * 2 + (took ? 1 : 0));
}

persistable('ApiStatusMonitor', ApiStatusMonitor, { unordered: ['inFlight'] });
