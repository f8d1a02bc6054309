/**
 * VMR3ReqQueue routing (§5.8) as a pure decision: which queue a request goes to, given its target and the
 * thread that queues it. Tested table-driven; the runtime acts on the answer.
 */
export type Route =
  | { kind: 'all'; order: number[] } // the same packet to each CPU in turn, waiting for each
  | { kind: 'cpu'; cpu: number } // that CPU's queue
  | { kind: 'global' } // the global queue, any EMT takes it
  | { kind: 'inline' }; // the caller is the right EMT: run it now

export type RouteTarget = number | 'any' | 'any-queue' | 'all' | 'all-reverse';

/** Routes without a payload to change are shared, frozen objects (a request is routed on every queueing). */
const GLOBAL: Route = Object.freeze({ kind: 'global' });
const INLINE: Route = Object.freeze({ kind: 'inline' });
const TO_CPU: Route[] = [];

/**
 * `callerCpu` is the calling EMT's idCpu, or null for a thread outside the VM. An 'all' route's order is the
 * caller's to consume; the other routes are read-only.
 */
export function routeRequest(target: RouteTarget, callerCpu: number | null, cCpus: number): Route {
  if (target === 'all') return { kind: 'all', order: Array.from({ length: cCpus }, (_, i) => i) };
  if (target === 'all-reverse') return { kind: 'all', order: Array.from({ length: cCpus }, (_, i) => cCpus - 1 - i) };
  if (target === 'any-queue') return GLOBAL;
  if (target === 'any') return callerCpu === null ? GLOBAL : INLINE;
  if (target === callerCpu) return INLINE;
  return (TO_CPU[target] ??= Object.freeze({ kind: 'cpu', cpu: target }));
}

/** VMR3ReqAlloc's target check: ANY, ANY_QUEUE, ALL, ALL_REVERSE or an existing CPU. */
export function isValidTarget(target: unknown, cCpus: number): target is RouteTarget {
  if (target === 'any' || target === 'any-queue' || target === 'all' || target === 'all-reverse') return true;
  return typeof target === 'number' && Number.isInteger(target) && target >= 0 && target < cCpus;
}
