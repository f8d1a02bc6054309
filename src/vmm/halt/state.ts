/**
 * A VM's halt-method state (UVM::vm.s.Halt and the per-UVMCPU parts of VMInternal.h): the current method as a
 * machines/halt-method.ts cell, each EMT's fWait flag and wait semaphore, the ring-0 halt setting, METHOD_1's
 * per-CPU history, and the halt statistics. Lives in `vm.halt` from VMR3Create on.
 */
import {
  HALT_METHOD_NAMES, haltMethodDescriptor, haltMethodMachine, METHOD1_DEFAULTS, type HaltMethodConfig, type HaltMethodDescriptor,
  type HaltMethodEvent, type HaltMethodName, type Method1Config,
} from '../../../machines/halt-method.js';
import type { Gvmm } from '../../gvmm/gvmm.js';
import type { GvmmStateSink } from '../../gvmm/sched.js';
import { thawedAt } from '../../persist/empty-list.js';
import { defineConstant, persistable } from '../../persist/registry.js';
import { MachineCell, type TransitionListener } from '../../sched/machine-cell.js';
import { heldCell, type CellHolder } from '../../sched/held-cell.js';
import type { VmConfig } from '../config.js';
import type { VmCore } from '../vm-core.js';
import { EventSem } from './event-sem.js';

/** Per-EMT halt counters (the StatHalt* of VMEmt.cpp, as counts). */
export interface HaltCpuStats {
  /** VMR3WaitHalted calls that halted (the vCPU went STARTED_HALTED). */
  cHalts: number;
  /** VMR3WaitU calls that waited. */
  cWaits: number;
  /** Halt-loop passes that spun, yielded or blocked. */
  cSpins: number;
  cYields: number;
  cBlocks: number;
  /** GLOBAL_1 blocks: ended > 50 µs after the deadline, > 50 µs before it, or in between. */
  cBlockOverslept: number;
  cBlockInsomnia: number;
  cBlockOnTime: number;
  /** Halts ended by the guest's timer deadline (TMR3TimerQueuesDo) rather than a force flag. */
  cTimerExpiries: number;
  /** VMR3NotifyCpuFF calls for this EMT, and those that woke it (signal or SCHED_WAKE_UP) or poked it. */
  cNotifies: number;
  cNotifyWakeUps: number;
  cNotifyPokes: number;
}

export const zeroHaltCpuStats = (): HaltCpuStats => ({
  cHalts: 0, cWaits: 0, cSpins: 0, cYields: 0, cBlocks: 0, cBlockOverslept: 0, cBlockInsomnia: 0, cBlockOnTime: 0,
  cTimerExpiries: 0, cNotifies: 0, cNotifyWakeUps: 0, cNotifyPokes: 0,
});

/**
 * Where a halt wait writes the state that decides its future, for the model checker's state key: small
 * integers, and times relative to now (absolute GIP time is never state). The same sink as GVMM's.
 */
export type StateSink = GvmmStateSink;

/** METHOD_1's history of one EMT (Halt.Method12 of UVMCPU). */
export interface Method1History {
  startSpinNs: number;
  lastBlockNs: number;
  cNSBlocked: number;
  cNSBlockedTooLong: number;
  cNSBlockedTooLongAvg: number;
  cBlocks: number;
}

/** METHOD_1's history before its first write: one frozen record every EMT (and every world copy) shares. */
const METHOD1_FRESH: Readonly<Method1History> = defineConstant(
  'vmm.haltMethod1Fresh',
  Object.freeze({ startSpinNs: 0, lastBlockNs: 0, cNSBlocked: 0, cNSBlockedTooLong: 0, cNSBlockedTooLongAvg: 0, cBlocks: 0 }),
);

/** The halt loop of an EMT while it runs; a spinning one sees force flags at once (it polls them). */
export interface ActiveHaltLoop {
  notified(): void;
  writeState(sink: StateSink, nowNs: number): void;
}

export class CpuHalt {
  /** fWait: set while the EMT waits in ring 3 (every method but GLOBAL_1's halt). */
  fWait = false;
  /**
   * EventSemWait, made at its first use (VmHalt.sem) and dropped when a wait ends with no signal pending (GLOBAL_1,
   * the checker's usual method, never uses it: a world copy has an object fewer per vCPU); idle, it keys as none
   * (keyFields).
   */
  semRecord: EventSem | null = null;
  /** VMMR3SetMayHaltInRing0. */
  mayHaltInRing0 = false;
  spinBlockThresholdNs = 0;
  active: ActiveHaltLoop | null = null;
  /** VMR3WaitHalted's one-second averages. */
  haltsStartNs = 0;
  haltsInWindow = 0;
  haltIntervalNs = 1_000_000_000;
  haltFrequency = 1;
  /** METHOD_1 history (Halt.Method12 of UVMCPU): the shared METHOD1_FRESH until METHOD_1 first writes it (ownMethod1). */
  method1: Readonly<Method1History> = METHOD1_FRESH;
  /** The counters, made at the first count (most EMTs of most worlds never halt: a world copy has one object less). */
  statsRecord: HaltCpuStats | null = null;

  constructor(readonly cpu: number) {}

  /** Holds only data (nothing made at a first use, no halt loop running): it may be frozen and shared (VmHalt.shareIdle). */
  get idle(): boolean {
    return this.semRecord === null && this.active === null && this.statsRecord === null && Object.isFrozen(this.method1);
  }

  /** A writable copy of a frozen record (VmHalt.ownCpu): the same fields, in the constructor's order. */
  thawed(): CpuHalt {
    return Object.assign(new CpuHalt(this.cpu), this);
  }

  /** The EMT stops waiting on its semaphore (RTSemEventWait given up); unless a signal is pending, the semaphore goes. */
  cancelSemWait(): void {
    const sem = this.semRecord;
    if (sem === null) return;
    sem.cancel();
    if (!sem.signalled) this.semRecord = null; // idle: as never made (the next use makes one)
  }

  /** METHOD_1's history to write: a record of this EMT's own, made at the first write. */
  ownMethod1(): Method1History {
    return Object.isFrozen(this.method1) ? (this.method1 = { ...this.method1 }) : (this.method1 as Method1History);
  }

  get stats(): HaltCpuStats {
    return (this.statsRecord ??= zeroHaltCpuStats());
  }

  /**
   * What decides this EMT's next waits: fWait, the semaphore, the ring-0 setting, METHOD_1's history and the
   * running halt loop. Statistics and the halt averages are only counted, never read, so they stay out.
   */
  writeState(sink: StateSink, nowNs: number, virtualSync: VmHalt['virtualSync']): void {
    const sem = this.semRecord;
    sink.w((this.fWait ? 1 : 0) | (sem?.signalled ? 2 : 0) | (sem?.waiting ? 4 : 0) | (this.mayHaltInRing0 ? 8 : 0));
    sink.w(this.spinBlockThresholdNs);
    const m1 = method1Key(this.method1, nowNs, virtualSync.catchUpPct !== 0);
    if (m1 === 0) sink.w(0);
    else {
      sink.w(m1.length);
      for (const v of m1) sink.wide(v);
    }
    if (this.active) this.active.writeState(sink, nowNs);
    else sink.w(-1);
  }
}

/**
 * What of METHOD_1's history decides an EMT's next waits, for both state keys (CpuHalt.writeState and the snapshot
 * key's keyFields): 0 when none of it does, else its deciding numbers. method1SpinDecision reads the spin history
 * only while TM's virtual-sync clock catches up (`catchingUp`; never in the checker); the oversleep average
 * shortens blocks, and while nothing ever overslept cBlocks only counts; cNSBlocked only counts.
 */
export function method1Key(m1: CpuHalt['method1'], nowNs: number, catchingUp: boolean): 0 | number[] {
  const overslept = m1.cNSBlockedTooLong !== 0 || m1.cNSBlockedTooLongAvg !== 0;
  if (!catchingUp && !overslept) return 0;
  const key: number[] = [];
  if (catchingUp) key.push(m1.startSpinNs !== 0 ? 1 : 0, Math.min(Math.max(nowNs - m1.lastBlockNs, 0), 2 ** 40));
  if (overslept) key.push(m1.cNSBlockedTooLong, m1.cNSBlockedTooLongAvg, m1.cBlocks);
  return key;
}

/** The statistics and VMR3WaitHalted's one-second averages are only counted, never read to decide. */
persistable('CpuHalt', CpuHalt, {
  owned: ['method1'],
  history: ['statsRecord', 'haltsStartNs', 'haltsInWindow', 'haltIntervalNs', 'haltFrequency'],
  // A CpuHalt does not see VmHalt.virtualSync, and nothing in the engine sets it (TM's catch-up is not modelled:
  // it stays {0, 0}), so the snapshot key takes writeState's rule with the clock not catching up. Counting the spin
  // history instead would keep apart worlds the hand key joins (test/check/snapshot-key-equal.test.ts).
  keyFields: {
    method1: (_cpu, m1: CpuHalt['method1'], now: number) => method1Key(m1, now, false),
    // An idle semaphore is one never made (writeState writes only its flags).
    semRecord: (_cpu, sem: EventSem | null) => (sem !== null && (sem.signalled || sem.waiting) ? sem : null),
  },
});

export interface HaltOptions {
  asWritten: boolean;
  /** SUPR3IsDriverless(): GLOBAL_1 becomes METHOD_1. */
  driverless: boolean;
  /** SUPSemEventMultiGetResolution, for GLOBAL_1's threshold. */
  semResolutionNs: number;
}

export class VmHalt implements CellHolder<HaltMethodEvent> {
  /** The method's machine: a held cell (sendHeld at a switch; world copies share it). */
  cell: MachineCell<HaltMethodEvent>;
  /**
   * Per EMT (read them here; write through ownCpu). A record that holds only data is frozen, so world copies share
   * it instead of copying it; the first write replaces it with a writable copy (and the list, frozen too, with a new
   * list). Nothing else refers to a CpuHalt (a halt loop or wait looks its own up), so the replacement leaves no
   * stale reference.
   */
  cpus: readonly CpuHalt[];
  /** Halt.Method12 (zeroed and re-read by each switch; replaced, never changed: frozen, so world copies share it). */
  method1: Method1Config = Object.freeze({ ...METHOD1_DEFAULTS });
  /** Halt.Global1.cNsSpinBlockThresholdCfg. */
  global1ThresholdNs = 0;
  /** TM's virtual-sync catch-up, which METHOD_1 reads; TM is not modelled, so embedders and tests set it. */
  virtualSync: { readonly catchUpPct: number; readonly lagNs: number } = Object.freeze({ catchUpPct: 0, lagNs: 0 }); // replaced, never changed
  /** What a method's pfnInit returns (VirtualBox's fail only on bad CFGM data): a seam for tests. */
  initHook: ((descriptor: HaltMethodDescriptor) => number) | undefined;

  constructor(
    readonly vm: VmCore,
    readonly gvmm: Gvmm,
    readonly options: HaltOptions,
  ) {
    // The method's switches reach the VM's event stream (cellEdge: nothing bound again by a world copy).
    this.cell = heldCell<HaltMethodEvent>(haltMethodMachine, `${vm.id}/halt`);
    this.cpus = Object.freeze(Array.from({ length: vm.cCpus }, (_, cpu) => Object.freeze(new CpuHalt(cpu))));
  }

  /** `cpu`'s record to write: its own, made from the shared frozen one at the first write. */
  ownCpu(cpu: number): CpuHalt {
    this.cpus = thawedAt(this.cpus, cpu);
    return this.cpus[cpu]!;
  }

  /** Freeze `cpu`'s record again when it holds only data (world copies then share it). */
  shareIdle(cpu: number): void {
    const record = this.cpus[cpu]!;
    if (record.idle) Object.freeze(record);
  }

  /** The EMT's wait semaphore (UVMCPU::vm.s.EventSemWait), made at its first use. */
  sem(cpu: number): EventSem {
    const record = this.ownCpu(cpu);
    return (record.semRecord ??= new EventSem(this.vm.host.sched, `${this.vm.id}/emt.${cpu}/sem`));
  }

  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1]): void {
    this.vm.emit({ kind: 'halt-method', from: from.value as string, to: cell.value, tNs: this.vm.nowNs() });
  }

  get method(): HaltMethodName {
    return this.cell.value as HaltMethodName;
  }

  get descriptor(): HaltMethodDescriptor {
    return haltMethodDescriptor(this.method);
  }

  /** The VM-wide part of the state key: the method and what its pfnInit read (the per-CPU parts: CpuHalt). */
  writeState(sink: StateSink): void {
    sink.w(HALT_METHOD_NAMES.indexOf(this.method));
    sink.w(this.global1ThresholdNs);
    const m = this.method1;
    for (const value of [m.LagBlockIntervalDivisor, m.MinBlockInterval, m.MaxBlockInterval, m.StartSpinning, m.StopSpinning]) sink.w(value);
    sink.w(this.virtualSync.catchUpPct);
    sink.wide(this.virtualSync.lagNs);
  }
}


// A CpuHalt is its VmHalt's alone: a halt loop or wait looks it up by its EMT's number.
persistable('VmHalt', VmHalt, { ownedItems: ['cpus'] });

/** The VM's halt state; every VM created by createVMM has one. */
export function haltOf(vm: VmCore): VmHalt {
  const halt = vm.halt;
  if (!halt) throw new Error(`${vm.id} has no halt method state`);
  return halt;
}

/** CFGMR3QueryU32(CFGMR3GetChild(root, "VM"), "HaltMethod"): the top-level HaltMethod key is the same value. */
export function haltMethodConfigOf(config: VmConfig): HaltMethodConfig {
  const node = config.VM;
  const value = node?.HaltMethod ?? config.HaltMethod;
  if (value !== undefined) return { kind: 'value', value };
  return node !== undefined ? { kind: 'not-found' } : { kind: 'no-node' };
}

export interface HaltStatistics {
  method: HaltMethodName;
  /** Per EMT, with VMR3WaitHalted's averages over the last second. */
  cpus: (HaltCpuStats & { haltIntervalNs: number; haltFrequency: number })[];
  total: HaltCpuStats;
}

/** The halt statistics of a VM (the StatHalt* counters of each UVMCPU, and their sum). */
export function queryHaltStats(vm: VmCore): HaltStatistics {
  const halt = haltOf(vm);
  const total = zeroHaltCpuStats();
  const cpus = halt.cpus.map((c) => {
    const stats = c.statsRecord ?? zeroHaltCpuStats(); // (a query counts nothing: no record made)
    for (const key of Object.keys(total) as (keyof HaltCpuStats)[]) total[key] += stats[key];
    return { ...stats, haltIntervalNs: c.haltIntervalNs, haltFrequency: c.haltFrequency };
  });
  return { method: halt.method, cpus, total };
}
