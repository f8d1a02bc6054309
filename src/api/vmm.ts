/**
 * createVMM: one engine holding many VMs, as GVMM does on a host. It owns the scheduler and clock ports and
 * creates VMs the way VMR3Create does: check the input, start one EMT per vCPU, run the init on EMT(0)
 * through a VMCPUID_ANY request (registering vCPUs 1..n with requests to their EMTs), then CREATED.
 */
import { DeterministicScheduler } from '../sched/deterministic.js';
import { attachInspection, type InspectionSession } from '../inspect/session.js';
import { RealTimeScheduler } from '../sched/real-time.js';
import type { Scheduler } from '../sched/scheduler.js';
import { isVBoxError, VBoxError, VERR_INTERNAL_ERROR, VERR_INVALID_PARAMETER, VINF_SUCCESS } from '../status.js';
import { readBaseConfig } from '../vmm/config.js';
import { Emt, type EmtHooks } from '../vmm/emt.js';
import { disposedError, killedError, reqCallOp, runOperation, runOperationThen, statusToResult } from '../vmm/external.js';
import { userComponents } from '../vmm/lifecycle.js';
import { ReqPool } from '../vmm/requests.js';
import { emtCallWait, type EmtResult, type ReqFn } from '../vmm/types.js';
import { VM } from './vm.js';
import type { EngineActorRef, PartSnapshot } from './actor.js';
import { VmCore, type CallResolvers, type VmmHost } from '../vmm/vm-core.js';
import { bindCode, defineCodes, persistable } from '../persist/registry.js';
import { attachSavedState } from '../ssm/vm-units.js';
import { listenForTeleport, type TeleportListenOptions } from '../teleport/target.js';
import type { EngineFaults, EngineMachines } from '../vmm/faults.js';
import type { Gvmm } from '../gvmm/gvmm.js';
import { gvmmR3CreateVM, gvmmR3RegisterVCpu } from '../gvmm/r3.js';
import { VMHALTMETHOD } from '../../machines/halt-method.js';
import { attachVmToGvmm, createEngineGvmm, emtHooksOf, destroyFailedVmOp, reserveVmHandle } from '../vmm/halt/engine.js';
import { vmR3SetHaltMethodU } from '../vmm/halt/set-method.js';
import { Observable, Subject } from 'rxjs';
import { UserFunctions } from './functions.js';
import { VmmSystem } from './vmm-system.js';
import { attachHost, isData, rebuiltOptions, VMM_PERSIST } from './vmm-host.js';
import { persistVmm, restoreVmm, type PersistedVmm } from './snapshot.js';
import type { CreateOptions, RestoredCall, VmLifeEvent, VmmConfig, VmmOptions } from './vmm-options.js';

export type { CreateOptions, RestoredCall, VmLifeEvent, VmmConfig, VmmImplementations, VmmOptions } from './vmm-options.js';


export class Vmm implements VmmHost {
  readonly sched: Scheduler;
  readonly fidelity: 'intended' | 'as-written';
  readonly faults: EngineFaults | undefined;
  readonly machines: Partial<EngineMachines> | undefined;
  current: { vm: VmCore; cpu: number } | null = null;
  readonly vms = new Map<number, VM>();
  /** The last id nextId gave of each kind (fields of the engine, not a record: a world copy has an object fewer). */
  private lastReqId = 0;
  private lastCallerId = 0;
  private lastCallId = 0;
  /** The engine's GVMM: VM handles, EMT registry, halt / wake-up scheduling, statistics. */
  readonly gvmm: Gvmm;
  private isDisposed = false;
  /** The options that are data: a restore rebuilds `options` from these and the re-supplied implementations. */
  readonly config: VmmConfig;
  /**
   * The hooks and components when they are data (every function in them from the code table or named in
   * `functions`, as the checker's are): they travel with a snapshot. Otherwise null: a restore takes them again.
   */
  readonly implementations: Pick<VmmOptions, 'hooks' | 'components'> | null;
  // Host attachments (transient, rebuilt by attachHost on create and on restore):
  declare private readonly hostOptions: VmmOptions | undefined;
  /** Present only when someone inspects. */
  declare readonly inspection: InspectionSession | undefined;
  /** The embedder's functions by name (what a snapshot writes for them). */
  declare readonly functions: UserFunctions;
  /** Pending API calls' kill switches (dispose() rejects them). */
  declare private calls: Set<() => void> | null;
  /** The promise API's pending calls: id → resolvers (ids come from nextId('call')); a restored engine has none. */
  declare private callResolvers: Map<number, CallResolvers> | null;
  /** vms$'s subject, made at its first use (a world copy nobody watches makes none), or at dispose(). */
  declare private lifeEvents: Subject<VmLifeEvent> | null;
  /**
   * XState's `system.get(systemId)`: the VM `vm.N`, or one of its actors `vm.N/cpu.i`, `vm.N/emt.i`,
   * `vm.N/halt` (the systemIds inspection uses); undefined when no such actor lives (a destroyed VM's too).
   */
  get system(): { get(systemId: string): VM | EngineActorRef<PartSnapshot> | undefined } {
    return (this.systemRecord ??= new VmmSystem(this));
  }
  /** system's record, made at its first use (a world copy nobody asks makes none). */
  declare private systemRecord: VmmSystem | null;
  /**
   * Promise-API calls that were pending in the snapshot this engine was restored from, as it finished them:
   * their promises stayed with the old process (docs/snapshot.md). Empty in an engine that was not restored.
   */
  declare readonly restoredCalls: readonly RestoredCall[];
  declare private restoredCallEvents: Subject<RestoredCall> | null;

  constructor(options: VmmOptions = {}) {
    this.fidelity = options.fidelity ?? 'intended';
    this.faults = options.faults;
    this.machines = options.machines;
    if (options.scheduler) this.sched = options.scheduler;
    else if (options.clock === 'real') this.sched = new RealTimeScheduler();
    else {
      const policy = options.policy ?? (options.seed !== undefined ? { kind: 'seeded', seed: options.seed } : { kind: 'first' });
      this.sched = new DeterministicScheduler({ policy });
    }
    this.config = Object.freeze({
      clock: this.sched.mode === 'real-time' ? 'real' : 'virtual',
      fidelity: this.fidelity,
      ...(options.gvmm ? { gvmm: Object.freeze({ ...options.gvmm, ...(options.gvmm.config ? { config: Object.freeze({ ...options.gvmm.config }) } : {}) }) } : {}),
    }); // frozen (never changes): world copies share it
    attachHost(this, options);
    const { hooks, components } = options;
    // Frozen (never changes): a copy shares it when its tables are frozen data too.
    this.implementations = isData(hooks, this.functions) && isData(components, this.functions) ? Object.freeze({ ...(hooks ? { hooks } : {}), ...(components ? { components } : {}) }) : null;
    (this as { inspection?: InspectionSession }).inspection = options.inspect ? attachInspection(this.sched, options.inspect) : undefined;
    this.gvmm = createEngineGvmm(this.sched, this.fidelity, options.gvmm);
  }

  get clock() {
    return this.sched.clock;
  }

  /**
   * The options: the data ones and the implementations (hooks, components …). A restore attaches them before any
   * part revives (createVMM({ snapshot })); a bare readGraph of an engine has only those the snapshot carried.
   */
  get options(): VmmOptions {
    return this.hostOptions ?? rebuiltOptions(this, this.implementations ?? {});
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  trackCall(kill: () => void): () => void {
    const calls = (this.calls ??= new Set());
    calls.add(kill);
    return () => calls.delete(kill);
  }

  openCall(resolvers: CallResolvers): number {
    const id = this.nextId('call');
    (this.callResolvers ??= new Map()).set(id, resolvers);
    return id;
  }

  settleCall(vm: VmCore, id: number, result: number | Error): void {
    const resolvers = this.callResolvers?.get(id);
    this.callResolvers?.delete(id);
    if (resolvers) return result instanceof Error ? resolvers.reject(result) : resolvers.resolve(result);
    const rc = typeof result === 'number' ? result : isVBoxError(result) ? result.rc : VERR_INTERNAL_ERROR;
    vm.emit(result instanceof Error ? { kind: 'call-unclaimed', call: id, rc, error: result, tNs: vm.nowNs() } : { kind: 'call-unclaimed', call: id, rc, tNs: vm.nowNs() });
    this.reportRestoredCall(id, vm.handle, result);
  }

  /** Every VM created (VMR3Create succeeded) and destroyed, as it happens; completes when the engine is disposed. */
  get vms$(): Observable<VmLifeEvent> {
    return (this.lifeEvents ??= new Subject()).asObservable();
  }

  /** restoredCalls as they happen; completes when the engine is disposed. */
  get restoredCalls$(): Observable<RestoredCall> {
    return (this.restoredCallEvents ??= new Subject()).asObservable();
  }

  /** @internal A call finished whose caller is not in this process (its promise went with the snapshot's). */
  reportRestoredCall(callId: number, vm: number, result: number | Error): void {
    const call: RestoredCall = { callId, vm, result, tNs: this.clock.nowNs() };
    (this as { restoredCalls: readonly RestoredCall[] }).restoredCalls = [...this.restoredCalls, call]; // replaced: attachHost's is a shared empty
    this.restoredCallEvents?.next(call);
  }

  nextId(kind: 'req' | 'caller' | 'call'): number {
    return kind === 'req' ? ++this.lastReqId : kind === 'caller' ? ++this.lastCallerId : ++this.lastCallId;
  }

  /**
   * XState's `actor.getPersistedSnapshot()` for the whole engine: a versioned, JSON-serializable record of every
   * VM and what it is doing, the GVMM, the scheduler, clock and PRNG (docs/snapshot.md). Between steps only
   * (on an EMT: VERR_VM_THREAD_IS_EMT); an embedder function the engine holds without a name in
   * `createVMM({ functions })` is refused with VERR_NOT_SUPPORTED, naming where it was found.
   */
  getPersistedSnapshot(): PersistedVmm {
    return persistVmm(this);
  }

  /** VMR3Create. Rejects with VBoxError (VERR_TOO_MANY_CPUS, VERR_INVALID_PARAMETER …) and creates nothing. */
  async create(options: CreateOptions): Promise<VM> {
    if (this.isDisposed) throw disposedError();
    const { vm, core, pool } = this.prepare(options);
    const errorsBefore = core.cErrors;
    const rc = await runOperation(core, reqCallOp(pool, { target: 'any' }, vmR3CreateU, []));
    if (rc < 0) await runOperation(core, destroyFailedVmOp(core)); // the EMTs go, the handle is free again
    statusToResult(core, rc, errorsBefore);
    announce(this, 'created', vm);
    return vm;
  }

  /**
   * VMR3Create for a caller that steps the scheduler itself (the checker's worlds): the same checks, EMTs and
   * init request as create(), vmR3CreateU's status to `onStatus` (a failed VM is left as it is, for the
   * caller to report). No promise is left pending, so a discarded world is garbage at once.
   */
  createThen(options: CreateOptions, onStatus: (rc: number) => void): VM {
    const { vm, core, pool } = this.prepare(options);
    runOperationThen(core, reqCallOp(pool, { target: 'any' }, vmR3CreateU, []), (result) => {
      if (typeof result === 'number' && result >= 0) announce(this, 'created', vm);
      onStatus(typeof result === 'number' ? result : isVBoxError(result) ? result.rc : VERR_INTERNAL_ERROR);
    });
    return vm;
  }

  /** VMR3Create's first half: check the input, make the VM, its units, GVMM attachment and EMTs. */
  private prepare(options: CreateOptions): { vm: VM; core: VmCore; pool: ReqPool } {
    if (typeof options !== 'object' || options === null) throw new VBoxError(VERR_INVALID_PARAMETER, 'create() needs { cpus }');
    const config = readBaseConfig(options.cpus, options.config ?? { NumCPUs: options.cpus });
    const core = new VmCore(this, reserveVmHandle(this.gvmm), options.cpus, config);
    if (options.atError) core.atError = [options.atError];
    core.components = userComponents(core, this.options.components);
    attachSavedState(core, options.ram ? { ram: options.ram } : {});
    const pool = new ReqPool(core);
    const vm = new VM(core, pool);
    const hooks: EmtHooks = attachVmToGvmm(core, this.gvmm, {
      fidelity: this.fidelity,
      ...(this.options.gvmm ? { gvmm: this.options.gvmm } : {}),
      ...(this.options.hooks ? { hooks: this.options.hooks } : {}),
    });
    for (let cpu = 0; cpu < core.cCpus; cpu++) core.emts.push(new Emt(core, cpu, pool, hooks));
    core.cActiveEmts = core.cCpus;
    this.inspection?.addVm(core);
    if (this.isDisposed) throw disposedError();
    this.vms.set(core.handle, vm);
    return { vm, core, pool };
  }

  /**
   * Create a VM and wait for a teleport into it (the target side): resolves with the VM SUSPENDED and ready to
   * resume; a failed teleport powers the VM off, destroys it and rejects.
   */
  listenForTeleport(options: TeleportListenOptions): Promise<VM> {
    return this.tracked(() => {
      // dispose() stops the listener too (its signal), so no server outlives the engine.
      const stop = new AbortController();
      const untrack = this.trackCall(() => stop.abort());
      if (typeof options !== 'object' || options === null) return listenForTeleport(this, options).finally(untrack); // its own refusal
      const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
      return listenForTeleport(this, { ...options, signal }).finally(untrack);
    });
  }

  /** Let `ns` of GIP time pass with the world running (virtual: as fast as it can be simulated). */
  advance(ns: number): Promise<void> {
    return this.tracked(() => this.sched.advance(ns));
  }

  runUntilIdle(): Promise<void> {
    return this.tracked(() => this.sched.runUntilIdle());
  }

  /** An engine-wide wait that dispose() ends (a disposed scheduler would never let it finish). */
  private tracked<T>(wait: () => Promise<T>): Promise<T> {
    if (this.isDisposed) return Promise.reject(disposedError());
    return new Promise<T>((resolve, reject) => {
      const untrack = this.trackCall(() => reject(killedError()));
      wait().then(resolve, reject).finally(untrack);
    });
  }

  /**
   * Final and prompt: timers are cleared and nothing steps again; every pending call rejects with
   * VERR_VM_REQUEST_KILLED and every later one with VERR_INVALID_VM_HANDLE; every VM's streams and vms$ complete.
   */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.inspection?.detach();
    this.sched.dispose();
    for (const kill of [...(this.calls ?? [])]) kill();
    for (const vm of [...this.vms.values()]) vm.core.end();
    (this.lifeEvents ??= new Subject()).complete(); // a later subscriber hears the end too
    (this.restoredCallEvents ??= new Subject()).complete();
  }

  /** A restored VM's EMT hooks, rebuilt from this engine's options (VmmHost). */
  emtHooks(core: VmCore): EmtHooks {
    return emtHooksOf(core, { hooks: this.options.hooks });
  }

  /** GVMMR3DestroyVM destroyed `core` (VmmHost): its VM leaves `vms` and vms$ says so. */
  vmDestroyed(core: VmCore): void {
    const vm = this.vms.get(core.handle);
    if (vm?.core !== core) return;
    this.vms.delete(core.handle);
    announce(this, 'destroyed', vm);
  }
}

/** vms$: a VM's creation (once VMR3Create succeeded) and its destruction (only after an announced creation). */
function announce(vmm: Vmm, kind: VmLifeEvent['kind'], vm: VM): void {
  if (kind === 'created') vm.announced = true;
  else if (vm.announced) vm.announced = false;
  else return; // a VM whose creation failed was never announced
  const events = (vmm as unknown as { lifeEvents: Subject<VmLifeEvent> | null }).lifeEvents;
  if (events?.observed) events.next({ kind, vm, handle: vm.handle, tNs: vmm.clock.nowNs() });
}

/**
 * The Vmm's state is its own fields but the host attachments; a restore attaches the host from the saved config
 * and the implementations the restore was given (its parts, revived before it, read them through `options`).
 */
persistable('Vmm', Vmm, VMM_PERSIST);

/**
 * vmR3CreateU's init on EMT(0): GVMMR3CreateVM (the reserved handle gets its GVM, EMT0 registered), each
 * other vCPU registers on its own EMT, the halt method goes from BOOTSTRAP to DEFAULT, then CREATED. Each wait
 * continues in a code-table function bound to (vm, cpu): data, not a closure.
 */
const create = defineCodes('vmR3Create', {
  vmR3CreateU: (({ vm }) => {
    const rc = gvmmR3CreateVM(vm);
    if (rc < 0) return rc;
    vm.created = true; // from here on every EMT may serve VMCPUID_ANY
    return registerFrom(vm, 1);
  }) as ReqFn,
  /** GVMMR3RegisterVCpu, on the vCPU's own EMT. */
  vmR3RegisterVCpu: (({ vm, cpu }) => gvmmR3RegisterVCpu(vm, cpu)) as ReqFn,
  registered: (vm: VmCore, cpu: number, rcReg: number): EmtResult => (rcReg < 0 ? rcReg : registerFrom(vm, cpu + 1)),
  haltMethodSet: (vm: VmCore, rcHalt: number): EmtResult => {
    if (rcHalt < 0) return rcHalt;
    vm.setState('CREATED', 'CREATING');
    return VINF_SUCCESS;
  },
});
const vmR3CreateU = create.vmR3CreateU;

function registerFrom(vm: VmCore, cpu: number): EmtResult {
  if (cpu >= vm.cCpus) return vmR3SetHaltMethodU(vm, VMHALTMETHOD.DEFAULT, bindCode(create.haltMethodSet, vm));
  return emtCallWait(cpu, create.vmR3RegisterVCpu, [], bindCode(create.registered, vm, cpu));
}

/**
 * A new engine, or with `snapshot` the engine a getPersistedSnapshot() wrote, restored and continuing (its
 * clock, scheduler policy and PRNG state; on the real clock its timers re-armed with their remaining time).
 * A restore takes the implementations again (`functions`, `hooks`, `components`, `inspect`) as XState's
 * `createActor(machine, { snapshot })` takes the machine's; a snapshot it cannot take (format, version, a
 * function `functions` lacks, an unknown class) is refused with a VBoxError and nothing is created.
 */
export function createVMM(options: VmmOptions = {}): Vmm {
  if (options.snapshot !== undefined) {
    return restoreVmm(options.snapshot, options, (vmm, given) => attachHost(vmm, rebuiltOptions(vmm, { ...vmm.implementations, ...given })));
  }
  return new Vmm(options);
}
