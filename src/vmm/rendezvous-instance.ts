/**
 * One rendezvous instance at run time (VMMR3EmtRendezvous's shared state, §6.3): the rendezvous machine
 * (machines/rendezvous.ts: counters, order, status merge) and who has entered; its cell reports every edge.
 */
import { rendezvousMachine, type RendezvousContext, type RendezvousEvent } from '../../machines/rendezvous.js';
import { MachineCell, type TransitionListener } from '../sched/machine-cell.js';
import { heldCell, sendHeld, type CellHolder } from '../sched/held-cell.js';
import type { EventObject } from 'xstate';
import type { RendezvousCallback } from './types.js';
import type { VmCore } from './vm-core.js';
import { persistable } from '../persist/registry.js';

/** One rendezvous: the machine plus who has entered and returned. */
export class RendezvousInstance implements CellHolder<RendezvousEvent> {
  /** The rendezvous machine: a held cell (send; world copies share it). */
  cell: MachineCell<RendezvousEvent>;
  readonly entered = new Set<number>();

  constructor(
    readonly vm: VmCore,
    readonly id: string,
    /** The callback, by id in the VM's function table (the caller's frame releases it). */
    readonly callbackId: number,
    readonly parent: RendezvousInstance | null,
  ) {
    this.cell = heldCell<RendezvousEvent>(vm.host.machines?.rendezvous ?? rendezvousMachine, id);
  }

  /** Step the rendezvous machine; false when its state refuses the event. */
  send(event: RendezvousEvent): boolean {
    return sendHeld(this, event);
  }

  /** The instance cell's edges (sendHeld reports them: no closure per instance or per world copy). */
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1], anyEvent: EventObject): void {
    const { vm, id } = this;
    const event = anyEvent as RendezvousEvent;
    const cpu = 'cpu' in event ? event.cpu : null;
    const tNs = vm.nowNs();
    const type = event.type;
    const to = cell.value;
    const was = from.value as string;
    // One object literal per shape (no spreads): begin carries the flags, callbackDone the status, finish the merge.
    vm.emit(
      type === 'begin'
        ? { kind: 'rendezvous', id, from: was, to, event: type, cpu, tNs, flags: event.flags }
        : type === 'callbackDone'
          ? { kind: 'rendezvous', id, from: was, to, event: type, cpu, tNs, rc: event.rc, ran: event.ran }
          : type === 'finish'
            ? { kind: 'rendezvous', id, from: was, to, event: type, cpu, tNs, status: (from.context as RendezvousContext).status }
            : { kind: 'rendezvous', id, from: was, to, event: type, cpu, tNs },
    );
  }

  get callback(): RendezvousCallback {
    return this.vm.functions.get<RendezvousCallback>(this.callbackId);
  }

  get ctx(): RendezvousContext {
    return this.cell.context as RendezvousContext;
  }

  get phase(): string {
    return this.cell.value;
  }

  /** The done multi-event is signalled once every callback has finished (or ONCE's one did). */
  get doneSignalled(): boolean {
    return this.phase === 'returning' || this.phase === 'finishing' || this.phase === 'idle';
  }

  mayRun(cpu: number): boolean {
    const ctx = this.ctx;
    if (this.phase !== 'running' || ctx.order.includes(cpu)) return false;
    if (ctx.released) return true;
    if (ctx.runner === cpu) return true;
    return ctx.type === 'one-by-one' && ctx.token;
  }
}

persistable('RendezvousInstance', RendezvousInstance, {
  owned: ['entered'],
  history: ['id'],
  // Who has entered: a set (CPUs enter in whatever order the scheduler ran them).
  unordered: ['entered'],
  keyFields: { callbackId: (instance, id: number) => instance.vm.functions.peek(id) },
});
