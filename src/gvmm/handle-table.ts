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
import { MachineCell } from '../sched/machine-cell.js';
import {
  VERR_GVM_TOO_MANY_VMS, VERR_GVMM_IPE_1, VERR_GVMM_IPE_2, VERR_INVALID_HANDLE, VERR_INVALID_POINTER,
  VERR_INVALID_VM_HANDLE, VINF_SUCCESS,
} from '../status.js';
import type { Gvm } from './gvm.js';

/** GVMM_MAX_HANDLES on 64-bit hosts, NIL included: at most 8191 VMs. */
export const GVMM_MAX_HANDLES = 8192;
export const NIL_GVM_HANDLE = 0;

export class GvmmHandleTable {
  /** aHandles[i].iNext. */
  readonly #next: Int32Array;
  readonly #cells: (MachineCell<GvmmHandleEvent> | undefined)[];
  readonly #gvms: (Gvm | undefined)[];
  iFreeHead: number;
  iUsedHead = NIL_GVM_HANDLE;
  cVMs = 0;
  cEMTs = 0;

  constructor(readonly maxHandles = GVMM_MAX_HANDLES) {
    if (!Number.isInteger(maxHandles) || maxHandles < 2 || maxHandles > GVMM_MAX_HANDLES) {
      throw new RangeError(`maxHandles must be 2..${GVMM_MAX_HANDLES}`);
    }
    this.#next = new Int32Array(maxHandles);
    // GVMMR0Init: 1 → 2 → … → max-1 → 0; handle 0 points to itself.
    for (let i = 1; i < maxHandles - 1; i++) this.#next[i] = i + 1;
    this.#cells = new Array(maxHandles);
    this.#gvms = new Array(maxHandles);
    this.iFreeHead = 1;
  }

  /** The handle's machine (created on first use; a never-used handle is 'free'). */
  cell(handle: number): MachineCell<GvmmHandleEvent> {
    let cell = this.#cells[handle];
    if (!cell) this.#cells[handle] = cell = new MachineCell<GvmmHandleEvent>(gvmmHandleMachine, `gvmm/handle.${handle}`);
    return cell;
  }

  state(handle: number): string {
    return this.#cells[handle]?.value ?? 'free';
  }

  context(handle: number): GvmmHandleContext {
    return this.cell(handle).context as GvmmHandleContext;
  }

  gvmOf(handle: number): Gvm | undefined {
    return this.#gvms[handle];
  }

  /** GVMMR0CreateVM under UsedLock: pop the free head, push it on the used head, cVMs++. */
  alloc(): number {
    const handle = this.iFreeHead;
    if (handle === NIL_GVM_HANDLE) return VERR_GVM_TOO_MANY_VMS;
    if (!this.cell(handle).send({ type: 'alloc' })) return VERR_GVMM_IPE_1;
    this.iFreeHead = this.#next[handle]!;
    this.#next[handle] = this.iUsedHead;
    this.iUsedHead = handle;
    this.cVMs++;
    return handle;
  }

  /** The GVM exists: EMT0 registered, cEMTs += cCpus. */
  bind(gvm: Gvm, emt0: string): number {
    const cell = this.cell(gvm.handle);
    if (!cell.send({ type: 'bind', emt0, cCpus: gvm.cCpus, session: gvm.session })) return VERR_GVMM_IPE_1;
    this.#gvms[gvm.handle] = gvm;
    this.cEMTs += gvm.cCpus;
    return VINF_SUCCESS;
  }

  /** A create that failed before the GVM existed gives its handle back. */
  abandon(handle: number): number {
    if (!this.cell(handle).send({ type: 'abandon' })) return VERR_GVMM_IPE_1;
    this.#unlinkAndFree(handle);
    return VINF_SUCCESS;
  }

  /** gvmmR0ByGVM: the bound (or destroying) GVM of `handle`, or the lookup status. */
  lookup(handle: unknown): Gvm | number {
    if (typeof handle !== 'number' || !Number.isFinite(handle)) return VERR_INVALID_POINTER;
    if (!Number.isInteger(handle) || handle <= NIL_GVM_HANDLE || handle >= this.maxHandles) return VERR_INVALID_VM_HANDLE;
    const gvm = this.#gvms[handle];
    const state = this.state(handle);
    if (!gvm || (state !== 'bound' && state !== 'destroying')) return VERR_INVALID_VM_HANDLE;
    return gvm;
  }

  registerVCpu(gvm: Gvm, cpu: number, emt: string): number {
    const cell = this.cell(gvm.handle);
    if (cell.value !== 'bound') return VERR_INVALID_HANDLE;
    const rc = registerVCpuStatus(cell.context, cpu, emt);
    if (rc !== VINF_SUCCESS) return rc;
    return cell.send({ type: 'registerVCpu', cpu, emt }) ? VINF_SUCCESS : VERR_GVMM_IPE_1;
  }

  deregisterVCpu(gvm: Gvm, cpu: number, emt: string): number {
    const cell = this.cell(gvm.handle);
    const rc = deregisterVCpuStatus(cell.context, cpu, emt);
    if (rc !== VINF_SUCCESS) return rc;
    // The handle must still be bound to this GVM (a destroying one is not).
    if (cell.value !== 'bound') return VERR_INVALID_HANDLE;
    return cell.send({ type: 'deregisterVCpu', cpu, emt }) ? VINF_SUCCESS : VERR_GVMM_IPE_1;
  }

  /** GVMMR0DestroyVM's checks, then the destructor: unlink, cVMs--, cEMTs -= cCpus, free head. */
  destroy(gvm: Gvm, caller: string): number {
    const cell = this.cell(gvm.handle);
    if (cell.value === 'destroying') return VERR_GVMM_IPE_2; // a racing destroy got here first
    const rc = destroyStatus(cell.context, caller, gvm.binding.vmState());
    if (rc !== VINF_SUCCESS) return rc;
    if (!cell.send({ type: 'destroy', caller, vmState: gvm.binding.vmState() })) return VERR_GVMM_IPE_2;
    this.cEMTs -= gvm.cCpus;
    gvm.alive = false;
    this.#gvms[gvm.handle] = undefined;
    cell.send({ type: 'release' });
    this.#unlinkAndFree(gvm.handle);
    return VINF_SUCCESS;
  }

  /** Take `handle` off the used list (linear search for the predecessor) and push it on the free head. */
  #unlinkAndFree(handle: number): void {
    if (this.iUsedHead === handle) this.iUsedHead = this.#next[handle]!;
    else {
      let prev = this.iUsedHead;
      for (let guard = 0; prev !== NIL_GVM_HANDLE && this.#next[prev] !== handle; guard++) {
        if (guard > this.maxHandles) throw new Error(`gvmm: used list is corrupt at ${prev}`);
        prev = this.#next[prev]!;
      }
      if (prev === NIL_GVM_HANDLE) throw new Error(`gvmm: handle ${handle} is not on the used list`);
      this.#next[prev] = this.#next[handle]!;
    }
    this.cVMs--;
    this.#next[handle] = this.iFreeHead;
    this.iFreeHead = handle;
  }

  /** The handles on a list, head first. */
  list(which: 'free' | 'used'): number[] {
    const out: number[] = [];
    for (let i = which === 'free' ? this.iFreeHead : this.iUsedHead; i !== NIL_GVM_HANDLE; i = this.#next[i]!) {
      out.push(i);
      if (out.length > this.maxHandles) throw new Error(`gvmm: ${which} list has a cycle`);
    }
    return out;
  }

  /** Walk the bound GVMs in used-list order (what gvmmR0SchedDoWakeUps iterates). */
  forEachUsedGvm(visit: (gvm: Gvm) => void): void {
    for (let i = this.iUsedHead, guard = 0; i !== NIL_GVM_HANDLE; i = this.#next[i]!) {
      const gvm = this.#gvms[i];
      if (gvm) visit(gvm);
      if (++guard > this.maxHandles) break;
    }
  }
}
