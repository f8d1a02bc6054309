/**
 * Every VMSTATE change is an edge of the reference table (vmR3ValidateStateTransition, vbox-facts.md §1.2), or
 * one of the two reset edges VM.cpp takes without it (RESETTING → SUSPENDED, SOFT_RESETTING → SUSPENDED) and
 * then only when the reset started SUSPENDED. The table is the checker's own copy of the reference data, not
 * the machine under test. A VM whose state moves without a state event is caught too.
 */
import type { VmState } from '../../../machines/vm.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { KeyWriter } from '../key-writer.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';
import { VMSTATE_CODE_ONLY_EDGES, VMSTATE_TABLE_EDGES } from '../vmstate-table.js';
import { intern } from '../labels.js';

const TABLE = new Set(VMSTATE_TABLE_EDGES.map(([from, to]) => `${from}>${to}`));
const CODE_ONLY = new Set(VMSTATE_CODE_ONLY_EDGES.map((e) => `${e.from}>${e.to}`));
const LEGAL_FROM = new Map<string, string[]>();
for (const [from, to] of VMSTATE_TABLE_EDGES) LEGAL_FROM.set(from, [...(LEGAL_FROM.get(from) ?? []), to]);

export const vmstateEdge: PropertyDef = {
  name: 'vmstate-edge',
  description: 'every VMSTATE change is one of the 65 edges of vmR3ValidateStateTransition, or a code-only reset edge taken when enmPrevVMState was SUSPENDED (§1.2)',
  create: () => new VmstateEdgeMonitor(),
};

class VmstateEdgeMonitor implements Monitor {
  private current: VmState = 'CREATING';
  private enteredFrom: VmState | null = null;
  readonly name = 'vmstate-edge';
  start(ctx: MonitorContext): void {
    // Whether or not creation was watched, every world starts from the same monitor state.
    this.current = ctx.view.vmState;
    this.enteredFrom = ctx.view.prevState;
  }
  readonly events: readonly VmTraceEvent['kind'][] = ['state'];
  onEvent(event: VmTraceEvent, ctx: MonitorContext): void {
    if (event.kind !== 'state') return;
    const edge = `${event.from}>${event.to}`;
    if (CODE_ONLY.has(edge)) {
      if (this.enteredFrom !== 'SUSPENDED') {
        ctx.fail('vmstate-edge', `VMSTATE ${event.from} -> ${event.to} by ${event.by}: this code-only edge is taken only when the reset started SUSPENDED, but it started ${this.enteredFrom ?? 'nowhere'}`);
      }
    } else if (!TABLE.has(edge)) {
      const legal = LEGAL_FROM.get(event.from) ?? [];
      ctx.fail('vmstate-edge', `VMSTATE ${event.from} -> ${event.to} by ${event.by} is not an edge of the reference table (from ${event.from}: ${legal.join(', ') || 'none'})`);
    }
    if (event.from !== this.current) ctx.fail('vmstate-edge', `VMSTATE event ${event.from} -> ${event.to}, but the last change left the VM in ${this.current}`);
    this.enteredFrom = event.from;
    this.current = event.to;
  }
  afterStep(ctx: MonitorContext): void {
    const actual = ctx.view.vmState;
    if (actual !== this.current) ctx.fail('vmstate-edge', `the VM is in ${actual} but the last VMSTATE change was to ${this.current}: a state change without its event`);
  }
  encode(key: KeyWriter): void {
    key.w(this.enteredFrom ? intern(this.enteredFrom) : -1);
  }
}

persistable('VmstateEdgeMonitor', VmstateEdgeMonitor);
