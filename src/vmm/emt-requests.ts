/**
 * VMR3ReqCallVU and VMR3ReqQueue called by code running on an EMT (VMReq.cpp, vbox-facts.md §5.8). The packet
 * is allocated as from any thread; then:
 *   - 'any' or the EMT's own CPU: "the requester was an EMT, just execute it" — QUEUED, then vmR3ReqProcessOne
 *     at once on this EMT, before the caller continues (no queue, no /VM/Req/Processed: only VMR3ReqProcessU
 *     counts that);
 *   - another CPU or 'any-queue': pushed on that queue, and this EMT waits for the packet (unless NO_WAIT);
 *   - ALL / ALL_REVERSE: each CPU in turn, this EMT's own leg inline. The walk ends early only when a leg's
 *     VMR3ReqQueue fails: the inline leg's callee status, never a queued leg's (its wait succeeds once the
 *     packet completes). The caller gets the packet's iStatus, which the last leg wrote.
 */
import { isVBoxError, VBoxError, VERR_INVALID_PARAMETER, VERR_VM_REQUEST_KILLED, VERR_VM_THREAD_IS_EMT, VINF_SUCCESS } from '../status.js';
import { isValidTarget, routeRequest } from '../streams/routing.js';
import { CallFrame } from './emt-frames.js';
import type { Emt } from './emt.js';
import { checkCall, completeRequest, frozenArgs, queueRequest, REQ_EVENT, requestFn, VMREQFLAGS_NO_WAIT, VMREQFLAGS_VOID, type VmReq } from './requests.js';
import { statusToResult } from './external.js';
import { isEmtBlock, type CpuTarget, type EmtContext, type EmtResult, type ReqFn } from './types.js';
import { bindCode, defineCode } from '../persist/registry.js';
import type { VmCore } from './vm-core.js';
import { callbackName } from './user-callback.js';
import { defineContinuations, resumeWith, type Continuation } from './continuations.js';

/** Issue a request from `emt` and continue with `next` once VMR3ReqCallWait would return. */
export function reqCallFromEmt(emt: Emt, target: CpuTarget, flags: number, fn: ReqFn, args: readonly unknown[], next: Continuation): void {
  const pool = emt.pool;
  let req: VmReq;
  try {
    checkCall(flags, args);
    if ((target === 'all' || target === 'all-reverse') && (flags & VMREQFLAGS_NO_WAIT) !== 0) {
      throw new VBoxError(VERR_INVALID_PARAMETER, 'NO_WAIT is not allowed with VMCPUID_ALL / VMCPUID_ALL_REVERSE');
    }
    req = pool.alloc(target);
  } catch (error) {
    if (isVBoxError(error)) return resumeWith(emt, next, error.rc);
    throw error;
  }
  req.flags = flags;
  req.fnId = emt.vm.functions.add(fn);
  req.args = frozenArgs(args);
  const noWait = (flags & VMREQFLAGS_NO_WAIT) !== 0;
  const finish: Continuation = { k: 'reqCall.finish', req, noWait, next };
  const route = routeRequest(target, emt.cpu, emt.vm.cCpus);
  if (route.kind !== 'all') return queueLeg(emt, req, noWait, finish);
  resumeWith(emt, { k: 'reqCall.walk', req, order: route.order, at: 0, next: finish }, VINF_SUCCESS);
}

defineContinuations({
  // VMR3ReqCallWaitU: the queue status if it failed, else iStatus; the caller frees the packet (NO_WAIT: the EMT did).
  'reqCall.finish': (emt, { req, noWait, next }, rc) => {
    if (noWait) return resumeWith(emt, next, rc);
    const status = rc < 0 ? rc : req.status;
    if (req.state === 'COMPLETED' || req.state === 'ALLOCATED') emt.pool.free(req);
    resumeWith(emt, next, status);
  },
  // ALL / ALL_REVERSE: the next CPU's leg, until a leg's VMR3ReqQueue fails or every CPU had its turn.
  'reqCall.walk': (emt, walk, rc) => {
    const { req, order, at } = walk;
    if (rc < 0 || at === order.length) return resumeWith(emt, walk.next, rc);
    req.target = order[at]!;
    if (req.state === 'COMPLETED') req.move(REQ_EVENT.requeue);
    queueLeg(emt, req, false, { ...walk, at: at + 1 });
  },
  'reqCall.inlineDone': (emt, { req, next }, rc) => {
    completeRequest(emt.pool, req, rc);
    resumeWith(emt, next, (req.flags & VMREQFLAGS_VOID) !== 0 ? VINF_SUCCESS : rc); // vmR3ReqProcessOne's rcRet
  },
  // VMR3ReqWait: success once the packet completed; a killed packet never completes.
  'reqCall.waited': (emt, { req, next }) => resumeWith(emt, next, req.state === 'COMPLETED' ? VINF_SUCCESS : VERR_VM_REQUEST_KILLED),
  'reqCall.settle': (_emt, { into }, rc) => {
    into.rc = rc;
  },
});

/** One VMR3ReqQueue of an ALLOCATED packet from `emt`: `next` gets what VMR3ReqQueue returns. */
function queueLeg(emt: Emt, req: VmReq, noWait: boolean, next: Continuation): void {
  const route = routeRequest(req.target, emt.cpu, emt.vm.cCpus);
  if (route.kind === 'inline') {
    req.cpu = emt.cpu;
    req.move(REQ_EVENT.queue);
    req.move(REQ_EVENT.process);
    const fn = requestFn(req);
    const args = req.args;
    return emt.runResult(emt.call(() => fn(emt.context(), ...args), () => callbackName('request callback', fn)), { k: 'reqCall.inlineDone', req, next });
  }
  if (noWait) {
    queueRequest(req, emt.cpu);
    return resumeWith(emt, next, VINF_SUCCESS);
  }
  emt.push(new CallFrame(emt, req, { k: 'reqCall.waited', req, next }));
  queueRequest(req, emt.cpu);
}

/** An inline request of the promise API: the callee must not wait. */
const noBlock = defineCode('emtRequests.noBlock', (fn: ReqFn, ctx: EmtContext, ...args: unknown[]): EmtResult => {
  const result = fn(ctx, ...args);
  if (isEmtBlock(result)) throw new VBoxError(VERR_VM_THREAD_IS_EMT, 'a request run inline through the promise API cannot wait: return ctx.reqCallWait(...) instead');
  return result;
});

/**
 * The promise API (vm.reqCall / vm.reqCallWait) called by code running on one of the VM's EMTs: what can finish
 * before the call returns does — an inline request ('any', this CPU) or a NO_WAIT push — and the promise is
 * settled by then. Anything that would block this EMT (another CPU, 'any-queue', ALL, an inline callee that
 * waits) cannot block a promise; it fails with VERR_VM_THREAD_IS_EMT, and EMT code returns ctx.reqCallWait().
 * Returns null when the caller is not an EMT of this VM.
 */
export function reqCallOnEmt(
  vm: VmCore, options: { target: CpuTarget; flags?: number }, fn: ReqFn, args: readonly unknown[],
): Promise<number> | null {
  const current = vm.host.current;
  if (current?.vm !== vm) return null;
  const emt = vm.emts[current.cpu]!;
  const flags = options.flags ?? 0;
  const route = isValidTarget(options.target, vm.cCpus) ? routeRequest(options.target, emt.cpu, vm.cCpus) : null;
  // NO_WAIT never waits (with ALL it is refused at once, as from any thread).
  const synchronous = route === null || route.kind === 'inline' || (flags & VMREQFLAGS_NO_WAIT) !== 0;
  if (!synchronous) {
    return Promise.reject(new VBoxError(VERR_VM_THREAD_IS_EMT, `a request to ${String(options.target)} from EMT ${emt.cpu} would block it: return ctx.reqCallWait(...) from the EMT callback instead`));
  }
  const errorsBefore = vm.cErrors;
  // Inline, the callee runs inside this call: it cannot wait. Queued (NO_WAIT), it runs in its EMT's loop and may.
  const settled: { rc?: number } = {};
  reqCallFromEmt(emt, options.target, flags, route?.kind === 'inline' ? bindCode(noBlock, fn) : fn, args, { k: 'reqCall.settle', into: settled });
  try {
    return Promise.resolve(statusToResult(vm, settled.rc!, errorsBefore));
  } catch (error) {
    return Promise.reject(error);
  }
}
