/**
 * Shapes shared by the runtime: what code running on an EMT sees, and how it asks to block. An EMT step can
 * never block the host thread, so a callback that must wait (for a rendezvous, for a request on another
 * CPU) returns an EmtBlock and the EMT resumes it with `then(rc)` when the wait is over.
 */
import type { VmCore } from './vm-core.js';

/** Where a request goes (VMCPUID_*, §5.1). */
export type CpuTarget = number | 'any' | 'any-queue' | 'all' | 'all-reverse';

/** What a callback running on an EMT gets. */
export interface EmtContext {
  readonly vm: VmCore;
  /** idCpu of the EMT running the code. */
  readonly cpu: number;
}

/** Wait for something, then continue with `then(rc)` (or return rc when there is no `then`). */
export type EmtBlock =
  | { readonly kind: 'rendezvous'; readonly flags: number; readonly callback: RendezvousCallback; readonly then?: (rc: number) => EmtResult }
  | { readonly kind: 'call'; readonly target: number; readonly fn: ReqFn; readonly args?: readonly unknown[]; readonly then?: (rc: number) => EmtResult };

/** A status (void = VINF_SUCCESS) or a wait. */
export type EmtResult = number | void | EmtBlock;

export type RendezvousCallback = (ctx: EmtContext) => EmtResult;
/** A request callback; `A` types the arguments reqCall / reqCallWait pass after the context. */
export type ReqFn<A extends readonly unknown[] = any[]> = (ctx: EmtContext, ...args: A) => EmtResult;

export const isEmtBlock = (result: EmtResult): result is EmtBlock => typeof result === 'object' && result !== null;

/** VMMR3EmtRendezvous from EMT code: block on a rendezvous, then continue. */
export const emtRendezvous = (flags: number, callback: RendezvousCallback, then?: (rc: number) => EmtResult): EmtBlock =>
  then ? { kind: 'rendezvous', flags, callback, then } : { kind: 'rendezvous', flags, callback };

/** VMR3ReqCallWait from EMT code to another CPU: block until it completes, then continue. */
export const emtCallWait = (target: number, fn: ReqFn, args: readonly unknown[] = [], then?: (rc: number) => EmtResult): EmtBlock =>
  then ? { kind: 'call', target, fn, args, then } : { kind: 'call', target, fn, args };
