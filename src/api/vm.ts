/**
 * The public VM handle: VM.cpp's API on top of the EMT actors. Calls from outside the VM travel the real
 * path (a request on the global queue, the EMT that takes it becomes the rendezvous caller, the worker runs
 * on every EMT, the request completes) and settle with the status, or reject with a VBoxError.
 */
import { defer, filter, map, Observable, startWith, Subject, type Subscription } from 'rxjs';
import type { VmState } from '../../machines/vm.js';
import type { VmCpuState } from '../../machines/vmcpu.js';
import { VBoxError, VERR_INVALID_PARAMETER, VERR_INVALID_VM_HANDLE, VERR_VM_THREAD_IS_EMT } from '../status.js';
import { disposedError, runOperation, statusToResult, type Operation, type ReqCallOptions } from '../vmm/external.js';
import { reqCallOnEmt } from '../vmm/emt-requests.js';
import { SUSPEND_REASONS, type ResumeReason, type SuspendReason } from '../vmm/lifecycle.js';
import { vmOps, type RendezvousOptions } from '../vmm/operations.js';
import type { ReqPool, VmReq } from '../vmm/requests.js';
import type { CpuTarget, EmtContext, ReqFn } from '../vmm/types.js';
import type { AtErrorCallback, AtRuntimeErrorCallback, AtStateCallback, VmCore, VmTraceEvent } from '../vmm/vm-core.js';
import { registerAt } from '../vmm/vm-core.js';
import type { GuestRam } from '../ssm/live/guest-ram.js';
import type { LoadOptions } from '../ssm/live/vm-load.js';
import type { SaveOptions, SaveOut, SaveResult, SaveTarget } from '../vmm/save/save-flow.js';
import type { SsmUnitOptions } from '../ssm/units.js';
import type { UserCallbackError } from '../vmm/user-callback.js';
import { savedStateOf, type SsmProgressEvent } from '../ssm/vm-units.js';
import { teleportSource, type TeleportOptions, type TeleportResult } from '../teleport/source.js';
import { bindCode, defineCode, persistable } from '../persist/registry.js';
import { replacedAt } from '../persist/empty-list.js';
import { changesVmSnapshot, partRef, subscribeSnapshots, vmSnapshotOf, type EngineActorRef, type PartSnapshot, type SnapshotObserver, type VmSnapshot } from './actor.js';

export interface VmStateChange {
  readonly from: VmState | null;
  readonly to: VmState;
  readonly tNs: number;
  /** `emt.N` or `ext` (a thread outside the VM). */
  readonly by: string;
}

export interface CpuStateChange {
  readonly cpu: number;
  readonly from: VmCpuState | null;
  readonly to: VmCpuState;
  readonly tNs: number;
}

export { VMSETRTERR_FLAGS_FATAL, VMSETRTERR_FLAGS_NO_WAIT, VMSETRTERR_FLAGS_SUSPEND, type RendezvousOptions } from '../vmm/operations.js';

export class VM {
  /** vms$ announced its creation (and not yet its destruction). */
  announced = false;
  /** Its streams completed: destroyed, its creation failed, or the engine disposed. */
  private ended = false;
  /** The last real state change and the last per vCPU (what a late subscriber of state$ gets first). */
  private lastState: VmStateChange;
  /** Replaced, never changed (frozen, of frozen records): world copies share it. */
  private lastCpu: readonly CpuStateChange[];
  // Host attachments (transient): the streams' subject, caches, the listener on the core. attachToCore rebuilds them.
  declare private events: Subject<VmTraceEvent> | undefined;
  /** getSnapshot()'s answer until the next event that changes it (the same object meanwhile, as XState's). */
  declare private snapshot: VmSnapshot | undefined;
  declare private parts: Map<string, EngineActorRef<PartSnapshot>> | undefined;

  constructor(
    readonly core: VmCore,
    readonly pool: ReqPool,
  ) {
    // Until the first change: the VM came into being in its first state, made by the thread calling VMR3Create.
    const tNs = core.nowNs();
    // Frozen, as the core's events that replace them: world copies share them.
    this.lastState = Object.freeze({ from: null, to: core.vmState, tNs, by: 'ext' });
    this.lastCpu = Object.freeze(Array.from({ length: core.cCpus }, (_, cpu) => Object.freeze({ cpu, from: null, to: core.cpuState(cpu), tNs })));
    this.attachToCore();
  }

  /**
   * @internal Give the facade its streams and put its listener on the core (a new VM, or a restored one: a VM
   * whose streams had ended gets completed ones). Idempotent.
   */
  attachToCore(): void {
    if (this.ended) return;
    // The facade listens as itself (heard, wantsDetail): nothing to allocate when a world copy revives it. The
    // core's listeners are transient, so a restored core starts without it and this puts it back.
    this.core.listeners?.add(this);
    // Destroyed (after the last sweep), failed creation or engine disposed: every stream of the VM completes.
    this.core.onEnd ??= this;
  }

  /** @internal Whether the VM wants the fine-grained events: only for a subscriber (its own bookkeeping reads state changes). */
  wantsDetail(): boolean {
    return this.events?.observed === true;
  }

  /** The streams' subject, made on first use (most VMs, the checker's worlds, are never subscribed to). */
  private get subject(): Subject<VmTraceEvent> {
    if (!this.events) {
      this.events = new Subject<VmTraceEvent>();
      if (this.ended) this.events.complete();
    }
    return this.events;
  }

  /** @internal A VM event (the core's listener, bound to this VM). */
  heard(event: VmTraceEvent): void {
    if (event.kind === 'state') this.lastState = event;
    else if (event.kind === 'cpu-state') this.lastCpu = replacedAt(this.lastCpu, event.cpu, event);
    if (this.snapshot !== undefined && changesVmSnapshot(event)) this.snapshot = undefined; // only once someone asked
    // Only when someone subscribed: every engine step emits, and most VMs (the checker's worlds) have no subscriber.
    if (this.events?.observed) this.events.next(event);
  }

  /** @internal The VM's life is over: its streams complete. */
  end(): void {
    this.ended = true;
    this.events?.complete();
    savedStateOf(this.core).progress$.complete();
  }

  get handle(): number {
    return this.core.handle;
  }

  /** The systemId of the VM actor (`vm.<handle>`), as inspection names it; also its `id`. */
  get systemId(): string {
    return this.core.id;
  }

  get id(): string {
    return this.core.id;
  }

  /** XState's `actor.getSnapshot()`: status ('done' once TERMINATED), VMSTATE as `value`, the VM's parts as `context`. */
  getSnapshot(): VmSnapshot {
    return (this.snapshot ??= vmSnapshotOf(this.core));
  }

  /**
   * XState's `actor.subscribe()`: every new snapshot (vCPU, EMT and halt-method changes included), then
   * `complete` once the VM is TERMINATED (at once if it is already); also when the engine is disposed.
   */
  subscribe(observer: SnapshotObserver<VmSnapshot>, error?: (error: unknown) => void, complete?: () => void): Subscription {
    return subscribeSnapshots(this.subject, changesVmSnapshot, () => this.getSnapshot(), observer, error, complete);
  }

  /** @internal vmm.system.get for this VM's actors: `vm.N/cpu.i`, `vm.N/emt.i`, `vm.N/halt`. */
  actorRef(systemId: string): EngineActorRef<PartSnapshot> | undefined {
    let ref = (this.parts ??= new Map()).get(systemId);
    if (!ref) {
      ref = partRef(this.core, this.subject, systemId);
      if (ref) this.parts.set(systemId, ref);
    }
    return ref;
  }

  get cpus(): number {
    return this.core.cCpus;
  }

  get name(): string {
    return this.core.config.Name;
  }

  get state(): VmState {
    return this.core.vmState;
  }

  /** Everything that happens in the VM, in order; completes when the VM is destroyed or the engine disposed. */
  get events$(): Observable<VmTraceEvent> {
    return this.subject.asObservable();
  }

  /**
   * The last change (the one that made the current state, with its own `by` and time; before any, the VM's
   * creation: `from: null`), then every change; completes when the VM is destroyed or the engine disposed.
   */
  get state$(): Observable<VmStateChange> {
    // defer: the first value is the last change at subscription time, not when the getter ran.
    return defer(() =>
      this.subject.pipe(
        filter((e): e is Extract<VmTraceEvent, { kind: 'state' }> => e.kind === 'state'),
        startWith(this.lastState),
        map(({ from, to, tNs, by }) => ({ from, to, tNs, by })),
      ),
    );
  }

  cpu(i: number): { readonly state: VmCpuState; readonly state$: Observable<CpuStateChange> } {
    if (!Number.isInteger(i) || i < 0 || i >= this.cpus) throw new VBoxError(VERR_INVALID_PARAMETER, `no vCPU ${i}`);
    const core = this.core;
    const events = this.subject;
    const vm = this; // lastCpu is replaced at each change: read at subscription
    return {
      get state() {
        return core.cpuState(i);
      },
      /** As vm.state$: the vCPU's last change (or its creation), then every change; completes with the VM's streams. */
      get state$() {
        return defer(() =>
          events.pipe(
            filter((e): e is Extract<VmTraceEvent, { kind: 'cpu-state' }> => e.kind === 'cpu-state' && e.cpu === i),
            startWith(vm.lastCpu[i]!),
            map(({ from, to, tNs }) => ({ cpu: i, from, to, tNs })),
          ),
        );
      },
    };
  }

  /** VMR3PowerOn. */
  powerOn(): Promise<number> {
    return this.run(() => vmOps.powerOn(this.pool));
  }

  /** VMR3Suspend(reason). */
  suspend(reason: SuspendReason = 'USER'): Promise<number> {
    return this.run(() => vmOps.suspend(this.pool, reason));
  }

  /** VMR3Resume(reason). */
  resume(reason: ResumeReason = 'USER'): Promise<number> {
    return this.run(() => vmOps.resume(this.pool, reason));
  }

  /** VMR3Reset: a hard reset, or a power-off when PowerOffInsteadOfReset is set. */
  reset(): Promise<number> {
    return this.run(() => vmOps.reset(this.pool));
  }

  /** A soft (warm) reset through VM_FF_RESET, as a device asks for one; resolves when it is done. */
  softReset(): Promise<number> {
    return this.run(() => vmOps.softReset(this.pool));
  }

  /** VMR3PowerOff. */
  powerOff(): Promise<number> {
    return this.run(() => vmOps.powerOff(this.pool));
  }

  /** VMR3Destroy (from OFF only; not on an EMT). */
  destroy(): Promise<number> {
    if (this.core.host.current?.vm === this.core) {
      return Promise.reject(new VBoxError(VERR_VM_THREAD_IS_EMT, 'VMR3Destroy must not be called on an EMT'));
    }
    return this.run(() => vmOps.destroy(this.pool));
  }

  /** VMSetRuntimeError(flags, errorId, message): VMSETRTERR_FLAGS_FATAL / _SUSPEND / _NO_WAIT. */
  setRuntimeError(flags: number, errorId: string, message: string): Promise<number> {
    return this.run(() => vmOps.setRuntimeError(this.pool, flags, errorId, message));
  }

  /** VMR3SetGuruMeditation as EM calls it on an EMT: true when the VM went to GURU_MEDITATION(_LS). */
  async setGuruMeditation(): Promise<boolean> {
    const result = { changed: false };
    await this.run(() => vmOps.setGuruMeditation(this.pool, result));
    return result.changed;
  }

  /** VMR3ReqCallWait(target, fn, args…): the callee's status; failures reject. `args` are typed by `fn`. */
  reqCallWait<A extends unknown[]>(target: CpuTarget, fn: ReqFn<A>, ...args: NoInfer<A>): Promise<number> {
    return reqCallOnEmt(this.core, { target }, fn, args) ?? this.run(() => vmOps.reqCallWait(this.pool, target, fn, args));
  }

  /**
   * VMR3ReqCallV with flags and a timeout (`timeoutMs` omitted or Infinity: RT_INDEFINITE_WAIT). On an EMT of
   * this VM, 'any' and its own CPU run inline, at once.
   */
  reqCall<A extends unknown[]>(options: ReqCallOptions, fn: ReqFn<A>, ...args: NoInfer<A>): Promise<number> {
    return reqCallOnEmt(this.core, options, fn, args) ?? this.run(() => vmOps.reqCall(this.pool, options, fn, args));
  }

  /** VMR3ReqAlloc (for tools and tests that manage packets themselves). */
  reqAlloc(target: CpuTarget): VmReq {
    return this.pool.alloc(target);
  }

  /** VMR3ReqFree. */
  reqFree(req: VmReq | null): void {
    this.pool.free(req);
  }

  /** /VM/Req/* statistics. */
  get reqStats() {
    return { ...this.pool.stats };
  }

  /** VMMR3EmtRendezvous from outside the VM: forwarded through an 'any' request, as VirtualBox does. */
  emtRendezvous(options: RendezvousOptions, callback: (ctx: EmtContext) => number | void): Promise<number> {
    return this.run(() => vmOps.emtRendezvous(this.pool, options, callback));
  }

  /**
   * VMR3Save: a live save from RUNNING (the VM ends SUSPENDED), a plain one from SUSPENDED. `target` is a file
   * path (written crash-safe) or a saved-state sink. Resolves with the status and the figures (passes, bytes,
   * downtime); progress arrives through `options.onProgress` and `vm.progress$`.
   */
  async save(target: SaveTarget, options: SaveOptions = {}): Promise<SaveResult> {
    const out: SaveOut = {};
    // A file error rejects with its own message (it names the file); other failures as any call's.
    await this.run(() => vmOps.save(this.pool, target, options, out)).catch((error: unknown) => Promise.reject(out.error ?? error));
    return out.result!;
  }

  /** VMR3LoadFromFile: from CREATED or SUSPENDED; ends SUSPENDED (then resume()) or LOAD_FAILURE. */
  loadFromFile(path: string, options: LoadOptions = {}): Promise<number> {
    if (typeof path !== 'string' || path.length === 0) return Promise.reject(new VBoxError(VERR_INVALID_PARAMETER, 'loadFromFile needs a file name'));
    return this.run(() => vmOps.loadFromFile(this.pool, path, options));
  }

  /**
   * VMR3Teleport over TCP to a target from vmm.listenForTeleport(): the password first, then a live save into the
   * connection; the VM ends SUSPENDED (fTeleportedAndNotFullyResumedYet set) and can be destroyed.
   */
  teleport(options: TeleportOptions): Promise<TeleportResult> {
    try {
      this.checkAlive();
    } catch (error) {
      return Promise.reject(error);
    }
    return teleportSource(this, options);
  }

  /** Progress of saves, teleports and loads of this VM; completes with the VM's other streams. */
  get progress$(): Observable<SsmProgressEvent> {
    return savedStateOf(this.core).progress$.asObservable();
  }

  /** SSMR3RegisterExternal: a saved-state unit of the embedder's (name ≤ 47 characters, instance, callbacks). */
  registerUnit(unit: SsmUnitOptions): void {
    savedStateOf(this.core).registry.register(unit).onCallbackError = bindCode(unitCallbackFailed, this.core);
  }

  /** SSMR3DeregisterExternal (every instance when `instance` is omitted). */
  deregisterUnit(name: string, instance?: number): void {
    savedStateOf(this.core).registry.deregister(name, instance);
  }

  /** The simulated guest RAM (the `pgm` unit): its dirty rate can be changed at any time. */
  get ram(): GuestRam {
    return savedStateOf(this.core).ram;
  }

  /** VMR3TeleportedAndNotFullyResumedYet. */
  get teleportedAndNotFullyResumedYet(): boolean {
    return this.core.fTeleportedAndNotFullyResumedYet;
  }

  /** VMR3AtStateRegister; the returned function deregisters (VMR3AtStateDeregister). */
  atState(callback: AtStateCallback): () => void {
    return registerAt(this.core, 'atState', callback);
  }

  atError(callback: AtErrorCallback): () => void {
    return registerAt(this.core, 'atError', callback);
  }

  atRuntimeError(callback: AtRuntimeErrorCallback): () => void {
    return registerAt(this.core, 'atRuntimeError', callback);
  }

  get errorCount(): number {
    return this.core.cErrors;
  }

  get runtimeErrorCount(): number {
    return this.core.cRuntimeErrors;
  }

  get counters() {
    const c = this.core;
    return { cResets: c.cResets, cHardResets: c.cHardResets, cSoftResets: c.cSoftResets, suspendReason: SUSPEND_REASONS[c.suspendReason] };
  }

  /** Build the operation (input errors reject before anything runs) and run it to its status. */
  private async run(build: () => Operation): Promise<number> {
    this.checkAlive();
    const op = build();
    const errorsBefore = this.core.cErrors;
    const rc = await runOperation(this.core, op);
    return statusToResult(this.core, rc, errorsBefore);
  }

  private checkAlive(): void {
    if (this.core.host.disposed) throw disposedError();
    if (this.core.vmState === 'TERMINATED') throw new VBoxError(VERR_INVALID_VM_HANDLE, `VM ${this.handle} is destroyed`);
  }
}

/** An embedder unit's callback failed: a VMSetError on its VM (the unit keeps this, bound to the VM: data). */
const unitCallbackFailed = defineCode('api.unitCallbackFailed', (core: VmCore, error: UserCallbackError): void => void core.callbackFailed(error));

/**
 * The facade's streams and caches are host attachments: a restored VM rebuilds them (its streams work). The last
 * state / vCPU changes are history: what a late state$ subscriber gets first (time, thread), never a decision.
 */
persistable('VM', VM, { transient: ['events', 'snapshot', 'parts'], history: ['lastState', 'lastCpu'], owned: ['lastState'], revive: (vm) => vm.attachToCore() });
