/**
 * The ring-0 per-VM and per-vCPU records GVMM keeps (GVM / GVMCPU, the `gvmm.s` parts): halt expiry, the
 * halt event semaphore, the pending wait, and the scheduler statistics. The EMT table lives in the handle's
 * machine (machines/gvmm-handle.ts); the VM and vCPU states GVMM looks at come through a binding, so GVMM
 * does not depend on the engine that runs the VM.
 */
import type { TimerHandle } from '../sched/scheduler.js';
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
  /** Make the halted EMT runnable; it finishes the halt (schedHaltDone) on its next step. */
  readonly wake: () => void;
  /** GIP time the wait started, for the caller's statistics. */
  readonly startNs: number;
}

export class GvmCpu {
  /** u64HaltExpire: the GIP deadline while blocked in GVMMR0SchedHalt, 0 otherwise. */
  haltExpireNs = 0;
  /** Bumped on every block, so stale entries of an expiry index can be told apart. */
  haltSeq = 0;
  /** HaltEventMulti: signalled until a halt resets it. */
  signalled = false;
  wait: GvmHaltWait | null = null;

  constructor(
    readonly gvm: Gvm,
    readonly idCpu: number,
  ) {}
}

export class Gvm {
  readonly cpus: GvmCpu[];
  /** gvmm.s.StatsSched. */
  readonly stats: StatsSched = zeroStatsSched();
  /** Cleared by the destructor (which also clears every vCPU's expiry, so index entries go stale). */
  alive = true;

  constructor(
    readonly handle: number,
    readonly cCpus: number,
    readonly session: string,
    readonly binding: GvmBinding,
  ) {
    this.cpus = Array.from({ length: cCpus }, (_, i) => new GvmCpu(this, i));
  }
}
