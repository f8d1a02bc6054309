/**
 * The ring-0 per-VM and per-vCPU records GVMM keeps (GVM / GVMCPU, the `gvmm.s` parts): halt expiry, the
 * halt event semaphore, the pending wait, and the scheduler statistics. The EMT table lives in the handle's
 * machine (machines/gvmm-handle.ts); the VM and vCPU states GVMM looks at come through a binding, so GVMM
 * does not depend on the engine that runs the VM.
 */
import { thawedAt } from '../persist/empty-list.js';
import { persistable } from '../persist/registry.js';
import { fireTimer, type TimerAction, type TimerHandle, type TimerTarget } from '../sched/scheduler.js';
import { zeroStatsSched, type StatsSched } from './stats.js';

/** What GVMM reads from and does to the VM it manages. */
export interface GvmBinding {
  /** pGVM->enmVMState. */
  vmState(): string;
  /** VMCPU_GET_STATE: GVMMR0SchedPoke pokes only STARTED_EXEC. */
  cpuState(idCpu: number): string;
  /** RTMpPokeCpu: the IPI that gets a vCPU out of guest code. */
  poke(idCpu: number): void;
}

/** A blocked GVMMR0SchedHalt: what ended it first (RTSemEventMultiWaitEx's result) and who to wake. */
export interface GvmHaltWait {
  result: 'signalled' | 'timeout' | null;
  timer: TimerHandle | undefined;
  /** Makes the halted EMT runnable (a record for its EMT, or a test's callback); it then calls schedHaltDone. */
  readonly wake: TimerAction;
  /** GIP time the wait started, for the caller's statistics. */
  readonly startNs: number;
}

/** The halt event's timeout is a timer record addressed to the vCPU (event 'haltTimeout'), not a closure. */
export class GvmCpu implements TimerTarget {
  /** u64HaltExpire: the GIP deadline while blocked in GVMMR0SchedHalt, 0 otherwise. */
  haltExpireNs = 0;
  /** Bumped on every block, so stale entries of an expiry index can be told apart. */
  haltSeq = 0;
  /** HaltEventMulti: signalled until a halt resets it. */
  signalled = false;
  wait: GvmHaltWait | null = null;

  constructor(
    /** The GVM's handle (a number, not the GVM: a record that refers to nothing mutable may be frozen and shared). */
    readonly handle: number,
    readonly idCpu: number,
  ) {}

  get id(): string {
    return `gvm.${this.handle}/cpu.${this.idCpu}`;
  }

  /** A writable copy of a frozen record (Gvm.ownCpu): the same fields, in the constructor's order. */
  thawed(): GvmCpu {
    return Object.assign(new GvmCpu(this.handle, this.idCpu), this);
  }

  /** RTSemEventMultiWaitEx timed out ('haltTimeout'): unless a signal came first, the wait ends now. */
  timerFired(_event: string): void {
    const wait = this.wait;
    if (!wait || wait.result !== null) return;
    wait.result = 'timeout';
    fireTimer(wait.wake);
  }
}

/** haltSeq only tells an expiry index's stale entries apart (by equality): it decides nothing on its own. */
/** u64HaltExpire for the state key: -1 none, else from now, 0 once passed (the next pass wakes it however long ago). */
export const haltExpiryKey = (expireNs: number, nowNs: number): number => (expireNs === 0 ? -1 : Math.max(expireNs - nowNs, 0));

// The key: the expiry as it decides, and a pending wait without its start time (the caller's statistics).
persistable('GvmCpu', GvmCpu, {
  history: ['haltSeq'],
  keyFields: {
    haltExpireNs: (_cpu, expireNs: number, now) => haltExpiryKey(expireNs, now),
    wait: (_cpu, wait: GvmHaltWait | null) => (wait ? { ...wait, startNs: undefined } : null),
  },
});

export class Gvm {
  /**
   * Per vCPU (read them here; write through ownCpu). A vCPU that never halted has a frozen record, which world copies
   * share instead of copying; its first write replaces it with a writable copy (and the list, frozen too, with a new
   * list), before a timer or the wake-up index can refer to it (both only ever hold a record that halted, and so was
   * written).
   */
  cpus: readonly GvmCpu[];
  /** gvmm.s.StatsSched, made at the first count (a world copy of a VM that never halted has one object less). */
  statsRecord: StatsSched | null = null;
  /** Cleared by the destructor (which also clears every vCPU's expiry, so index entries go stale). */
  alive = true;

  constructor(
    readonly handle: number,
    readonly cCpus: number,
    readonly session: string,
    readonly binding: GvmBinding,
  ) {
    this.cpus = Object.freeze(Array.from({ length: cCpus }, (_, i) => Object.freeze(new GvmCpu(handle, i))));
  }

  /** vCPU `idCpu`'s record to write: its own, made from the shared frozen one at the first write. */
  ownCpu(idCpu: number): GvmCpu {
    this.cpus = thawedAt(this.cpus, idCpu);
    return this.cpus[idCpu]!;
  }

  get stats(): StatsSched {
    return (this.statsRecord ??= zeroStatsSched());
  }
}

/** The statistics only count (GVMMR0QueryStatistics reads them; no decision does). */
persistable('Gvm', Gvm, { history: ['statsRecord'], owned: ['binding', 'cpus'] }); // (a GvmCpu is a halt timer's target too)
