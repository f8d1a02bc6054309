/**
 * VMR3WaitHalted and the halt loops of OLD, METHOD_1 and GLOBAL_1 (VMEmt.cpp, vbox-facts.md §4.2). One loop
 * pass is one EMT step: run the timers (the guest's deadline ends the halt, as its timer interrupt would),
 * check the halted masks, poll the time to the next event, then spin, yield or block as the method decides
 * (machines/halt-method.ts). Spinning and yielding cost no virtual time here: both wait on a scheduler timer
 * until the deadline, and any notification ends them at once, because a spinning EMT polls the force flags.
 */
import {
  method1BlockMs, method1SpinDecision, METHOD1_BLOCK_MIN_NS, oldHaltAction,
} from '../../../machines/halt-method.js';
import { GVMM_HALT_BLOCKED } from '../../gvmm/sched.js';
import { defineCode, persistable } from '../../persist/registry.js';
import type { TimerAction, TimerHandle, TimerTarget } from '../../sched/scheduler.js';
import { VERR_INTERRUPTED } from '../../status.js';
import { interrupted, type Emt, type HaltWait } from '../emt.js';
import { vmR3FatalWaitError } from './notify.js';
import { haltOf, type ActiveHaltLoop, type CpuHalt, type StateSink, type VmHalt } from './state.js';

type Waiting = 'none' | 'spin' | 'sem' | 'gvmm';
const WAITING_CODE: Record<Waiting, number> = { none: 0, spin: 1, sem: 2, gvmm: 3 };

const NS_PER_MS = 1_000_000;

/**
 * Virtual time one pass of GLOBAL_1's loop takes when ring-0 returns without sleeping (timers, TMTimerPollGIP
 * and the VMMR0 call: about a microsecond on a host). VirtualBox goes round at once and calls ring-0 again, so
 * a halt between the spin/block threshold and GVMM's minimum sleep makes one ring-0 call per pass until the
 * time left drops under the threshold; the engine needs a pass to take time for that loop to end.
 */
export const GLOBAL1_RING0_PASS_NS = 1_000;

/**
 * A halt loop's state is data: how it waits (`waiting`), woken, done. Whatever ends a wait — the spin's timer,
 * the semaphore, GVMM's halt event — delivers the record `{ target: loop, event: 'wake' }`, never a closure.
 */
abstract class HaltLoop implements HaltWait, ActiveHaltLoop, TimerTarget {
  protected readonly halt: VmHalt;
  protected waiting: Waiting = 'none';
  /** cLoops: passes so far. */
  protected loops = 0;
  /** Woken for the next pass; the halt is over; the spin's timer (plain fields: the wait's state is data). */
  protected woken = false;
  protected done = false;
  protected spinTimer: TimerHandle | undefined;
  /** What a semaphore, GVMM or a timer delivers to end this loop's wait. */
  protected readonly wakeUp: TimerAction = { target: this, event: 'wake' };

  constructor(
    readonly emt: Emt,
    readonly untilNs: number | undefined,
    readonly ignoreInterrupts: boolean,
  ) {
    this.halt = haltOf(emt.vm);
    this.cpuHalt.active = this;
    this.cpuHalt.fWait = true;
  }

  /** The EMT's halt state to write, looked up (VmHalt.cpus holds it alone: a loop keeps no reference to it). */
  protected get cpuHalt(): CpuHalt {
    return this.halt.ownCpu(this.emt.cpu);
  }

  /** The first pass runs in the step that halted. */
  start(): this {
    this.iterate();
    return this;
  }

  canProgress(): boolean {
    return this.done || this.woken;
  }

  step(): boolean {
    if (this.done) return true;
    this.woken = false;
    this.endWait();
    if (!this.done) {
      this.loops++;
      this.iterate();
    }
    return this.done;
  }

  cancel(): void {
    if (this.waiting !== 'none') this.endWait();
    this.cpuHalt.cancelSemWait();
    if (this.cpuHalt.active === this) this.cpuHalt.active = null;
    this.cpuHalt.fWait = false;
  }

  notified(): void {
    if (this.waiting === 'spin') this.wake();
  }

  /** The state key's part of this loop: which loop, how it waits, whether woken or done, the deadline from now. */
  writeState(sink: StateSink, nowNs: number): void {
    sink.w(this.code | (WAITING_CODE[this.waiting] << 2) | (this.woken ? 16 : 0) | (this.done ? 32 : 0) | (this.ignoreInterrupts ? 64 : 0));
    // A deadline already passed ends the halt on the next pass however long ago it was.
    if (this.untilNs === undefined) sink.w(-1);
    else sink.wide(Math.max(this.untilNs - nowNs, 0));
    this.writeMethodState(sink, nowNs);
  }

  /** 0 OLD, 1 METHOD_1, 2 GLOBAL_1, 3 BOOTSTRAP. */
  protected abstract readonly code: number;

  /** What only this method's loop reads on later passes. */
  protected writeMethodState(_sink: StateSink, _nowNs: number): void {}

  get id(): string {
    return `${this.emt.id}/halt`;
  }

  /** The wait's wake-up record was delivered ('wake'). */
  timerFired(_event: string): void {
    this.wake();
  }

  /** Make the EMT runnable for its next pass. */
  protected wake(): void {
    if (this.woken) return;
    this.woken = true;
    this.emt.vm.host.sched.ready(this.emt);
  }

  protected finish(): void {
    this.done = true;
  }

  protected now(): number {
    return this.emt.vm.nowNs();
  }

  protected flagsPending(): boolean {
    if (this.emt.vm.host.faults?.haltIgnoresFlags) return false; // test-only mutant: only the deadline ends a halt
    return this.emt.hasLoopWork() || interrupted(this.emt, this.ignoreInterrupts);
  }

  /** TMR3TimerQueuesDo, then the mask check: true when the halt is over. */
  protected timersOrFlags(): boolean {
    if (this.untilNs !== undefined && this.now() >= this.untilNs) {
      this.cpuHalt.stats.cTimerExpiries++;
      this.finish();
      return true;
    }
    if (this.flagsPending()) {
      this.finish();
      return true;
    }
    return false;
  }

  /** TMTimerPollGIP: ns to the next event (no deadline: none in sight). */
  protected nsToNext(): number {
    return this.untilNs === undefined ? Number.POSITIVE_INFINITY : this.untilNs - this.now();
  }

  protected spin(kind: 'spin' | 'yield'): void {
    if (kind === 'spin') this.cpuHalt.stats.cSpins++;
    else this.cpuHalt.stats.cYields++;
    this.busyUntil(this.untilNs);
  }

  /** Where a busy wait ends (the deadline for a spin). */
  protected busyEndNs: number | undefined;

  /** Busy on this EMT (a spin, a ring-0 call that did not sleep) until `endNs`; a notification ends it at once. */
  protected busyUntil(endNs: number | undefined): void {
    this.waiting = 'spin';
    this.busyEndNs = endNs;
    if (endNs !== undefined) this.spinTimer = this.emt.vm.host.sched.setTimer(endNs, `${this.emt.id}/spin`, this.wakeUp);
  }

  /** RTSemEventWait(EventSemWait, ms). */
  protected block(ms: number): void {
    this.cpuHalt.stats.cBlocks++;
    this.waiting = 'sem';
    // Without a deadline the timeout is only a re-check: it must not keep a held simulation going.
    if (this.halt.sem(this.emt.cpu).wait(ms * NS_PER_MS, this.wakeUp, this.untilNs === undefined) === 'signalled') this.wake();
  }

  protected fatal(rc: number, what: string): void {
    vmR3FatalWaitError(this.emt, rc, what);
    this.finish();
  }

  protected abstract iterate(): void;

  /** The wait of kind `kind` is over (the EMT runs again), before the next pass. */
  protected afterWait(_kind: Waiting): void {}

  private endWait(): void {
    const kind = this.waiting;
    this.waiting = 'none';
    if (kind === 'spin') this.emt.vm.host.sched.clearTimer(this.spinTimer);
    this.afterWait(kind);
  }
}

/** vmR3HaltOldDoHalt: spin below 50 µs, yield below 870 µs, else block 1 ms or up to 15 ms. */
class OldLoop extends HaltLoop {
  protected readonly code = 0;

  protected iterate(): void {
    if (this.timersOrFlags()) return;
    const ns = this.nsToNext();
    if (this.flagsPending()) return this.finish();
    const action = oldHaltAction(ns);
    if (action.kind === 'block') this.block(action.ms);
    else this.spin(action.kind);
  }
}

/** vmR3HaltMethod1Halt: block whenever possible; spin while TM's virtual-sync lags, blocking once in a while. */
class Method1Loop extends HaltLoop {
  protected readonly code = 1;
  private spinning = false;
  private blockOnce = false;
  private blockStartNs = 0;
  private blockNsToNext = 0;

  override start(): this {
    const m1 = this.cpuHalt.method1;
    const decision = method1SpinDecision(this.halt.method1, {
      nowNs: this.now(), ...this.halt.virtualSync, startSpinNs: m1.startSpinNs, lastBlockNs: m1.lastBlockNs,
    });
    if (decision.startSpinNs !== m1.startSpinNs) this.cpuHalt.ownMethod1().startSpinNs = decision.startSpinNs;
    this.spinning = decision.spinning;
    this.blockOnce = decision.blockOnce;
    return super.start();
  }

  protected iterate(): void {
    if (this.timersOrFlags()) return;
    const ns = this.nsToNext();
    if (this.flagsPending()) return this.finish();
    if ((!this.spinning || this.blockOnce) && ns >= METHOD1_BLOCK_MIN_NS) {
      const m1 = this.cpuHalt.ownMethod1();
      this.blockStartNs = m1.lastBlockNs = this.now();
      this.blockNsToNext = ns;
      this.block(method1BlockMs(ns, m1.cNSBlockedTooLongAvg));
    } else this.spin('spin');
  }

  /** The spin decision, and while blocked the block's start when its length will matter (a deadline, blockOnce). */
  protected override writeMethodState(sink: StateSink, nowNs: number): void {
    sink.w((this.spinning ? 1 : 0) | (this.blockOnce ? 2 : 0));
    if (this.waiting === 'sem' && (this.untilNs !== undefined || this.blockOnce)) sink.wide(nowNs - this.blockStartNs);
  }

  protected override afterWait(kind: Waiting): void {
    if (kind !== 'sem') return;
    // Averages every 16 blocks; every 64 the history is rescaled to 64 blocks of the average.
    const m1 = this.cpuHalt.ownMethod1();
    const elapsed = this.now() - this.blockStartNs;
    m1.cNSBlocked += elapsed;
    if (elapsed > this.blockNsToNext) m1.cNSBlockedTooLong += elapsed - this.blockNsToNext;
    m1.cBlocks++;
    if ((m1.cBlocks & 0xf) === 0) {
      m1.cNSBlockedTooLongAvg = Math.floor(m1.cNSBlockedTooLong / m1.cBlocks);
      if ((m1.cBlocks & 0x3f) === 0) {
        m1.cNSBlockedTooLong = m1.cNSBlockedTooLongAvg * 0x40;
        m1.cBlocks = 0x40;
      }
    }
    if (this.blockOnce && elapsed > 100_000) this.blockOnce = false;
  }
}

/** vmR3HaltGlobal1Halt: block in GVMM (SCHED_HALT) when the next event is past the spin/block threshold. */
class Global1Loop extends HaltLoop {
  protected readonly code = 2;
  /** For the overslept / insomnia statistics only. */
  private gipDeadlineNs = 0;

  /**
   * cLoops decides when a spinning pass polls GVMM; without a deadline nsToNext is infinite and it never spins.
   * A pass after a ring-0 call that did not sleep ends before the deadline: when, from now.
   */
  protected override writeMethodState(sink: StateSink, nowNs: number): void {
    if (this.untilNs !== undefined) sink.w(this.loops & 0x1fff);
    if (this.waiting === 'spin' && this.busyEndNs !== undefined && this.busyEndNs !== this.untilNs) sink.wide(this.busyEndNs - nowNs);
  }

  protected iterate(): void {
    if (this.timersOrFlags()) return;
    const ns = this.nsToNext();
    if (this.flagsPending()) return this.finish();
    const vm = this.emt.vm;
    if (ns >= this.halt.global1ThresholdNs) {
      if (this.flagsPending()) return this.finish();
      const expireNs = this.untilNs ?? Number.MAX_SAFE_INTEGER;
      const rc = this.halt.gvmm.schedHalt(vm.handle, this.emt.cpu, this.emt.id, expireNs, this.wakeUp, { daemon: this.untilNs === undefined });
      if (rc === GVMM_HALT_BLOCKED) {
        this.waiting = 'gvmm';
        this.gipDeadlineNs = expireNs;
        return;
      }
      if (rc < 0 && rc !== VERR_INTERRUPTED) return this.fatal(rc, 'vmR3HaltGlobal1Halt: VMMR0_DO_GVMM_SCHED_HALT');
      // GVMM did not sleep (under its minimum): the loop goes round and calls ring-0 again on its next pass.
      return this.busyUntil(Math.min(this.now() + GLOBAL1_RING0_PASS_NS, expireNs));
    }
    // Spinning: help GVMM with its wake-ups once every 8192 passes.
    if ((this.loops & 0x1fff) === 0) this.halt.gvmm.schedPoll(vm.handle, this.emt.cpu, this.emt.id, false);
    this.spin('spin');
  }

  protected override afterWait(kind: Waiting): void {
    if (kind !== 'gvmm') return;
    const rc = this.halt.gvmm.schedHaltDone(this.emt.vm.handle, this.emt.cpu);
    if (rc < 0) return this.fatal(rc, 'vmR3HaltGlobal1Halt: GVMM halt done');
    const stats = this.cpuHalt.stats;
    stats.cBlocks++;
    const oversleptNs = this.now() - this.gipDeadlineNs;
    if (oversleptNs > 50_000) stats.cBlockOverslept++;
    else if (oversleptNs < -50_000) stats.cBlockInsomnia++;
    else stats.cBlockOnTime++;
  }
}

/** BOOTSTRAP has no pfnHalt (no guest runs while a VM is created); here it spins until the deadline. */
class BootstrapLoop extends HaltLoop {
  protected readonly code = 3;

  protected iterate(): void {
    if (this.timersOrFlags()) return;
    this.spin('spin');
  }
}

/** cLoops decides only in GLOBAL_1's loop; the others just count their passes. */
persistable('OldLoop', OldLoop, { history: ['loops'] });
persistable('Method1Loop', Method1Loop, { history: ['loops'] });
/** gipDeadlineNs is for the overslept / insomnia statistics only. */
// cLoops decides only when a spinning pass polls GVMM (every 8192 passes), and without a deadline it never
// spins (see writeMethodState): the key holds loops mod 8192, and nothing for a halt without a deadline.
persistable('Global1Loop', Global1Loop, {
  history: ['gipDeadlineNs'],
  keyFields: { loops: (loop, loops: number) => (loop.untilNs === undefined ? undefined : loops & 0x1fff) },
});
persistable('BootstrapLoop', BootstrapLoop, { history: ['loops'] });

/** VMR3WaitHalted (as EmtHooks.halt): the halt averages, then the current method's halt loop. */
export const vmR3WaitHalted = defineCode('halt.vmR3WaitHalted', function vmR3WaitHalted(emt: Emt, untilNs: number | undefined, _wake: TimerAction, ignoreInterrupts = false): HaltWait {
  const halt = haltOf(emt.vm);
  const cpuHalt = halt.ownCpu(emt.cpu);
  const nowNs = emt.vm.nowNs();
  // Halt averages over the last second (HaltInterval / HaltFrequency).
  const offNs = nowNs - cpuHalt.haltsStartNs;
  if (offNs > 1_000_000_000) {
    if (offNs > 2 ** 32 || cpuHalt.haltsInWindow === 0) {
      cpuHalt.haltIntervalNs = 1_000_000_000;
      cpuHalt.haltFrequency = 1;
    } else {
      cpuHalt.haltIntervalNs = Math.floor(offNs / cpuHalt.haltsInWindow);
      cpuHalt.haltFrequency = Math.floor((cpuHalt.haltsInWindow * 1_000_000_000) / offNs);
    }
    cpuHalt.haltsStartNs = nowNs;
    cpuHalt.haltsInWindow = 0;
  }
  cpuHalt.haltsInWindow++;
  cpuHalt.stats.cHalts++;
  switch (halt.descriptor.halt) {
    case 'old':
      return new OldLoop(emt, untilNs, ignoreInterrupts).start();
    case 'method1':
      return new Method1Loop(emt, untilNs, ignoreInterrupts).start();
    case 'global1':
      return new Global1Loop(emt, untilNs, ignoreInterrupts).start();
    case null:
      return new BootstrapLoop(emt, untilNs, ignoreInterrupts).start();
  }
});
