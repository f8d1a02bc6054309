/**
 * GVMM, the global VM manager (GVMMR0.cpp, vbox-facts.md §9): one per engine. It hands out VM handles,
 * keeps the EMT registry, and schedules halted EMTs on GIP time. Ring-0 calls return VirtualBox statuses
 * (negative = failure) as GVMMR0* does; configuration calls throw VBoxError. Threads are named by their
 * systemId (an EMT's `vm.N/emt.i`), which stands for the native thread handle GVMM compares.
 */
import { persistable } from '../persist/registry.js';
import type { Scheduler, TimerAction } from '../sched/scheduler.js';
import {
  VBoxError, VERR_ALREADY_EXISTS, VERR_INVALID_CPU_ID, VERR_INVALID_PARAMETER, VERR_NOT_IMPLEMENTED, VERR_NOT_OWNER,
  VINF_SUCCESS,
} from '../status.js';
import { defaultSchedConfig, querySchedConfig, setSchedConfig, type GvmmSchedConfig } from './config.js';
import { Gvm, type GvmBinding, type GvmCpu } from './gvm.js';
import { GvmmHandleTable } from './handle-table.js';
import { GVMM_HALT_BLOCKED, GvmmSched } from './sched.js';
import { addStatsSched, resetStatsSched, zeroStatsSched, type StatsSched } from './stats.js';
import type { WakeUpIndexKind } from './wake-up-index.js';

/** VMM_MAX_CPU_COUNT. */
const MAX_CPUS = 64;

export interface GvmmOptions {
  sched: Scheduler;
  fidelity?: 'intended' | 'as-written';
  /** How early wake-ups find due vCPUs: VirtualBox's full 'scan' or our expiry 'heap' (default). */
  wakeUpIndex?: WakeUpIndexKind;
  /** `/GVMM/...` settings applied at start (GVMMR0SetConfig); a bad one throws VBoxError. */
  config?: Readonly<Record<string, number>>;
  /** RTSemEventMultiGetResolution, which picks the defaults (default 1 ms, Node's timer granularity). */
  semResolutionNs?: number;
  /** Handle array size, NIL included (default 8192: at most 8191 VMs). */
  maxHandles?: number;
}

/** A registry change, in the order GVMM made it. */
export interface GvmmEvent {
  op: 'create' | 'register' | 'deregister' | 'destroy';
  handle: number;
  cpu: number | null;
  rc: number;
  /** The calling thread. */
  by: string;
  tNs: number;
}

export interface GvmmStatistics {
  /** SchedVM: the one VM asked about (when a handle was given). */
  schedVM?: StatsSched;
  /** SchedSum: every live VM added up. */
  schedSum: StatsSched;
  cVMs: number;
  cEMTs: number;
  cHaltedEMTs: number;
}

export class Gvmm {
  readonly table: GvmmHandleTable;
  /** Frozen: GVMMR0SetConfig replaces it (here and in schedOps), so world copies share it. */
  config: Readonly<GvmmSchedConfig>;
  readonly schedOps: GvmmSched;
  /**
   * Observers of registry changes (host attachments: a restore or copy starts with none, their owners add them
   * again), made at the first `listeners` (a world copy nobody watches makes none).
   */
  private eventListeners: Set<(event: GvmmEvent) => void> | null = null;

  /** The scheduler (its clock times events until schedOps exists); the other options live on in table, config and schedOps. */
  private readonly sched: Scheduler;

  constructor(options: GvmmOptions) {
    this.sched = options.sched;
    this.table = new GvmmHandleTable(options.maxHandles);
    this.config = Object.freeze(defaultSchedConfig(options.semResolutionNs));
    const index = options.wakeUpIndex ?? 'heap';
    if (index !== 'scan' && index !== 'heap') throw new VBoxError(VERR_INVALID_PARAMETER, `wakeUpIndex must be 'scan' or 'heap', got ${String(index)}`);
    for (const [name, value] of Object.entries(options.config ?? {})) this.setConfig(name, value);
    this.schedOps = new GvmmSched(this.table, this.config, options.sched, options.fidelity === 'as-written', index);
  }

  /** Observers of registry changes (GvmmEvent), in the order added. */
  get listeners(): Set<(event: GvmmEvent) => void> {
    return (this.eventListeners ??= new Set());
  }

  get wakeUpIndex(): WakeUpIndexKind {
    return this.schedOps.index.kind;
  }

  get cVMs(): number {
    return this.table.cVMs;
  }

  get cEMTs(): number {
    return this.table.cEMTs;
  }

  get cHaltedEMTs(): number {
    return this.schedOps.cHaltedEMTs;
  }

  get uNsNextEmtWakeup(): number {
    return this.schedOps.uNsNextEmtWakeup;
  }

  /** Take a handle off the free list ahead of the GVM (the engine names a VM by it from its first step). */
  reserveHandle(): number {
    return this.table.alloc();
  }

  /** Give back a reserved handle whose VM never came to be. */
  releaseHandle(handle: number): number {
    return this.table.abandon(handle);
  }

  /**
   * GVMMR0CreateVM: check the CPU count and the session, take a handle (or complete a reserved one), create
   * the GVM with EMT0 registered. Returns the handle, or a status.
   */
  createVM(options: { cCpus: number; session: string; emt0: string; binding: GvmBinding; handle?: number }): number {
    const { cCpus, session, emt0 } = options;
    if (!Number.isInteger(cCpus) || cCpus < 1 || cCpus > MAX_CPUS) return this.fail(options.handle, VERR_INVALID_PARAMETER);
    if (this.hasSession(session)) return this.fail(options.handle, VERR_ALREADY_EXISTS);
    const handle = options.handle ?? this.table.alloc();
    if (handle < 0) return handle;
    const gvm = new Gvm(handle, cCpus, session, options.binding);
    const rc = this.table.bind(gvm, emt0);
    if (rc < 0) return rc;
    this.emit('create', handle, 0, VINF_SUCCESS, emt0);
    return handle;
  }

  /** GVMMR0DestroyVM by EMT0 once every other EMT has deregistered; the handle goes to the free head. */
  destroyVM(handle: number, caller: string): number {
    const gvm = this.table.lookup(handle);
    if (typeof gvm === 'number') return gvm;
    const rc = this.table.destroy(gvm, caller);
    if (rc === VINF_SUCCESS) {
      this.schedOps.forget(gvm);
    }
    this.emit('destroy', handle, 0, rc, caller);
    return rc;
  }

  /** GVMMR0RegisterVCpu, on that vCPU's EMT. */
  registerVCpu(handle: number, idCpu: number, emt: string): number {
    const gvm = this.table.lookup(handle);
    if (typeof gvm === 'number') return gvm;
    const rc = this.table.registerVCpu(gvm, idCpu, emt);
    this.emit('register', handle, idCpu, rc, emt);
    return rc;
  }

  /** GVMMR0DeregisterVCpu: the slot becomes DESTROYED and can never be registered again. */
  deregisterVCpu(handle: number, idCpu: number, emt: string): number {
    const gvm = this.table.lookup(handle);
    if (typeof gvm === 'number') return gvm;
    const rc = this.table.deregisterVCpu(gvm, idCpu, emt);
    this.emit('deregister', handle, idCpu, rc, emt);
    return rc;
  }

  /** The EMT registered for a vCPU: a thread id, null (NIL) or '~1' (DESTROYED). */
  emtOf(handle: number, idCpu: number): string | null | undefined {
    return this.table.context(handle).emts[idCpu];
  }

  /**
   * GVMMR0SchedHaltReq: `wake` runs when the sleep ends; the EMT then calls schedHaltDone. A `daemon` halt
   * (an idle wait, a halt without deadline) does not keep a held simulation going by its timeout alone.
   */
  schedHalt(
    handle: number, idCpu: number, caller: string, expireNs: number, wake: TimerAction, options: { daemon?: boolean } = {},
  ): number | typeof GVMM_HALT_BLOCKED {
    const found = this.byEmt(handle, idCpu, caller);
    if (typeof found === 'number') return found;
    return this.schedOps.halt(found.gvm, found.gvm.ownCpu(idCpu), expireNs, wake, `${caller}/gvmm-halt`, options.daemon ?? false);
  }

  /** The EMT is running again after a blocked schedHalt. */
  schedHaltDone(handle: number, idCpu: number): number {
    const found = this.byCpu(handle, idCpu);
    if (typeof found === 'number') return found;
    return this.schedOps.haltDone(found.gvm, found.gvm.ownCpu(idCpu));
  }

  /** GVMMR0SchedWakeUpEx: VINF_GVM_NOT_BLOCKED when it was not halted; then (with the lock) early wake-ups. */
  schedWakeUp(handle: number, idCpu: number, takeUsedLock = true): number {
    const found = this.byCpu(handle, idCpu);
    if (typeof found === 'number') return found;
    const rc = this.schedOps.wakeUpOne(found.gvm, found.gvm.ownCpu(idCpu));
    if (takeUsedLock && this.config.fDoEarlyWakeUps) {
      found.gvm.stats.cWakeUpWakeUps += this.schedOps.doWakeUps(this.schedOps.nowNs());
    }
    return rc;
  }

  /** GVMMR0SchedPokeEx: VINF_GVM_NOT_BUSY_IN_GC unless the vCPU runs guest code. */
  schedPoke(handle: number, idCpu: number): number {
    const found = this.byCpu(handle, idCpu);
    if (typeof found === 'number') return found;
    return this.schedOps.pokeOne(found.gvm, found.cpu);
  }

  /** GVMMR0SchedPoll (EMT): early wake-ups without sleeping; yielding is not implemented. */
  schedPoll(handle: number, idCpu: number, caller: string, yieldCpu: boolean): number {
    const found = this.byEmt(handle, idCpu, caller);
    if (typeof found === 'number') return found;
    if (!yieldCpu && this.config.fDoEarlyWakeUps) {
      found.gvm.stats.cPollCalls++;
      found.gvm.stats.cPollWakeUps += this.schedOps.doWakeUps(this.schedOps.nowNs());
      return VINF_SUCCESS;
    }
    return yieldCpu ? VERR_NOT_IMPLEMENTED : VINF_SUCCESS;
  }

  /** GVMMR0SchedWakeUpAndPokeCpus: highest CPU first, never the caller's own; wake the sleep set, poke the rest. */
  wakeUpAndPokeCpus(handle: number, caller: string, sleepSet: readonly number[], pokeSet: readonly number[]): number {
    const gvm = this.table.lookup(handle);
    if (typeof gvm === 'number') return gvm;
    const emts = this.table.context(handle).emts;
    const sleep = new Set(sleepSet);
    const poke = new Set(pokeSet);
    for (let idCpu = gvm.cCpus - 1; idCpu >= 0; idCpu--) {
      if (emts[idCpu] === caller) continue;
      if (sleep.has(idCpu)) this.schedOps.wakeUpOne(gvm, gvm.ownCpu(idCpu));
      else if (poke.has(idCpu)) this.schedOps.pokeOne(gvm, gvm.cpus[idCpu]!);
    }
    return VINF_SUCCESS;
  }

  /** GVMMR0SetConfig by name ("/GVMM/MinSleepAlone" …); VERR_CFGM_VALUE_NOT_FOUND / VERR_OUT_OF_RANGE throw. */
  setConfig(name: string, value: number): number {
    const config = { ...this.config };
    const rc = setSchedConfig(config, name, value);
    if (rc < 0) throw new VBoxError(rc, `GVMMR0SetConfig(${String(name)}, ${String(value)})`);
    this.config = Object.freeze(config);
    if (this.schedOps) this.schedOps.config = this.config; // (none yet while the constructor applies options.config)
    return rc;
  }

  /** GVMMR0QueryConfig. */
  queryConfig(name: string): number {
    const { rc, value } = querySchedConfig(this.config, name);
    if (rc < 0 || value === undefined) throw new VBoxError(rc, `GVMMR0QueryConfig(${String(name)})`);
    return value;
  }

  /** GVMMR0QueryStatistics: the VM's counters (with a handle) and the sum over every live VM. */
  queryStatistics(handle?: number): GvmmStatistics {
    const schedSum = zeroStatsSched();
    this.table.forEachUsedGvm((gvm) => addStatsSched(schedSum, gvm.stats));
    const result: GvmmStatistics = { schedSum, cVMs: this.cVMs, cEMTs: this.cEMTs, cHaltedEMTs: this.cHaltedEMTs };
    if (handle !== undefined) {
      const gvm = this.table.lookup(handle);
      if (typeof gvm === 'number') throw new VBoxError(gvm, `no VM with handle ${handle}`);
      result.schedVM = { ...gvm.stats };
    }
    return result;
  }

  /** GVMMR0ResetStatistics: fields non-zero in the template are reset (SchedVM for one VM, SchedSum for all). */
  resetStatistics(template: { schedVM?: Partial<StatsSched>; schedSum?: Partial<StatsSched> }, handle?: number): void {
    if (handle !== undefined && template.schedVM) {
      const gvm = this.table.lookup(handle);
      if (typeof gvm === 'number') throw new VBoxError(gvm, `no VM with handle ${handle}`);
      resetStatsSched(gvm.stats, template.schedVM);
    }
    if (template.schedSum) this.table.forEachUsedGvm((gvm) => resetStatsSched(gvm.stats, template.schedSum!));
  }

  private fail(reserved: number | undefined, rc: number): number {
    if (reserved !== undefined) this.table.abandon(reserved);
    return rc;
  }

  private byCpu(handle: number, idCpu: number): { gvm: Gvm; cpu: GvmCpu } | number {
    const gvm = this.table.lookup(handle);
    if (typeof gvm === 'number') return gvm;
    // The record as it is (frozen while the vCPU never halted): callers that write take Gvm.ownCpu.
    const cpu = Number.isInteger(idCpu) ? gvm.cpus[idCpu] : undefined;
    return cpu ? { gvm, cpu } : VERR_INVALID_CPU_ID;
  }

  /** gvmmR0ByGVMandEMT: the caller must be the vCPU's EMT. */
  private byEmt(handle: number, idCpu: number, caller: string): { gvm: Gvm; cpu: GvmCpu } | number {
    const found = this.byCpu(handle, idCpu);
    if (typeof found === 'number') return found;
    return this.table.context(handle).emts[idCpu] === caller ? found : VERR_NOT_OWNER;
  }

  /**
   * One VM per session: a bound GVM of the used list has it (no session table: a world copy has a Map fewer, and a
   * VM's creation is rare enough for the walk).
   */
  private hasSession(session: string): boolean {
    let found = false;
    this.table.forEachUsedGvm((gvm) => void (found ||= gvm.session === session));
    return found;
  }

  private emit(op: GvmmEvent['op'], handle: number, cpu: number | null, rc: number, by: string): void {
    const listeners = this.eventListeners;
    if (!listeners || listeners.size === 0) return;
    const event: GvmmEvent = { op, handle, cpu, rc, by, tNs: this.schedOps?.nowNs() ?? this.sched.clock.nowNs() };
    for (const listener of listeners) listener(event);
  }
}

persistable('Gvmm', Gvmm, {
  transient: ['eventListeners'],
  owned: ['schedOps'],
  revive: (gvmm) => {
    (gvmm as unknown as { eventListeners: null }).eventListeners = null;
  },
});

export { GVMM_HALT_BLOCKED };
