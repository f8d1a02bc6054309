/**
 * What a VM tells its listeners: every observable event in order (VmTraceEvent: inspection, traces, the facade's
 * streams), the embedder's at-state / at-error / at-runtime-error callback shapes, and the listener set VmCore
 * emits to.
 */
import type { VmEvent, VmState } from '../../machines/vm.js';
import type { VmCpuState } from '../../machines/vmcpu.js';
import type { CellEdgeEvent } from '../sched/cell-edges.js';
import type { UserCallbackError } from './user-callback.js';

/** Everything observable that happens in a VM, in order (inspection, traces, the facade's streams). */
export type VmTraceEvent =
  | { kind: 'state'; from: VmState; to: VmState; event: VmEvent['type']; by: string; tNs: number }
  | { kind: 'cpu-state'; cpu: number; from: VmCpuState; to: VmCpuState; tNs: number }
  | { kind: 'emt'; cpu: number; from: string; to: string; tNs: number }
  | { kind: 'request'; id: number; from: string; to: string; target: string; cpu: number | null; tNs: number }
  | {
      kind: 'rendezvous'; id: string; from: string; to: string; event: string; cpu: number | null; tNs: number;
      /** begin: the flags asked for; callbackDone: the callback's status and whether it ran; finish: the status read. */
      flags?: number; rc?: number; ran?: boolean; status?: number;
    }
  /** One EMT's walk through a rendezvous (machines/rendezvous-member.ts); `rendezvous` names the instance once known. */
  | {
      kind: 'rendezvous-member'; systemId: string; machine: 'rendezvousMember'; from: string; to: string; event: string;
      cpu: number; rendezvous: string | null; tNs: number;
    }
  /** VMSetError; `error` is the UserCallbackError when a user callback failed (its `cause` is what it threw). */
  | { kind: 'error'; rc: number; message: string; tNs: number; error?: UserCallbackError }
  | { kind: 'runtime-error'; flags: number; errorId: string; message: string; tNs: number }
  /** GVMM registry changes (create, vCPU register / deregister, destroy) with the calling thread and status. */
  | { kind: 'gvmm'; op: 'create' | 'register' | 'deregister' | 'destroy'; handle: number; cpu: number | null; rc: number; by: string; tNs: number }
  /** The halt method switched (vmR3SetHaltMethodU's rendezvous on EMT(0)). */
  | { kind: 'halt-method'; from: string; to: string; tNs: number }
  /** An edge of the save's SSM handle (`vm.1/ssm`) or of the VM's GVMM handle (`gvmm/handle.1`). */
  | CellEdgeEvent
  /** A promise API call finished whose promise did not survive a restore: its status (`error`: what it rejects with). */
  | { kind: 'call-unclaimed'; call: number; rc: number; error?: Error; tNs: number };

export type AtStateCallback = (newState: VmState, oldState: VmState) => void;
export type AtErrorCallback = (rc: number, message: string) => void;
export type AtRuntimeErrorCallback = (flags: number, errorId: string, message: string) => void;

/** A VmCore listener; `detail` says whether it wants fine-grained events now (absent: always). */
export interface VmListener {
  (event: VmTraceEvent): void;
  detail?: () => boolean;
}

/**
 * A listener that is an object (the VM facade listens as itself: nothing to allocate when a world copy revives
 * it); `wantsDetail` as VmListener's `detail`.
 */
export interface VmObserver {
  heard(event: VmTraceEvent): void;
  wantsDetail(): boolean;
}

/** VmCore.listeners: a Set (add / delete as usual) that keeps an array of its members for emit(). */
export class ListenerSet<T> extends Set<T> {
  #list: T[] | null = null;

  override add(value: T): this {
    this.#list = null;
    return super.add(value);
  }

  override delete(value: T): boolean {
    this.#list = null;
    return super.delete(value);
  }

  override clear(): void {
    this.#list = null;
    super.clear();
  }

  /** The members in insertion order; a listener added or removed during an emit takes effect at the next one. */
  get list(): readonly T[] {
    return (this.#list ??= [...this]);
  }
}
