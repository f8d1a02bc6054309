/**
 * An external thread's request call as data: the caller's walk is the reqCall machine (machines/req-call.ts),
 * the packet names this record as the one waiting on its event, and every wake-up (the packet's event, the
 * wait's timeout) reaches the thread as a `{ target, event }` record, never a closure. The report channel of
 * the operation is a function in the VM's table, named by id.
 */
import { reqCallMachine, type ReqCallEvent, type ReqCallState } from '../../machines/req-call.js';
import { VERR_TIMEOUT, VERR_VM_REQUEST_KILLED, VINF_SUCCESS } from '../status.js';
import { emitCellEdge } from '../sched/cell-edges.js';
import type { EventObject } from 'xstate';
import { sharedEvents, type MachineCell, type TransitionListener } from '../sched/machine-cell.js';
import { heldCell, sendHeld, type CellHolder } from '../sched/held-cell.js';
import type { TimerHandle, TimerTarget } from '../sched/scheduler.js';
import { NS_PER_MS } from '../time/clock.js';
import { queueRequest, REQ_EVENT, VMREQFLAGS_NO_WAIT, type ReqPool, type VmReq } from './requests.js';
import type { ExternalThread } from './external.js';
import { deliverStatus, type StatusReceiver } from './types.js';
import { persistable } from '../persist/registry.js';

/** The caller machine's events, one shared object each. */
export const REQ_CALL_EVENT = sharedEvents<ReqCallEvent>({ alloc: true, queue: true, queueNoWait: true, nextCpu: true, timeout: true, complete: true });

/** Thread events: the wait's timer ran out (at the timer), the timeout reaches the thread, the packet's event was signalled. */
export type ReqCallWake = 'timer' | 'timeout' | 'signal';

export class ReqCall implements TimerTarget, CellHolder<ReqCallEvent> {
  /** The caller's machine: a held cell (sendHeld; world copies share it). */
  cell: MachineCell<ReqCallEvent>;
  readonly req: VmReq;
  /** ALL / ALL_REVERSE: the CPUs still to visit (from `at` on); empty for one target. */
  readonly order: readonly number[];
  at = 0;
  /** cMillies, per wait; undefined or Infinity waits forever. */
  readonly timeoutMs: number | undefined;
  timer: TimerHandle | undefined;

  constructor(
    readonly thread: ExternalThread,
    readonly pool: ReqPool,
    req: VmReq,
    order: readonly number[],
    timeoutMs: number | undefined,
    /** Who gets the status: the operation's call. */
    readonly done: StatusReceiver,
  ) {
    this.req = req;
    this.order = order;
    this.timeoutMs = timeoutMs;
    this.cell = heldCell<ReqCallEvent>(reqCallMachine, `${thread.id}/req.${req.id}`);
    sendHeld(this, REQ_CALL_EVENT.alloc);
  }

  /** The caller machine's edges, on the VM's event stream when someone wants the detail. */
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1], event: EventObject): void {
    const vm = this.pool.vm;
    if (vm.wantsDetail()) emitCellEdge(vm, 'reqCall', cell, from, event);
  }

  get id(): string {
    return this.thread.id;
  }

  get state(): ReqCallState {
    return this.cell.value as ReqCallState;
  }

  get noWait(): boolean {
    return (this.req.flags & VMREQFLAGS_NO_WAIT) !== 0;
  }

  /** Queue the packet (to the next CPU of an ALL walk) and wait on its event; NO_WAIT answers at once. */
  queueNext(): void {
    const req = this.req;
    if (this.at < this.order.length) {
      req.target = this.order[this.at++]!;
      if (req.state === 'COMPLETED') req.move(REQ_EVENT.requeue);
    }
    if (this.state === 'waiting') sendHeld(this, REQ_CALL_EVENT.nextCpu);
    req.caller = this;
    this.armTimeout();
    sendHeld(this, this.noWait ? REQ_CALL_EVENT.queueNoWait : REQ_CALL_EVENT.queue);
    queueRequest(req, null);
    if (this.noWait) this.answer(VINF_SUCCESS);
  }

  /** A wake-up: the timer posts the timeout to the thread; the thread runs the timeout or the signal. */
  timerFired(event: string): void {
    const wake = event as ReqCallWake;
    if (wake === 'timer') return this.thread.post({ target: this, event: 'timeout' });
    if (wake === 'timeout') {
      if (sendHeld(this, REQ_CALL_EVENT.timeout)) this.answer(VERR_TIMEOUT);
      return;
    }
    this.signalled();
  }

  /** The packet's event: the next leg of an ALL walk, or the end (free a completed packet, answer if not yet). */
  private signalled(): void {
    const req = this.req;
    // Only a failed *wait* (a timeout, a killed packet) ends an ALL walk; a callee's failure does not.
    if (this.state === 'waiting' && this.at < this.order.length && req.status !== VERR_VM_REQUEST_KILLED) return this.queueNext();
    const sched = this.pool.vm.host.sched;
    sched.clearTimer(this.timer);
    const rc = req.status;
    if (req.state === 'COMPLETED') this.pool.free(req); // also after a timeout: the caller frees it late
    const answered = this.state !== 'waiting';
    sendHeld(this, REQ_CALL_EVENT.complete);
    if (!answered) this.answer(rc);
  }

  // cMillies applies to each wait (one per CPU for ALL / ALL_REVERSE).
  private armTimeout(): void {
    const sched = this.pool.vm.host.sched;
    sched.clearTimer(this.timer);
    const { timeoutMs } = this;
    if (timeoutMs === undefined || timeoutMs === Infinity || this.noWait) return;
    this.timer = sched.setTimer(sched.clock.nowNs() + timeoutMs * NS_PER_MS, `${this.thread.id}/timeout`, { target: this, event: 'timer' });
  }

  private answer(rc: number): void {
    deliverStatus(this.done, rc);
  }
}

persistable('ReqCall', ReqCall);
