/**
 * Shapes shared by the runtime: what code running on an EMT sees, and how it asks to block. An EMT step can
 * never block the host thread, so a callback that must wait (for a rendezvous, for a request on another
 * CPU) returns an EmtBlock and the EMT resumes it with `then(rc)` when the wait is over.
 */
import type { VmCore } from './vm-core.js';
import type { Wakeable } from '../sched/scheduler.js';
import { deliver, type Receiver } from '../sched/receiver.js';
import { defineCode } from '../persist/registry.js';

/** Where a request goes (VMCPUID_*, §5.1). */
export type CpuTarget = number | 'any' | 'any-queue' | 'all' | 'all-reverse';

/** What a callback running on an EMT gets. */
export interface EmtContext {
  readonly vm: VmCore;
  /** idCpu of the EMT running the code. */
  readonly cpu: number;
  /**
   * VMR3ReqCallWait from this EMT, as a block to return from the callback: 'any' and this CPU run inline at
   * once, another CPU or 'any-queue' is queued and this EMT waits, ALL / ALL_REVERSE walk every CPU with this
   * EMT's own leg inline. `then(rc)` continues with the status (emtCallWait).
   */
  reqCallWait(target: CpuTarget, fn: ReqFn, args?: readonly unknown[], then?: (rc: number) => EmtResult): EmtBlock;
}

/** Wait for something, then continue with `then(rc)` (or return rc when there is no `then`). */
export type EmtBlock =
  | { readonly kind: 'rendezvous'; readonly flags: number; readonly callback: RendezvousCallback; readonly then?: (rc: number) => EmtResult }
  | {
      readonly kind: 'call'; readonly target: CpuTarget; readonly fn: ReqFn; readonly args?: readonly unknown[];
      /** VMREQFLAGS_* (VOID, NO_WAIT, POKE, PRIORITY); default VBOX_STATUS. */
      readonly flags?: number;
      readonly then?: (rc: number) => EmtResult;
    }
  | { readonly kind: 'slices'; readonly slices: Iterator<SliceStep, number, void>; readonly then?: (rc: number) => EmtResult };

/** A status (void = VINF_SUCCESS) or a wait. */
export type EmtResult = number | void | EmtBlock;

export type RendezvousCallback = (ctx: EmtContext) => EmtResult;
/** A request callback; `A` types the arguments reqCall / reqCallWait pass after the context. */
export type ReqFn<A extends readonly unknown[] = any[]> = (ctx: EmtContext, ...args: A) => EmtResult;

/**
 * Who gets an operation's status: a function, or a record that reports it (an OperationCall reports as itself,
 * so the state that waits holds the call, not code bound to it that every world copy would bind again).
 */
export type StatusReceiver = Receiver<number, 'report'>;

/** Hand `rc` to a StatusReceiver. */
export const deliverStatus = (to: StatusReceiver, rc: number): void => deliver(to, 'report', rc);

export const isEmtBlock = (result: EmtResult): result is EmtBlock => typeof result === 'object' && result !== null;

/** VMMR3EmtRendezvous from EMT code: block on a rendezvous, then continue. */
export const emtRendezvous = (flags: number, callback: RendezvousCallback, then?: (rc: number) => EmtResult): EmtBlock =>
  then ? { kind: 'rendezvous', flags, callback, then } : { kind: 'rendezvous', flags, callback };

/** A slice yields nothing (give the others a turn) or what it waits for (the EMT sleeps until it wakes it). */
export type SliceStep = void | Wakeable;

/**
 * Long work on this EMT (a saved-state load) in slices: the EMT runs one slice per step and, between two, lets
 * every other ready actor and the host run first; the iterator's return value is the status.
 */
export const emtSlices = (slices: Iterator<SliceStep, number, void>, then?: (rc: number) => EmtResult): EmtBlock =>
  then ? { kind: 'slices', slices, then } : { kind: 'slices', slices };

/**
 * VMR3ReqCallWait from EMT code (§5.8): inline for 'any' and the EMT's own CPU, else queued and waited for;
 * then continue with `then(rc)`.
 */
export const emtCallWait = defineCode('vmm.emtCallWait', (target: CpuTarget, fn: ReqFn, args: readonly unknown[] = [], then?: (rc: number) => EmtResult): EmtBlock =>
  then ? { kind: 'call', target, fn, args, then } : { kind: 'call', target, fn, args });

/** VMR3ReqCallV from EMT code with VMREQFLAGS_* (NO_WAIT does not wait; PRIORITY takes the priority lane). */
export const emtReqCall = (
  options: { target: CpuTarget; flags?: number }, fn: ReqFn, args: readonly unknown[] = [], then?: (rc: number) => EmtResult,
): EmtBlock => ({ kind: 'call', target: options.target, fn, args, ...(options.flags ? { flags: options.flags } : {}), ...(then ? { then } : {}) });
