/**
 * GVMM's handle array (vbox-facts.md §9.1): GVMM_MAX_HANDLES entries with 0 as NIL, a free list and a used
 * list linked through `next`, LIFO on both (a new VM goes on the used head, a destroyed one's handle on the
 * free head). Each handle's life and EMT table is a machines/gvmm-handle.ts cell; this file keeps the lists
 * and the cVMs / cEMTs counts in step with it.
 */
import {
  deregisterVCpuStatus, destroyStatus, gvmmHandleMachine, registerVCpuStatus, type GvmmHandleContext,
  type GvmmHandleEvent,
} from '../../machines/gvmm-handle.js';
import { EMPTY_LIST, replacedAt } from '../persist/empty-list.js';
import { persistable } from '../persist/registry.js';
import { emitCellEdge, type CellEdgeSink } from '../sched/cell-edges.js';
import { heldCell, stepHeld } from '../sched/held-cell.js';
import type { MachineCell } from '../sched/machine-cell.js';
import {
  VERR_GVM_TOO_MANY_VMS, VERR_GVMM_IPE_1, VERR_GVMM_IPE_2, VERR_INVALID_HANDLE, VERR_INVALID_POINTER,
  VERR_INVALID_VM_HANDLE, VINF_SUCCESS,
} from '../status.js';
import type { Gvm } from './gvm.js';

/** GVMM_MAX_HANDLES on 64-bit hosts, NIL included: at most 8191 VMs. */
export const GVMM_MAX_HANDLES = 8192;
export const NIL_GVM_HANDLE = 0;

export class GvmmHandleTable {
  /**
   * aHandles[i].iNext where it differs from GVMMR0Init's chain (1 → 2 → … → max-1 → 0): only handles ever
   * used have an entry, so a table of 8192 handles is as small as the VMs it saw (a snapshot writes it). Replaced,
   * never changed (frozen; a VM's creation or destruction writes it): world copies share it.
   */
  private links: readonly number[] = EMPTY_LIST;
  /**
   * By handle, grown on first use: its machine (a held cell: world copies share it), its GVM, and who hears its
   * edges (a VM's event stream; null while nobody listens).
   */
  private readonly cells: (MachineCell<GvmmHandleEvent> | undefined)[] = [];
  private readonly gvms: (Gvm | undefined)[] = [];
  private readonly sinks: (CellEdgeSink | null | undefined)[] = [];
  iFreeHead: number;
  iUsedHead = NIL_GVM_HANDLE;
  cVMs = 0;
  cEMTs = 0;

  constructor(readonly maxHandles = GVMM_MAX_HANDLES) {
    if (!Number.isInteger(maxHandles) || maxHandles < 2 || maxHandles > GVMM_MAX_HANDLES) {
      throw new RangeError(`maxHandles must be 2..${GVMM_MAX_HANDLES}`);
    }
    this.iFreeHead = 1;
  }

  private next(handle: number): number {
    return this.links[handle] ?? (handle > NIL_GVM_HANDLE && handle < this.maxHandles - 1 ? handle + 1 : NIL_GVM_HANDLE);
  }

  /** The handle's edges go to `sink` (a VM's event stream) until the handle is free again: its next VM listens for itself. */
  listen(handle: number, sink: CellEdgeSink): void {
    this.sinks[handle] = sink;
  }

  /** The handle's machine (created on first use; a never-used handle is 'free'). */
  cell(handle: number): MachineCell<GvmmHandleEvent> {
    let cell = this.cells[handle];
    if (!cell) this.cells[handle] = cell = heldCell<GvmmHandleEvent>(gvmmHandleMachine, `gvmm/handle.${handle}`);
    return cell;
  }

  /**
   * Step the handle's machine (stepHeld: in place, or the next cell replaces a frozen one) and report the edge to
   * the VM that listens; at 'free' the handle is given back and stops reporting. False when its state refuses the
   * event. (The machine's step only: the lists and counts are the callers'.)
   */
  send(handle: number, event: GvmmHandleEvent): boolean {
    const from = this.cell(handle);
    const snapshot = from.snapshot;
    const next = stepHeld(from, event);
    if (next === null) return false;
    this.cells[handle] = next;
    const sink = this.sinks[handle];
    if (sink) {
      emitCellEdge(sink, 'gvmmHandle', next, snapshot, event);
      if (next.value === 'free') this.sinks[handle] = null;
    }
    return true;
  }

  state(handle: number): string {
    return this.cells[handle]?.value ?? 'free';
  }

  context(handle: number): GvmmHandleContext {
    return this.cell(handle).context as GvmmHandleContext;
  }

  gvmOf(handle: number): Gvm | undefined {
    return this.gvms[handle];
  }

  /** GVMMR0CreateVM under UsedLock: pop the free head, push it on the used head, cVMs++. */
  alloc(): number {
    const handle = this.iFreeHead;
    if (handle === NIL_GVM_HANDLE) return VERR_GVM_TOO_MANY_VMS;
    if (!this.send(handle, { type: 'alloc' })) return VERR_GVMM_IPE_1;
    this.iFreeHead = this.next(handle);
    this.links = replacedAt(this.links, handle, this.iUsedHead);
    this.iUsedHead = handle;
    this.cVMs++;
    return handle;
  }

  /** The GVM exists: EMT0 registered, cEMTs += cCpus. */
  bind(gvm: Gvm, emt0: string): number {
    if (!this.send(gvm.handle, { type: 'bind', emt0, cCpus: gvm.cCpus, session: gvm.session })) return VERR_GVMM_IPE_1;
    this.gvms[gvm.handle] = gvm;
    this.cEMTs += gvm.cCpus;
    return VINF_SUCCESS;
  }

  /** A create that failed before the GVM existed gives its handle back. */
  abandon(handle: number): number {
    if (!this.send(handle, { type: 'abandon' })) return VERR_GVMM_IPE_1;
    this.unlinkAndFree(handle);
    return VINF_SUCCESS;
  }

  /** gvmmR0ByGVM: the bound (or destroying) GVM of `handle`, or the lookup status. */
  lookup(handle: unknown): Gvm | number {
    if (typeof handle !== 'number' || !Number.isFinite(handle)) return VERR_INVALID_POINTER;
    if (!Number.isInteger(handle) || handle <= NIL_GVM_HANDLE || handle >= this.maxHandles) return VERR_INVALID_VM_HANDLE;
    const gvm = this.gvms[handle];
    const state = this.state(handle);
    if (!gvm || (state !== 'bound' && state !== 'destroying')) return VERR_INVALID_VM_HANDLE;
    return gvm;
  }

  registerVCpu(gvm: Gvm, cpu: number, emt: string): number {
    const cell = this.cell(gvm.handle);
    if (cell.value !== 'bound') return VERR_INVALID_HANDLE;
    const rc = registerVCpuStatus(cell.context, cpu, emt);
    if (rc !== VINF_SUCCESS) return rc;
    return this.send(gvm.handle, { type: 'registerVCpu', cpu, emt }) ? VINF_SUCCESS : VERR_GVMM_IPE_1;
  }

  deregisterVCpu(gvm: Gvm, cpu: number, emt: string): number {
    const cell = this.cell(gvm.handle);
    const rc = deregisterVCpuStatus(cell.context, cpu, emt);
    if (rc !== VINF_SUCCESS) return rc;
    // The handle must still be bound to this GVM (a destroying one is not).
    if (cell.value !== 'bound') return VERR_INVALID_HANDLE;
    return this.send(gvm.handle, { type: 'deregisterVCpu', cpu, emt }) ? VINF_SUCCESS : VERR_GVMM_IPE_1;
  }

  /** GVMMR0DestroyVM's checks, then the destructor: unlink, cVMs--, cEMTs -= cCpus, free head. */
  destroy(gvm: Gvm, caller: string): number {
    const cell = this.cell(gvm.handle);
    if (cell.value === 'destroying') return VERR_GVMM_IPE_2; // a racing destroy got here first
    const rc = destroyStatus(cell.context, caller, gvm.binding.vmState());
    if (rc !== VINF_SUCCESS) return rc;
    if (!this.send(gvm.handle, { type: 'destroy', caller, vmState: gvm.binding.vmState() })) return VERR_GVMM_IPE_2;
    this.cEMTs -= gvm.cCpus;
    gvm.alive = false;
    this.gvms[gvm.handle] = undefined;
    this.send(gvm.handle, { type: 'release' });
    this.unlinkAndFree(gvm.handle);
    return VINF_SUCCESS;
  }

  /** Take `handle` off the used list (linear search for the predecessor) and push it on the free head. */
  private unlinkAndFree(handle: number): void {
    if (this.iUsedHead === handle) this.iUsedHead = this.next(handle);
    else {
      let prev = this.iUsedHead;
      for (let guard = 0; prev !== NIL_GVM_HANDLE && this.next(prev) !== handle; guard++) {
        if (guard > this.maxHandles) throw new Error(`gvmm: used list is corrupt at ${prev}`);
        prev = this.next(prev);
      }
      if (prev === NIL_GVM_HANDLE) throw new Error(`gvmm: handle ${handle} is not on the used list`);
      this.links = replacedAt(this.links, prev, this.next(handle));
    }
    this.cVMs--;
    this.links = replacedAt(this.links, handle, this.iFreeHead);
    this.iFreeHead = handle;
  }

  /** The handles on a list, head first. */
  list(which: 'free' | 'used'): number[] {
    const out: number[] = [];
    for (let i = which === 'free' ? this.iFreeHead : this.iUsedHead; i !== NIL_GVM_HANDLE; i = this.next(i)) {
      out.push(i);
      if (out.length > this.maxHandles) throw new Error(`gvmm: ${which} list has a cycle`);
    }
    return out;
  }

  /** Walk the bound GVMs in used-list order (what gvmmR0SchedDoWakeUps iterates). */
  forEachUsedGvm(visit: (gvm: Gvm) => void): void {
    for (let i = this.iUsedHead, guard = 0; i !== NIL_GVM_HANDLE; i = this.next(i)) {
      const gvm = this.gvms[i];
      if (gvm) visit(gvm);
      if (++guard > this.maxHandles) break;
    }
  }
}

persistable('GvmmHandleTable', GvmmHandleTable, { owned: ['gvms', 'sinks', 'cells'] });
