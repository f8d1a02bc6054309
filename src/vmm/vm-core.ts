/**
 * The VM as the EMTs see it (the UVM/VM structures of VM.cpp): state machine, vCPU states, force flags,
 * request queues, rendezvous stack, callback lists and counters. Everything here changes only inside an
 * actor step, so one step is one atomic VirtualBox operation (what VM.cpp does under a lock).
 */
import { FunctionTable } from './continuations.js';
import { VM_API_TRANSITIONS, vmEdges, vmMachine, type VmApi, type VmEvent, type VmState, type VmTransition } from '../../machines/vm.js';
import { isCpuStarted, vmcpuMachine, type VmCpuEvent, type VmCpuState } from '../../machines/vmcpu.js';
import { VBoxError, VERR_FILE_NOT_FOUND, VERR_INVALID_PARAMETER, VERR_VM_INVALID_VM_STATE, VERR_VM_UNEXPECTED_VM_STATE, VINF_SUCCESS } from '../status.js';
import type { SavedStatePort } from './save/ports.js';
import { frozenCell, sharedEvent, sharedEvents, type MachineCell } from '../sched/machine-cell.js';
import type { Scheduler } from '../sched/scheduler.js';
import { replacedAt, thawedAt } from '../persist/empty-list.js';
import { RequestQueue } from '../streams/request-queue.js';
import type { Emt } from './emt.js';
import { VM_FF_CHECK_VM_STATE } from './ff.js';
import type { RendezvousInstance } from './rendezvous.js';
import type { VmReq } from './requests.js';
import type { VmConfig } from './config.js';
import type { EngineFaults, EngineMachines } from './faults.js';
import type { VmHalt } from './halt/state.js';
import type { VmComponents } from './lifecycle.js';
import type { Gvmm } from '../gvmm/gvmm.js';
import { anyValue, callUser, isUserCallbackError, type UserCallbackError } from './user-callback.js';
import { persistable } from '../persist/registry.js';
import { EMPTY_LIST, pushed, removedAt } from '../persist/empty-list.js';
import type { EmtHooks } from './emt.js';
import type { StatusReceiver } from './types.js';
import { ListenerSet, type AtErrorCallback, type AtRuntimeErrorCallback, type AtStateCallback, type VmListener, type VmObserver, type VmTraceEvent } from './vm-events.js';

export { ListenerSet, type AtErrorCallback, type AtRuntimeErrorCallback, type AtStateCallback, type VmListener, type VmObserver, type VmTraceEvent } from './vm-events.js';

/** Engine-wide services a VM needs (the VMM that owns it). */
export interface VmmHost {
  readonly sched: Scheduler;
  /** The EMT whose step is running, or null for code outside the VM (embedder, client actors). */
  current: { vm: VmCore; cpu: number } | null;
  nextId(kind: 'req' | 'caller' | 'call'): number;
  readonly fidelity: 'intended' | 'as-written';
  /** The engine was disposed: every call rejects (src/vmm/vmm.ts). */
  readonly disposed?: boolean;
  /** Keep `kill` until the returned untrack is called; dispose() calls every kept one (a pending API call). */
  trackCall?(kill: () => void): () => void;
  /** GVMMR3DestroyVM destroyed `vm` after TERMINATED (the Vmm forgets it and says so on vms$). */
  vmDestroyed?(vm: VmCore): void;
  /**
   * The promise API (runOperation): keep a pending call's resolvers under a new id, in a table that is no part
   * of the engine's state (a restored engine starts with it empty); the pending call holds only the id.
   */
  openCall(resolvers: CallResolvers): number;
  /**
   * Finish call `id` of `vm`: its resolvers get the result. After a restore they are gone: the result is
   * reported on the VM's events (kind 'call-unclaimed'), never thrown, never lost.
   */
  settleCall(vm: VmCore, id: number, result: number | Error): void;
  /** The embedder's options a restore rebuilds host attachments from (components; hooks: emtHooks). */
  readonly options?: { readonly components?: Partial<VmComponents> };
  /** After a restore: the EMT hooks of `vm` rebuilt from the host's options (absent: the EMT keeps none). */
  emtHooks?(vm: VmCore): EmtHooks;
  /** Test-only broken variants (src/check/mutants.ts); absent in every real engine. */
  readonly faults?: EngineFaults;
  /** Machine definitions to run instead of machines/ (test-only `provide()` variants). */
  readonly machines?: Partial<EngineMachines>;
}

/** A pending promise API call's resolvers (VmmHost.openCall). */
export interface CallResolvers {
  resolve(rc: number): void;
  reject(error: Error): void;
}

/** (from → to) → the step event that takes the edge, read from the machine (one shared event object each). */
const EDGE_EVENTS = new Map<string, VmEvent>(vmEdges().map((e) => [`${e.from}>${e.to}`, sharedEvent({ type: e.event } as VmEvent)]));

/** The vCPU machine's events, one shared object each (the machine memo keys edges by the object). */
export const CPU_EVENT = sharedEvents<VmCpuEvent>({ start: true, stop: true, execEnter: true, execLeave: true, haltEnter: true, haltLeave: true });

/** The saved-state layer as the engine sees it (vm.ssm; src/vmm/save/ports.ts). */
export type VmSsmPort = SavedStatePort;

export class VmCore {
  /** The VM state machine: a frozen cell, replaced at each transition (move), so world copies share it. */
  state: MachineCell<VmEvent>;
  /**
   * The vCPU states: frozen cells in a frozen list, each replaced at its transition (cpuSend), so world copies share
   * every vCPU's state that a step leaves alone. Read them here; nothing keeps one (callers look them up).
   */
  cpuStates: readonly MachineCell<VmCpuEvent>[];
  readonly emts: Emt[] = [];
  /**
   * The request queues (read them here, or through queue(); push, take and watch through ownQueue). An empty,
   * unwatched queue is frozen, so world copies share it instead of copying it (most queues of most worlds are
   * empty); its first write replaces it with a writable copy. Nothing else keeps a queue (callers look it up), so the
   * replacement leaves no stale reference.
   */
  globalQueue = Object.freeze(new RequestQueue<VmReq>('global')) as RequestQueue<VmReq>;
  /** Frozen too, and replaced with a new list when a queue is (ownQueue). */
  cpuQueues: readonly RequestQueue<VmReq>[];
  /** VM-wide force flags. */
  ff = 0;
  /** Per-vCPU force flags. */
  readonly cpuFF: number[];
  /** u32RendezvousLock holder (the outermost rendezvous) and the nesting stack, innermost last. */
  rendezvousLock: RendezvousInstance | null = null;
  readonly rendezvousStack: RendezvousInstance[] = [];
  rendezvousSeq = 0;
  /** User functions the VM's data names by id (a pending EmtBlock's `then`). */
  readonly functions = new FunctionTable();
  /** pVM exists (GVMMR3CreateVM done): EMTs leave the early phase. */
  created = false;
  fTerminateEMT = false;
  cActiveEmts = 0;
  fTeleportedAndNotFullyResumedYet = false;
  suspendReason = 0;
  resumeReason = 0;
  cErrors = 0;
  cRuntimeErrors = 0;
  cResets = 0;
  cHardResets = 0;
  cSoftResets = 0;
  lastError: { rc: number; message: string; error?: UserCallbackError } | null = null;
  /** Soft or hard, as PDMR3GetResetInfo would say, for the next VM_FF_RESET. */
  pendingResetSoft = false;
  // The at-* lists (registerAt) and resetWaiters are EMPTY_LIST until their first entry: copies share that.
  atState: readonly AtStateCallback[] = EMPTY_LIST;
  atError: readonly AtErrorCallback[] = EMPTY_LIST;
  atRuntimeError: readonly AtRuntimeErrorCallback[] = EMPTY_LIST;
  readonly listeners = new ListenerSet<VmListener | VmObserver>();
  /** Told when the VM's life is over (destroyed, its creation failed, or the engine disposed): the facade completes its streams. */
  onEnd: { end(): void } | null = null;
  /**
   * The component table (PDM, SSM … notifications), the embedder's wrapped by userComponents; null: no-ops.
   * A host attachment: when null, componentsOf() builds it from the host's options (after a restore too).
   */
  components: VmComponents | null = null;
  /** The engine's GVMM this VM is attached to (VMR3Create attaches it before any EMT runs). */
  gvmm: Gvmm | null = null;
  /** The halt-method state (UVM::vm.s.Halt), attached with GVMM. */
  halt: VmHalt | null = null;
  /** The saved-state manager's per-VM part (src/ssm/vm-units.ts); the engine only asks it to cancel. */
  ssm: VmSsmPort | null = null;
  /** VMR3Destroy's caller (or a failed create's cleanup), resumed when EMT(0) reaches TERMINATED. */
  onTerminated: (() => void) | null = null;
  /** softReset() callers waiting for VMR3ResetFF's status. */
  resetWaiters: readonly StatusReceiver[] = EMPTY_LIST;

  constructor(
    readonly host: VmmHost,
    readonly handle: number,
    readonly cCpus: number,
    readonly config: VmConfig,
  ) {
    this.state = frozenCell<VmEvent>(host.machines?.vm ?? vmMachine, `vm.${handle}`);
    const cpuMachine = host.machines?.vmcpu ?? vmcpuMachine;
    this.cpuStates = Object.freeze(Array.from({ length: cCpus }, (_, i) => frozenCell<VmCpuEvent>(cpuMachine, `vm.${handle}/cpu.${i}`)));
    this.cpuQueues = Object.freeze(Array.from({ length: cCpus }, (_, i) => Object.freeze(new RequestQueue<VmReq>(`cpu.${i}`)) as RequestQueue<VmReq>));
    this.cpuFF = new Array<number>(cCpus).fill(0);
  }

  /** The queue of `cpu` (null: the global one), to read. */
  queue(cpu: number | null): RequestQueue<VmReq> {
    return cpu === null ? this.globalQueue : this.cpuQueues[cpu]!;
  }

  /** The queue of `cpu` (null: the global one) to write or watch: its own, made from the shared frozen one at the first write. */
  ownQueue(cpu: number | null): RequestQueue<VmReq> {
    if (cpu !== null) {
      this.cpuQueues = thawedAt(this.cpuQueues, cpu);
      return this.cpuQueues[cpu]!;
    }
    if (Object.isFrozen(this.globalQueue)) this.globalQueue = this.globalQueue.thawed();
    return this.globalQueue;
  }

  /** Freeze `cpu`'s queue (null: the global one) again once it is empty and unwatched (world copies then share it). */
  shareIdleQueue(cpu: number | null): void {
    const queue = this.queue(cpu);
    if (queue.idle) Object.freeze(queue);
  }

  get id(): string {
    return `vm.${this.handle}`;
  }

  get vmState(): VmState {
    return this.state.value as VmState;
  }

  cpuState(cpu: number): VmCpuState {
    return this.cpuStates[cpu]!.value as VmCpuState;
  }

  isCpuStarted(cpu: number): boolean {
    return isCpuStarted(this.cpuState(cpu));
  }

  nowNs(): number {
    return this.host.sched.clock.nowNs();
  }

  /**
   * Whether any listener wants the fine-grained events (a rendezvous member's every edge): the engine's own
   * bookkeeping listeners read only state changes, so with nobody else listening these cost nothing.
   */
  wantsDetail(): boolean {
    const listeners = this.listeners.list;
    for (let i = 0; i < listeners.length; i++) {
      const listener = listeners[i]!;
      if (typeof listener !== 'function') {
        if (listener.wantsDetail()) return true;
        continue;
      }
      const detail = listener.detail;
      if (detail === undefined || detail()) return true;
    }
    return false;
  }

  emit(event: VmTraceEvent): void {
    const listeners = this.listeners.list;
    for (let i = 0; i < listeners.length; i++) {
      const listener = listeners[i]!;
      if (typeof listener === 'function') listener(event);
      else listener.heard(event);
    }
  }

  /** Who is acting: `emt.N` inside an EMT step of this VM, `ext` otherwise. */
  actorName(): string {
    const current = this.host.current;
    return current && current.vm === this ? `emt.${current.cpu}` : 'ext';
  }

  /**
   * vmR3TrySetState: the first pair whose `from` is the current state wins; returns its 1-based ordinal, or
   * VERR_VM_INVALID_VM_STATE (after VMSetError) and no change when none matches.
   */
  trySetState(who: string, pairs: readonly VmTransition[]): number {
    const current = this.vmState;
    const ordinal = pairs.findIndex(([from]) => from === current);
    if (ordinal < 0) {
      const message =
        pairs.length === 1
          ? `${who} failed because the VM state is ${current} instead of ${pairs[0]![0]}`
          : `${who} failed because the current VM state, ${current}, was not found in the state transition table (${pairs
              .map(([from, to]) => ` ${from} -> ${to}`)
              .join(',')})`;
      this.setError(VERR_VM_INVALID_VM_STATE, message);
      return VERR_VM_INVALID_VM_STATE;
    }
    const [from, to] = pairs[ordinal]!;
    this.move(from, to, false);
    return ordinal + 1;
  }

  /** vmR3SetState: an unconditional move; the caller asserts the state it expects. */
  setState(to: VmState, from: VmState, setRatherThanClearFF = false): void {
    if (this.vmState !== from) {
      throw new VmAssertion(VERR_VM_UNEXPECTED_VM_STATE, `vmR3SetState: expected ${from}, found ${this.vmState} (to ${to})`);
    }
    this.move(from, to, setRatherThanClearFF);
  }

  /** vmR3SetStateLocked: take the edge from → to through the machine, then the at-state callbacks. */
  private move(from: VmState, to: VmState, setRatherThanClearFF: boolean): void {
    const event = EDGE_EVENTS.get(`${from}>${to}`);
    // The cell is frozen (world copies share it): the next one replaces it.
    const next = event && this.state.frozenAfter(event);
    if (!next || next.value !== to) throw new VmAssertion(VERR_VM_UNEXPECTED_VM_STATE, `no VMSTATE edge ${from} -> ${to}`);
    this.state = next;
    if (setRatherThanClearFF) this.ff |= VM_FF_CHECK_VM_STATE;
    else this.ff &= ~VM_FF_CHECK_VM_STATE;
    this.emit(Object.freeze({ kind: 'state', from, to, event: event.type, by: this.actorName(), tNs: this.nowNs() }));
    // vmR3DoAtState: registration order; a callback may only move the VM to DESTROYING.
    for (const callback of [...this.atState]) {
      this.callVoid('at-state callback', callback, to, from); // a failure goes to events$; the transition stands
      if (this.vmState === 'DESTROYING' && to !== 'DESTROYING') break;
    }
  }

  /** Nothing more will happen in this VM (after destroy's last sweep): end its streams, once. */
  end(): void {
    const onEnd = this.onEnd;
    this.onEnd = null;
    onEnd?.end();
  }

  /** VMSetError: count, remember, tell every at-error callback (one that fails is reported, not re-notified). */
  setError(rc: number, message: string, error?: UserCallbackError): number {
    this.cErrors++;
    this.lastError = Object.freeze(error ? { rc, message, error } : { rc, message }); // replaced, never changed: copies share it
    this.emit(error ? { kind: 'error', rc, message, tNs: this.nowNs(), error } : { kind: 'error', rc, message, tNs: this.nowNs() });
    for (const callback of [...this.atError]) {
      const failed = callUser('at-error callback', anyValue, callback, rc, message);
      if (!isUserCallbackError(failed)) continue;
      this.cErrors++;
      this.emit({ kind: 'error', rc: failed.rc, message: failed.message, tNs: this.nowNs(), error: failed });
    }
    return rc;
  }

  /** A user callback failed: VMSetError with the error (so the API call that ran it rejects with it); its status. */
  callbackFailed(error: UserCallbackError): number {
    return this.setError(error.rc, error.message, error);
  }

  /** Run a void user callback (at-state, at-runtime-error, EMT hooks): VINF_SUCCESS, or its failure reported. */
  callVoid<A extends unknown[]>(name: string | (() => string), fn: (...args: A) => unknown, ...args: A): number {
    const result = callUser(name, anyValue, fn, ...args);
    return isUserCallbackError(result) ? this.callbackFailed(result) : VINF_SUCCESS;
  }

  /** A vCPU state transition: the vCPU's cell replaced by its next one, the edge reported; false when not accepted. */
  cpuSend(cpu: number, event: VmCpuEvent): boolean {
    const cell = this.cpuStates[cpu]!;
    const next = cell.frozenAfter(event);
    if (next === null) return false;
    this.cpuStates = replacedAt(this.cpuStates, cpu, next);
    // Frozen data, as the state event below: the VM facade keeps the last ones, and world copies share them.
    this.emit(Object.freeze({ kind: 'cpu-state', cpu, from: cell.value as VmCpuState, to: next.value as VmCpuState, tNs: this.nowNs() }));
    return true;
  }

  /** Wake EMTs that may have something to do now (VMR3NotifyCpuFFU / VMR3NotifyGlobalFFU). */
  notifyCpu(cpu: number, flags = 0): void {
    this.emts[cpu]?.notify(flags);
  }

  notifyAll(flags = 0): void {
    for (const emt of this.emts) emt.notify(flags);
  }

  /** Let the EMTs see VM_FF_* the moment a flag changes. */
  setFF(flag: number): void {
    this.ff |= flag;
  }

  clearFF(flag: number): void {
    this.ff &= ~flag;
  }

  apiPairs<K extends VmApi>(api: K): (typeof VM_API_TRANSITIONS)[K] {
    return VM_API_TRANSITIONS[api];
  }
}

/**
 * Host attachments are transient: the listeners (the facade's, inspection's), the facade's onEnd and the
 * component table (componentsOf rebuilds it from the host's options); revive gives it an empty listener set (the
 * vCPU cells set their own listener again). cErrors … cSoftResets and rendezvousSeq count what happened; none decides what happens next.
 */
persistable('VmCore', VmCore, {
  transient: ['listeners', 'onEnd', 'components'],
  owned: ['ssm', 'emts', 'globalQueue', 'cpuFF', 'functions', 'rendezvousStack', 'atState', 'atError', 'atRuntimeError', 'resetWaiters'],
  ownedItems: ['cpuStates', 'cpuQueues'],
  history: ['rendezvousSeq', 'cErrors', 'cRuntimeErrors', 'cResets', 'cHardResets', 'cSoftResets'],
  // The state key keeps the last error's status and cause (a load picks its cause by status), not its text.
  keyFields: { lastError: (_vm, e: VmCore['lastError']) => (e ? [e.rc, e.error ?? null] : null) },
  revive: (vm) => {
    const host = vm as unknown as { listeners: VmCore['listeners']; onEnd: null; components: null };
    host.listeners = new ListenerSet<VmListener | VmObserver>();
    host.onEnd = host.components = null; // (no temporary record: a world copy revives this)
    vm.ssm?.reattach(); // the saved-state layer's listener (guest RAM stops, vCPU run time)
  },
});

/** An AssertRelease in VirtualBox: a broken invariant, carried with the status VirtualBox would return. */
export class VmAssertion extends Error {
  constructor(
    readonly rc: number,
    message: string,
  ) {
    super(message);
    this.name = 'VmAssertion';
  }
}

type AtLists = Pick<VmCore, 'atState' | 'atError' | 'atRuntimeError'>;

/** The at-* list rules: append; deregistering an unknown entry is VERR_FILE_NOT_FOUND. */
export function registerAt<K extends keyof AtLists>(vm: VmCore, key: K, callback: AtLists[K][number]): () => void {
  if (typeof callback !== 'function') throw new VBoxError(VERR_INVALID_PARAMETER, 'callback must be a function');
  const lists = vm as { [P in keyof AtLists]: readonly unknown[] };
  lists[key] = pushed(lists[key], callback);
  return () => {
    const i = lists[key].indexOf(callback);
    if (i < 0) throw new VBoxError(VERR_FILE_NOT_FOUND, 'callback is not registered');
    lists[key] = removedAt(lists[key], i);
  };
}
