/**
 * GVMM's scheduler on GIP time (vbox-facts.md §9.3): GVMMR0SchedHalt, the EMT's return from it, wake-up,
 * poke, poll, and the early wake-up pass. A blocked halt is a wait on the vCPU's halt event with a scheduler
 * timer as its timeout, so a halted EMT costs nothing until the clock reaches its deadline or someone signals.
 */
import { persistable } from '../persist/registry.js';
import { fireTimer, type Scheduler, type TimerAction } from '../sched/scheduler.js';
import { VERR_INTERRUPTED, VERR_WRONG_ORDER, VINF_GVM_NOT_BLOCKED, VINF_GVM_NOT_BUSY_IN_GC, VINF_SUCCESS } from '../status.js';
import type { GvmmSchedConfig } from './config.js';
import { haltExpiryKey, type Gvm, type GvmCpu, type GvmHaltWait } from './gvm.js';
import type { GvmmHandleTable } from './handle-table.js';
import { createWakeUpIndex, NS_NEVER, type WakeUpIndex, type WakeUpIndexKind } from './wake-up-index.js';

/** Where GVMM writes the state that decides its future (the model checker's key); times relative to now. */
export interface GvmmStateSink {
  w(value: number): void;
  /** A non-negative number that may exceed 32 bits (nanoseconds). */
  wide(value: number): void;
}

const WAIT_RESULT_CODE = { signalled: 1, timeout: 2 } as const;

/** GVMMR0SchedHalt went to sleep: the EMT is woken later and then calls schedHaltDone. */
export const GVMM_HALT_BLOCKED = 'blocked' as const;

const NS_1SEC = 1_000_000_000;

export class GvmmSched {
  /** cHaltedEMTs: EMTs blocked in GVMMR0SchedHalt right now. */
  cHaltedEMTs = 0;
  /** uNsNextEmtWakeup; 0 (RTMemAllocZ) means "recalculate". */
  uNsNextEmtWakeup = 0;
  /** fDoingEarlyWakeUps: one pass at a time. */
  private doingEarlyWakeUps = false;
  readonly index: WakeUpIndex;

  constructor(
    readonly table: GvmmHandleTable,
    /** Gvmm's (frozen: GVMMR0SetConfig replaces it in both). */
    public config: Readonly<GvmmSchedConfig>,
    readonly sched: Scheduler,
    readonly asWritten: boolean,
    indexKind: WakeUpIndexKind,
  ) {
    this.index = createWakeUpIndex(indexKind);
  }

  nowNs(): number {
    return this.sched.clock.nowNs();
  }

  /**
   * GVMMR0SchedHalt on the vCPU's EMT: early wake-ups, then sleep until `expireNs` (capped at 1 s) if the
   * interval is at least the minimum sleep, else return at once.
   */
  halt(gvm: Gvm, cpu: GvmCpu, expireNs: number, wake: TimerAction, label: string, daemon = false): number | typeof GVMM_HALT_BLOCKED {
    gvm.stats.cHaltCalls++;
    if (cpu.wait || cpu.haltExpireNs !== 0) return VERR_WRONG_ORDER; // Assert(!u64HaltExpire)
    const config = this.config;
    const doEarlyWakeUps = config.fDoEarlyWakeUps;
    const nowNs = this.nowNs();
    if (doEarlyWakeUps) gvm.stats.cHaltWakeUps += this.doWakeUps(nowNs);
    const intervalNs = expireNs - nowNs;
    const minSleepNs = this.table.cEMTs > config.cEMTsMeansCompany ? config.nsMinSleepCompany : config.nsMinSleepAlone;
    if (!(nowNs < expireNs && intervalNs >= minSleepNs)) {
      gvm.stats.cHaltNotBlocking++;
      cpu.signalled = false; // RTSemEventMultiReset
      return VINF_SUCCESS;
    }
    gvm.stats.cHaltBlocking++;
    if (intervalNs > NS_1SEC) expireNs = nowNs + NS_1SEC;
    cpu.haltExpireNs = expireNs;
    cpu.haltSeq++;
    this.cHaltedEMTs++;
    this.index.halted(cpu, this.cHaltedEMTs);
    if (doEarlyWakeUps && expireNs < this.uNsNextEmtWakeup) this.uNsNextEmtWakeup = expireNs;
    const wait: GvmHaltWait = { result: null, timer: undefined, wake, startNs: nowNs };
    cpu.wait = wait;
    if (cpu.signalled) {
      // A wake-up got here first: the multi-event is still signalled and the wait returns at once.
      wait.result = 'signalled';
      fireTimer(wake);
    } else {
      wait.timer = this.sched.setTimer(expireNs, label, { target: cpu, event: 'haltTimeout' }, { daemon });
    }
    return GVMM_HALT_BLOCKED;
  }

  /** The rest of GVMMR0SchedHalt once the EMT runs again: clear the expiry, count, reset the event. */
  haltDone(gvm: Gvm, cpu: GvmCpu): number {
    const wait = cpu.wait;
    if (!wait) return VERR_WRONG_ORDER;
    cpu.wait = null;
    this.sched.clearTimer(wait.timer);
    cpu.haltExpireNs = 0;
    this.cHaltedEMTs--;
    // The EMT runs again before a signal or the timeout: the wait was interrupted.
    if (wait.result === null) return VERR_INTERRUPTED;
    if (wait.result === 'signalled') {
      cpu.signalled = false; // reset to prevent a few false wake-ups
      return VINF_SUCCESS;
    }
    // VERR_TIMEOUT becomes success; a signal that came after the timeout stays pending.
    gvm.stats.cHaltTimeouts++;
    return VINF_SUCCESS;
  }

  /** Signal the halt event; a blocked wait ends now (RTSemEventMultiSignal). */
  signal(cpu: GvmCpu): void {
    signalHaltEvent(cpu);
  }

  /** gvmmR0SchedWakeUpOne: always signal, since the EMT may be just about to block. */
  wakeUpOne(gvm: Gvm, cpu: GvmCpu): number {
    gvm.stats.cWakeUpCalls++;
    let rc = VINF_SUCCESS;
    if (cpu.haltExpireNs !== 0) cpu.haltExpireNs = 0;
    else {
      rc = VINF_GVM_NOT_BLOCKED;
      gvm.stats.cWakeUpNotHalted++;
    }
    this.signal(cpu);
    return rc;
  }

  /** gvmmR0SchedPokeOne: only a vCPU in guest code (STARTED_EXEC) gets the IPI. */
  pokeOne(gvm: Gvm, cpu: GvmCpu): number {
    gvm.stats.cPokeCalls++;
    if (gvm.binding.cpuState(cpu.idCpu) !== 'STARTED_EXEC') {
      gvm.stats.cPokeNotBusy++;
      return VINF_GVM_NOT_BUSY_IN_GC;
    }
    gvm.binding.poke(cpu.idCpu);
    return VINF_SUCCESS;
  }

  /** gvmmR0SchedDoWakeUps: the early wake-up pass; returns how many EMTs it woke. */
  doWakeUps(nowNs: number): number {
    const config = this.config;
    if (!config.fDoEarlyWakeUps || this.cHaltedEMTs === 0) return 0;
    const ew2Ns = nowNs + config.nsEarlyWakeUp2;
    // The quick check. As written it is inverted (it skips exactly when an expiry is due within EW2), and
    // with uNsNextEmtWakeup starting at 0 it always skips; intended: skip when nothing is due that soon.
    if (this.asWritten ? ew2Ns > this.uNsNextEmtWakeup : ew2Ns < this.uNsNextEmtWakeup) return 0;
    if (this.doingEarlyWakeUps) return 0;
    this.doingEarlyWakeUps = true;
    const { woken, minNs } = this.index.pass(this.table, nowNs, config.nsEarlyWakeUp1, config.nsEarlyWakeUp2, this.asWritten, wakeExpired);
    this.uNsNextEmtWakeup = minNs;
    this.doingEarlyWakeUps = false;
    return woken;
  }

  /**
   * The per-vCPU scheduling state for the state key: u64HaltExpire from now (an expiry already passed is woken
   * by the next pass however long ago it was), the halt event, and how a pending wait ended. haltSeq and the
   * statistics only count; the wait's timer is one of the scheduler's timers.
   */
  writeCpuState(cpu: GvmCpu, sink: GvmmStateSink): void {
    const nowNs = this.nowNs();
    const expiry = haltExpiryKey(cpu.haltExpireNs, nowNs);
    if (expiry < 0) sink.w(expiry);
    else sink.wide(expiry);
    const wait = cpu.wait;
    sink.w((cpu.signalled ? 1 : 0) | (wait ? 2 + (wait.result ? WAIT_RESULT_CODE[wait.result] << 2 : 0) : 0));
  }

  /**
   * uNsNextEmtWakeup for the state key, by what it decides. Only the early wake-up quick check reads it, against
   * now + EW2, and halts only lower it to expiries at least a minimum sleep away. Every value below now + EW2 (0,
   * "recalculate", included) gives the same answer from here on in both fidelities, so it is one class; above it,
   * the distance from now; NS_NEVER is its own.
   */
  writeState(sink: GvmmStateSink): void {
    sink.w(this.cHaltedEMTs);
    const next = this.nextWakeupKey(this.nowNs());
    if (next < 0) sink.w(next);
    else sink.wide(next);
  }

  /** uNsNextEmtWakeup as it decides: -3 early wake-ups off, -2 never, -1 the quick check never skips, else from now. */
  nextWakeupKey(nowNs: number): number {
    if (!this.config.fDoEarlyWakeUps) return -3;
    const next = this.uNsNextEmtWakeup;
    if (next === NS_NEVER) return -2;
    const relNs = next - nowNs;
    return next === 0 || relNs < this.config.nsEarlyWakeUp2 ? -1 : relNs;
  }

  /** A destroyed VM leaves nothing behind: pending waits end, the halted count drops. */
  forget(gvm: Gvm): void {
    for (const cpu of gvm.cpus) {
      if (cpu.wait) {
        this.sched.clearTimer(cpu.wait.timer);
        cpu.wait = null;
        this.cHaltedEMTs--;
      }
      if (cpu.haltExpireNs !== 0) cpu.haltExpireNs = 0; // (a record that never halted is frozen: Gvm.cpus)
    }
  }
}

// The next early wake-up is an instant: the key has it relative to now.
persistable('GvmmSched', GvmmSched, { owned: ['index'], keyFields: { uNsNextEmtWakeup: (sched, _next: number, now) => sched.nextWakeupKey(now) } });

/** RTSemEventMultiSignal on the vCPU's halt event: a blocked wait ends now. */
function signalHaltEvent(cpu: GvmCpu): void {
  cpu.signalled = true;
  const wait = cpu.wait;
  if (wait && wait.result === null) {
    wait.result = 'signalled';
    fireTimer(wait.wake);
  }
}

/** ASMAtomicXchgU64(&u64HaltExpire, 0), and signal when it was still set (the early wake-up pass's wake). */
function wakeExpired(cpu: GvmCpu): boolean {
  if (cpu.haltExpireNs === 0) return false;
  cpu.haltExpireNs = 0;
  signalHaltEvent(cpu);
  return true;
}
