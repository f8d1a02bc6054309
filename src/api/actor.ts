/**
 * XState's actor conventions on the facade: `getSnapshot()` (a plain, JSON-serializable snapshot whose
 * `status` is 'done' once the actor reached its final state), `subscribe(observer | next)` (every new
 * snapshot, `complete` when the actor is done) and `system.get(systemId)` with the systemIds inspection uses:
 * `vm.1`, `vm.1/cpu.0`, `vm.1/emt.0`, `vm.1/halt`. A snapshot object stays the same until something changes, as
 * XState's does (so `useSyncExternalStore`-style readers can compare by reference).
 */
import { distinctUntilChanged, filter, map, Observable, skip, startWith, takeWhile, type Observer, type Subscription } from 'rxjs';
import type { EmtState } from '../../machines/emt.js';
import type { HaltMethodName } from '../../machines/halt-method.js';
import type { VmState } from '../../machines/vm.js';
import type { VmCpuState } from '../../machines/vmcpu.js';
import type { MachineCell } from '../sched/machine-cell.js';
import type { VmCore, VmTraceEvent } from '../vmm/vm-core.js';
import { haltOf } from '../vmm/halt/state.js';

/** What XState's `snapshot.status` says here: 'done' when the actor's machine is in a final state. */
export type ActorStatus = 'active' | 'done';

/** `vm.getSnapshot()`: the VM machine's state and what the VM is made of at this moment. */
export interface VmSnapshot {
  readonly status: ActorStatus;
  /** VMSTATE. */
  readonly value: VmState;
  readonly context: {
    readonly handle: number;
    readonly name: string;
    /** The state the VM left last (enmPrevVMState), as the machine records it. */
    readonly prevState: VmState | null;
    /** VMCPUSTATE of each vCPU. */
    readonly cpus: readonly VmCpuState[];
    /** Each EMT's loop state. */
    readonly emts: readonly EmtState[];
    readonly haltMethod: HaltMethodName;
    readonly teleportedAndNotFullyResumedYet: boolean;
    readonly errorCount: number;
    readonly runtimeErrorCount: number;
    /** The last VMSetError (status and message), or null. */
    readonly lastError: { readonly rc: number; readonly message: string } | null;
  };
}

/** A vCPU, an EMT or the halt method: the machine's state value (and context, when it has one). */
export interface PartSnapshot<TValue extends string = string> {
  readonly status: ActorStatus;
  readonly value: TValue;
  readonly context?: unknown;
}

export type SnapshotObserver<T> = Partial<Observer<T>> | ((snapshot: T) => void);

/** The part of XState's ActorRef an engine actor offers (it takes no events: the API calls drive it). */
export interface EngineActorRef<TSnapshot> {
  readonly id: string;
  readonly systemId: string;
  getSnapshot(): TSnapshot;
  subscribe(observer: SnapshotObserver<TSnapshot>, error?: (error: unknown) => void, complete?: () => void): Subscription;
}

/** The VM events that change its snapshot. */
export const changesVmSnapshot = (event: VmTraceEvent): boolean =>
  event.kind === 'state' || event.kind === 'cpu-state' || event.kind === 'emt' || event.kind === 'halt-method' ||
  event.kind === 'error' || event.kind === 'runtime-error';

/** The VM's snapshot, built fresh (the VM caches it until its next event). */
export function vmSnapshotOf(core: VmCore): VmSnapshot {
  const context = core.state.context as { prevState: VmState | null };
  return {
    status: core.state.snapshot.status === 'done' ? 'done' : 'active',
    value: core.vmState,
    context: {
      handle: core.handle,
      name: core.config.Name,
      prevState: context.prevState,
      cpus: core.cpuStates.map((cell) => cell.value as VmCpuState),
      emts: core.emts.map((emt) => emt.state),
      haltMethod: haltOf(core).method,
      teleportedAndNotFullyResumedYet: core.fTeleportedAndNotFullyResumedYet,
      errorCount: core.cErrors,
      runtimeErrorCount: core.cRuntimeErrors,
      lastError: core.lastError ? { rc: core.lastError.rc, message: core.lastError.message } : null,
    },
  };
}

/**
 * XState's subscribe: each new snapshot after an event that may change it (not the current one), the final
 * snapshot, then `complete`; on an actor already done (or a VM whose streams ended), `complete` at once.
 */
export function subscribeSnapshots<T extends { status: ActorStatus }>(
  events: Observable<VmTraceEvent>, relevant: (event: VmTraceEvent) => boolean, read: () => T,
  observer: SnapshotObserver<T>, error?: (error: unknown) => void, complete?: () => void,
): Subscription {
  const snapshots = new Observable<T>((subscriber) => {
    const first = read();
    if (first.status === 'done') return subscriber.complete();
    return events
      .pipe(
        // A VM state change can end a part too (its VM terminated).
        filter((event) => event.kind === 'state' || relevant(event)),
        map(read),
        startWith(first),
        distinctUntilChanged(),
        skip(1),
        takeWhile((snapshot) => snapshot.status !== 'done', true),
      )
      .subscribe(subscriber);
  });
  // XState's two forms: an observer, or next (with error and complete beside it).
  return snapshots.subscribe(typeof observer === 'function' ? { next: observer, ...(error ? { error } : {}), ...(complete ? { complete } : {}) } : observer);
}

/** An engine actor inside a VM: a machine cell read through `cell()`, whose events `relevant` picks. */
class PartRef<TValue extends string> implements EngineActorRef<PartSnapshot<TValue>> {
  #raw: unknown;
  #vmDone = false;
  #snapshot: PartSnapshot<TValue> | undefined;

  constructor(
    readonly systemId: string,
    readonly core: VmCore,
    readonly events: Observable<VmTraceEvent>,
    readonly cell: () => MachineCell,
    readonly relevant: (event: VmTraceEvent) => boolean,
  ) {}

  get id(): string {
    return this.systemId;
  }

  /** Done when its machine is final or its VM is (a halt method ends with its VM). */
  getSnapshot(): PartSnapshot<TValue> {
    const raw = this.cell().snapshot;
    const vmDone = this.core.state.snapshot.status === 'done';
    if (raw !== this.#raw || vmDone !== this.#vmDone || !this.#snapshot) {
      const status: ActorStatus = raw.status === 'done' || vmDone ? 'done' : 'active';
      const hasContext = raw.context !== undefined && Object.keys(raw.context as object).length > 0;
      this.#snapshot = { status, value: raw.value as TValue, ...(hasContext ? { context: raw.context } : {}) };
      [this.#raw, this.#vmDone] = [raw, vmDone];
    }
    return this.#snapshot;
  }

  subscribe(observer: SnapshotObserver<PartSnapshot<TValue>>, error?: (error: unknown) => void, complete?: () => void): Subscription {
    return subscribeSnapshots(this.events, this.relevant, () => this.getSnapshot(), observer, error, complete);
  }
}

const PART = /^(vm\.\d+)\/(?:(cpu|emt)\.(\d+)|(halt))$/;

/** `vm.N/cpu.i`, `vm.N/emt.i`, `vm.N/halt` of one VM; undefined for anything else. */
export function partRef(core: VmCore, events: Observable<VmTraceEvent>, systemId: string): EngineActorRef<PartSnapshot> | undefined {
  const m = PART.exec(systemId);
  if (!m || m[1] !== core.id) return undefined;
  const cpu = m[3] === undefined ? -1 : Number(m[3]);
  if (m[2] && (cpu >= core.cCpus || String(cpu) !== m[3])) return undefined;
  if (m[2] === 'cpu') {
    return new PartRef<VmCpuState>(systemId, core, events, () => core.cpuStates[cpu]!, (e) => e.kind === 'cpu-state' && e.cpu === cpu);
  }
  if (m[2] === 'emt') {
    return new PartRef<EmtState>(systemId, core, events, () => core.emts[cpu]!.cell, (e) => e.kind === 'emt' && e.cpu === cpu);
  }
  return new PartRef<HaltMethodName>(systemId, core, events, () => haltOf(core).cell, (e) => e.kind === 'halt-method');
}
