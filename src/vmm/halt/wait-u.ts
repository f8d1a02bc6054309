/**
 * VMR3WaitU: how an idle EMT waits (the method's pfnWait, vbox-facts.md §4.2). BOOTSTRAP and DEFAULT (OLD,
 * METHOD_1) block on the EMT's ring-3 semaphore for 1 s at a time; GLOBAL_1 halts in GVMM until now + 1 s.
 * The wait ends when the EMT's loop has something to do — what the suspended masks of §3.3 announce
 * (REQUEST, EMT_RENDEZVOUS, CHECK_VM_STATE with fTerminateEMT); a flag the loop cannot act on would make
 * VirtualBox's EMT go round its loop without sleeping, here the EMT keeps waiting.
 */
import { GVMM_HALT_BLOCKED } from '../../gvmm/sched.js';
import { persistable } from '../../persist/registry.js';
import type { TimerAction, TimerHandle, TimerTarget } from '../../sched/scheduler.js';
import { VERR_INTERRUPTED } from '../../status.js';
import type { Emt, IdleWait } from '../emt.js';
import { vmR3FatalWaitError, vmR3NotifyCpuFF } from './notify.js';
import { haltOf, type CpuHalt, type StateSink, type VmHalt } from './state.js';

const WAIT_NS = 1_000_000_000;
const KIND_CODE = { bootstrap: 0, default: 1, global1: 2 } as const;
const WAITING_CODE = { none: 0, sem: 1, gvmm: 2, timer: 3 } as const;

/** The wait's state is data; the semaphore, GVMM and the timer deliver `{ target: wait, event: 'wake' }`. */
export class WaitU implements IdleWait, TimerTarget {
  readonly kind: 'bootstrap' | 'default' | 'global1';
  private readonly halt: VmHalt;
  /** What it waits on, woken, failed, its own timer (plain fields: the wait's state is data). */
  waiting: 'none' | 'sem' | 'gvmm' | 'timer' = 'none';
  woken = false;
  fatal = false;
  timer: TimerHandle | undefined;
  private readonly wakeUp: TimerAction = { target: this, event: 'wake' };

  constructor(readonly emt: Emt) {
    this.halt = haltOf(emt.vm);
    this.kind = this.halt.descriptor.wait;
    this.cpuHalt.fWait = true;
    this.cpuHalt.stats.cWaits++;
    this.arm();
  }

  /** The EMT's halt state to write, looked up (VmHalt.cpus holds it alone: ClassSpec.ownedItems). */
  private get cpuHalt(): CpuHalt {
    return this.halt.ownCpu(this.emt.cpu);
  }

  canProgress(): boolean {
    return this.woken;
  }

  /** The state key's part of this wait: the method it was armed with, what it waits on, woken, failed. */
  writeState(sink: StateSink): void {
    sink.w(KIND_CODE[this.kind] | (WAITING_CODE[this.waiting] << 2) | (this.woken ? 16 : 0) | (this.fatal ? 32 : 0));
  }

  notify(flags: number): void {
    vmR3NotifyCpuFF(this.emt, flags);
  }

  step(): boolean {
    if (!this.woken) return false;
    this.woken = false;
    this.endWait();
    if (this.fatal || this.emt.loopWouldAct()) {
      this.leave();
      return true;
    }
    this.arm();
    return false;
  }

  cancel(): void {
    this.endWait();
    this.leave();
  }

  get id(): string {
    return `${this.emt.id}/wait`;
  }

  /** The wake-up record was delivered ('wake'). */
  timerFired(_event: string): void {
    this.wake();
  }

  private wake(): void {
    if (this.woken) return;
    this.woken = true;
    this.emt.vm.host.sched.ready(this.emt);
  }

  private leave(): void {
    this.cpuHalt.fWait = false;
    this.cpuHalt.cancelSemWait();
  }

  /** The EMT runs again: finish the GVMM halt (a wait nobody woke counts as interrupted). */
  private endWait(): void {
    const waiting = this.waiting;
    this.waiting = 'none';
    if (waiting === 'timer') this.emt.vm.host.sched.clearTimer(this.timer);
    if (waiting === 'gvmm') {
      const rc = this.halt.gvmm.schedHaltDone(this.emt.vm.handle, this.emt.cpu);
      if (rc < 0 && rc !== VERR_INTERRUPTED) this.fail(rc);
    }
  }

  private arm(): void {
    if (this.kind !== 'global1') {
      this.waiting = 'sem';
      if (this.halt.sem(this.emt.cpu).wait(WAIT_NS, this.wakeUp, true) === 'signalled') this.wake();
      return;
    }
    const vm = this.emt.vm;
    const rc = this.halt.gvmm.schedHalt(vm.handle, this.emt.cpu, this.emt.id, vm.nowNs() + WAIT_NS, this.wakeUp, { daemon: true });
    if (rc === GVMM_HALT_BLOCKED) {
      this.waiting = 'gvmm';
      return;
    }
    if (rc < 0 && rc !== VERR_INTERRUPTED) return this.fail(rc);
    // GVMM did not sleep (no minimum sleep of 1 s can be configured): wait out the second here.
    this.waiting = 'timer';
    this.timer = vm.host.sched.setTimer(vm.nowNs() + WAIT_NS, `${this.emt.id}/wait`, this.wakeUp, { daemon: true });
  }

  private fail(rc: number): void {
    this.fatal = true;
    vmR3FatalWaitError(this.emt, rc, 'vmR3HaltGlobal1Wait: VMMR0_DO_GVMM_SCHED_HALT');
    this.wake();
  }
}

persistable('WaitU', WaitU);
