/**
 * Threads outside the VM (the embedder's code, a checker client) as actors. Each API call gets its own
 * thread `ext.N`; its steps (queue a request, wake up when it completes, requeue for the next CPU of an ALL
 * request, time out) go through the scheduler like every EMT step, so races between callers are choices.
 */
import { VBoxError, VERR_TIMEOUT, VERR_VM_REQUEST_KILLED, VINF_SUCCESS } from '../status.js';
import type { Steppable } from '../sched/scheduler.js';
import { NS_PER_MS } from '../time/clock.js';
import { checkCall, queueRequest, VMREQFLAGS_NO_WAIT, type ReqPool, type VmReq } from './requests.js';
import { routeRequest } from '../streams/routing.js';
import type { CpuTarget, ReqFn } from './types.js';
import type { VmCore } from './vm-core.js';

export class ExternalThread implements Steppable {
  readonly id: string;
  readonly #work: (() => void)[] = [];

  constructor(readonly vm: VmCore) {
    this.id = `ext.${vm.host.nextId('caller')}`;
  }

  /** Queue a step for this thread. */
  post(fn: () => void): void {
    this.#work.push(fn);
    this.vm.host.sched.ready(this);
  }

  step(): void {
    const fn = this.#work.shift();
    const host = this.vm.host;
    const previous = host.current;
    host.current = null;
    try {
      fn?.();
    } finally {
      host.current = previous;
    }
    if (this.#work.length > 0) host.sched.ready(this);
  }
}

export interface ReqCallOptions {
  target: CpuTarget;
  /** VMREQFLAGS_*: VOID, NO_WAIT, POKE, PRIORITY. */
  flags?: number;
  /** cMillies; undefined waits forever. A timeout answers VERR_TIMEOUT and the request completes later. */
  timeoutMs?: number;
}

/**
 * VMR3ReqCallV from a thread outside the VM. Resolves with the callee's status (VBOX_STATUS) or the queue
 * status (VOID, NO_WAIT). Bad flags or arguments throw before anything is allocated.
 */
export function reqCallExternal(pool: ReqPool, options: ReqCallOptions, fn: ReqFn, args: readonly unknown[]): Promise<number> {
  const vm = pool.vm;
  const flags = options.flags ?? 0;
  checkCall(flags, args);
  const sched = vm.host.sched;
  const thread = new ExternalThread(vm);
  return new Promise<number>((resolve, reject) => {
    const release = sched.hold();
    let settled = false;
    const settle = (rc: number | Error) => {
      if (settled) return;
      settled = true;
      release();
      sched.noteSettled();
      if (rc instanceof Error) reject(rc);
      else resolve(rc);
    };
    thread.post(() => {
      let req: VmReq;
      try {
        req = pool.alloc(options.target);
      } catch (error) {
        return settle(error as Error);
      }
      req.flags = flags;
      req.fn = fn;
      req.args = args;
      const noWait = (flags & VMREQFLAGS_NO_WAIT) !== 0;
      const route = routeRequest(options.target, null, vm.cCpus);
      const order = route.kind === 'all' ? route.order : [];
      let timer: ReturnType<typeof sched.setTimer> | undefined;
      const finish = () => {
        sched.clearTimer(timer);
        const rc = req.status;
        if (req.state === 'COMPLETED') pool.free(req);
        settle(rc);
      };
      // ALL / ALL_REVERSE: the same packet to each CPU in turn, stopping at the first failure.
      const queueNext = () => {
        if (order.length > 0) {
          req.target = order.shift()!;
          if (req.state === 'COMPLETED') req.move({ type: 'requeue' });
        }
        req.onComplete = () =>
          thread.post(() => {
            if (settled) {
              if (req.state === 'COMPLETED') pool.free(req); // the caller timed out earlier
              return;
            }
            if (order.length > 0 && req.status >= 0 && req.status !== VERR_VM_REQUEST_KILLED) queueNext();
            else finish();
          });
        queueRequest(req, null);
      };
      queueNext();
      if (noWait) return settle(VINF_SUCCESS);
      if (options.timeoutMs !== undefined) {
        timer = sched.setTimer(sched.clock.nowNs() + options.timeoutMs * NS_PER_MS, `${thread.id}/timeout`, () =>
          thread.post(() => settle(VERR_TIMEOUT)),
        );
      }
    });
  });
}

/** Turn a status into the API's answer: failures reject with VBoxError, with the VM's error text if it set one. */
export function statusToResult(vm: VmCore, rc: number, errorsBefore: number): number {
  if (rc >= 0) return rc;
  const message = vm.cErrors > errorsBefore && vm.lastError?.rc === rc ? vm.lastError.message : undefined;
  throw message ? new VBoxError(rc, message) : new VBoxError(rc);
}
