/**
 * Where a finished wait's status goes, as data (DESIGN.md "Engine state is data"). A frame or a pending step
 * holds a Continuation record: a name from the table below plus the fields it needs, never a closure. When the
 * wait ends, `resumeWith` looks the name up and runs that worker with the status. A continuation that carries
 * on into another continues with its `next` record, so a chain of waits is a chain of records.
 *
 * User functions (an EmtBlock's `then`, a rendezvous callback) are not stored in frames or continuations:
 * the VM's FunctionTable keeps them while they are needed and the data names them by id.
 */
import type { Emt } from './emt.js';
import type { VmReq } from './requests.js';
import type { EmtResult } from './types.js';
import { VBoxError, VERR_INTERNAL_ERROR } from '../status.js';
import { defineConstant, persistable } from '../persist/registry.js';

export type Continuation =
  /** The end of one pass of the EMT loop (vmR3EmulationThreadWithId's loop body). */
  | { readonly k: 'emt.loopStepDone' }
  /** vmR3ReqProcessOne's last half for a packet taken off a queue, then the loop step ends. */
  | { readonly k: 'emt.requestDone'; readonly req: VmReq }
  /** An EmtBlock's `then` (a user function, by id in the VM's function table), then `next`. */
  | { readonly k: 'emt.then'; readonly fn: number; readonly next: Continuation }
  /** The status belongs to the rendezvous frame now on top (a joined rendezvous, its callback, the direct path). */
  | { readonly k: 'rendezvous.frame' }
  /** An inline request leg ran on this EMT: complete the packet, then `next` (vmR3ReqProcessOne's rcRet). */
  | { readonly k: 'reqCall.inlineDone'; readonly req: VmReq; readonly next: Continuation }
  /** VMR3ReqWait ended for a queued leg: success when the packet completed, else it was killed. */
  | { readonly k: 'reqCall.waited'; readonly req: VmReq; readonly next: Continuation }
  /** VMCPUID_ALL / ALL_REVERSE: queue the packet to the next CPU of `order` (from `at` on), then `next`. */
  | { readonly k: 'reqCall.walk'; readonly req: VmReq; readonly order: readonly number[]; readonly at: number; readonly next: Continuation }
  /** VMR3ReqCallWaitU's end: the caller frees the packet and gets iStatus (or the queue's failure). */
  | { readonly k: 'reqCall.finish'; readonly req: VmReq; readonly noWait: boolean; readonly next: Continuation }
  /** The promise API on an EMT (reqCallOnEmt): the status is read back within the same step. */
  | { readonly k: 'reqCall.settle'; readonly into: { rc?: number } };

export type ContinuationName = Continuation['k'];
type Worker<K extends ContinuationName> = (emt: Emt, cont: Extract<Continuation, { k: K }>, rc: number) => void;

/** The workers by name; each module registers its own (so the table has no import cycle). */
const CONTINUATIONS: { [K in ContinuationName]?: Worker<K> } = {};

export function defineContinuations(workers: { [K in ContinuationName]?: Worker<K> }): void {
  Object.assign(CONTINUATIONS, workers);
}

/** Hand `rc` to the continuation `cont` names. */
export function resumeWith(emt: Emt, cont: Continuation, rc: number): void {
  (CONTINUATIONS[cont.k] as Worker<ContinuationName>)(emt, cont, rc);
}

export const LOOP_STEP_DONE: Continuation = defineConstant('vmm.LOOP_STEP_DONE', Object.freeze({ k: 'emt.loopStepDone' }));
export const TO_RENDEZVOUS_FRAME: Continuation = defineConstant('vmm.TO_RENDEZVOUS_FRAME', Object.freeze({ k: 'rendezvous.frame' }));

type UserFunction = (...args: never[]) => EmtResult;

/** `cont` as the state key sees it: an `emt.then`'s function itself in place of its id (ids only grow). */
export function keyContinuation(functions: FunctionTable, cont: Continuation): unknown {
  if (!('next' in cont)) return cont;
  const next = keyContinuation(functions, cont.next);
  return cont.k === 'emt.then' ? { k: cont.k, fn: functions.peek(cont.fn), next } : { ...cont, next };
}

/** User functions a VM's data refers to by id (a pending EmtBlock's `then`, a running rendezvous' callback). */
export class FunctionTable {
  /** Each function is a user function (named by the embedder's `functions`) or a code-table one. */
  private readonly fns = new Map<number, UserFunction>();
  private next = 0;

  add(fn: UserFunction): number {
    const id = ++this.next;
    this.fns.set(id, fn);
    return id;
  }

  get<F extends UserFunction>(id: number): F {
    const fn = this.fns.get(id);
    if (!fn) throw new VBoxError(VERR_INTERNAL_ERROR, `function table: no function ${id}`);
    return fn as F;
  }

  /** The function, removed from the table: a continuation runs once. */
  take<F extends UserFunction>(id: number): F {
    const fn = this.get<F>(id);
    this.fns.delete(id);
    return fn;
  }

  /** The function `id` names, or undefined (the state key writes it where the id is held). */
  peek(id: number): UserFunction | undefined {
    return this.fns.get(id);
  }

  delete(id: number): void {
    this.fns.delete(id);
  }

  get size(): number {
    return this.fns.size;
  }
}

// `next` only numbers the entries: two tables holding the same functions decide the same.
// The table itself is out of the key: each holder of an id writes the function instead (keyFields), so ids that
// only grow (Suspend ∥ Resume ∥ PowerOff) do not keep apart states that hold the same functions.
persistable('FunctionTable', FunctionTable, { history: ['next', 'fns'], owned: ['fns'] });
