/**
 * One EMT rendezvous (VMMR3EmtRendezvous, VMM.cpp; vbox-facts.md §6).
 *
 * The machine is the rendezvous object itself: the counters cEntered / cDone / cReturned, the merged status
 * and who may run the callback next. Each EMT's arrival, callback completion and return is one event, so the
 * order rules of §6.4 (ASCENDING 0→n-1, DESCENDING n-1→0 with EMT(0) last, ONE_BY_ONE last arriver first,
 * ONCE last arriver only, ALL_AT_ONCE everyone) are transitions here, not code elsewhere. A recursive
 * rendezvous is a second instance of this machine; the parent waits in its state until the child is idle.
 */
import { assign, setup } from 'xstate';

export const RENDEZVOUS_TYPES = ['invalid', 'one-by-one', 'all-at-once', 'once', 'ascending', 'descending'] as const;
export type RendezvousType = (typeof RENDEZVOUS_TYPES)[number];

/** VMMEMTRENDEZVOUS_FLAGS_* (§6.1). */
export const RV_TYPE_MASK = 0x7;
export const RV_STOP_ON_ERROR = 0x8;
export const RV_PRIORITY = 0x10;
export const RV_VALID_MASK = 0x1f;

export const rendezvousTypeOf = (flags: number): RendezvousType => RENDEZVOUS_TYPES[flags & RV_TYPE_MASK] ?? 'invalid';
export const rendezvousFlags = (type: RendezvousType, opts: { stopOnError?: boolean; priority?: boolean } = {}): number =>
  RENDEZVOUS_TYPES.indexOf(type) | (opts.stopOnError ? RV_STOP_ON_ERROR : 0) | (opts.priority ? RV_PRIORITY : 0);

/** Types whose callback may start a nested rendezvous (§6.6). */
export const allowsRecursion = (type: RendezvousType): boolean =>
  type === 'ascending' || type === 'descending' || type === 'one-by-one' || type === 'once';

/** cRendezvousRecursions must stay below this (§6.3). */
export const RENDEZVOUS_RECURSION_MAX = 3;

const VINF_SUCCESS = 0;
const isFailure = (rc: number) => rc < 0;

/**
 * The compare-and-swap merge of a callback status into i32RendezvousStatus (§6.4): not stored when equal to
 * the current value, when the current value is a failure, or when the current value is an informational
 * code below the new one; otherwise it replaces it. First failure sticks; lowest EM code wins.
 */
export function mergeRendezvousStatus(current: number, next: number): number {
  if (next === VINF_SUCCESS || next === current) return current;
  if (isFailure(current)) return current;
  if (current !== VINF_SUCCESS && current > 0 && next > current) return current;
  return next;
}

/** The helper of §6.5 for combining two statuses: new wins when cur is success or cur > new. */
export function mergeStatus(current: number, next: number): number {
  return next !== VINF_SUCCESS && (current === VINF_SUCCESS || current > next) ? next : current;
}

/** What a non-caller returns: the informational part only, failures dropped (§6.4 Return). */
export function informationalPart(rc: number): number {
  return rc > 0 ? rc : VINF_SUCCESS;
}

/** The EMT that runs first once everyone has entered; null when the type has no order (§6.4 Enter). */
export function firstRunner(type: RendezvousType, cCpus: number, lastArrival: number): number | null {
  switch (type) {
    case 'ascending': return 0;
    case 'descending': return cCpus - 1;
    case 'one-by-one': // the last arriver runs the callback itself, at once
    case 'once': return lastArrival;
    default: return null;
  }
}

/** The EMT signalled after one finished its callback (§6.4 Done); null = hand out the shared token. */
export function nextRunner(type: RendezvousType, cpu: number, cDone: number, cCpus: number): number | null {
  switch (type) {
    case 'ascending': return cpu + 1;
    case 'descending': return cCpus - cDone - 1;
    default: return null;
  }
}

export interface RendezvousContext {
  flags: number;
  type: RendezvousType;
  stopOnError: boolean;
  cCpus: number;
  caller: number;
  depth: number;
  status: number; // i32RendezvousStatus
  cEntered: number;
  cDone: number;
  cReturned: number;
  /** Who may run the callback now (ordered types and the current ONE_BY_ONE holder). */
  runner: number | null;
  /** ONE_BY_ONE: the shared "enter one by one" event is signalled. */
  token: boolean;
  /** ALL_AT_ONCE: the multi-release event is signalled. */
  released: boolean;
  /** EMTs in the order they finished the callback (ran or skipped). */
  order: number[];
  /** EMTs that actually ran it (STOP_ON_ERROR skips the rest). */
  ran: number[];
}

export type RendezvousEvent =
  | { type: 'begin'; flags: number; cCpus: number; caller: number; depth: number }
  | { type: 'enter'; cpu: number }
  | { type: 'takeTurn'; cpu: number } // ONE_BY_ONE: grab the shared event
  | { type: 'callbackDone'; cpu: number; rc: number; ran: boolean }
  | { type: 'return'; cpu: number } // a non-caller leaves
  | { type: 'finish' }; // the caller reads the status and drops the lock

const initialContext: RendezvousContext = {
  flags: 0, type: 'invalid', stopOnError: false, cCpus: 0, caller: -1, depth: 0, status: VINF_SUCCESS,
  cEntered: 0, cDone: 0, cReturned: 0, runner: null, token: false, released: false, order: [], ran: [],
};

/** The counters after one callback finished (ran, or skipped by STOP_ON_ERROR). */
function afterCallback(
  context: RendezvousContext,
  event: { cpu: number; rc: number; ran: boolean },
  runner: number | null,
  token: boolean,
): Partial<RendezvousContext> {
  return {
    cDone: context.cDone + 1,
    status: mergeRendezvousStatus(context.status, event.rc),
    order: [...context.order, event.cpu],
    ran: event.ran ? [...context.ran, event.cpu] : context.ran,
    runner,
    token,
  };
}

export const rendezvousSetup = setup({
  types: { context: {} as RendezvousContext, events: {} as RendezvousEvent },
  guards: {
    isLastArrival: ({ context }) => context.cEntered + 1 === context.cCpus,
    isTokenFree: ({ context, event }) =>
      event.type === 'takeTurn' && context.token && context.type === 'one-by-one' && !context.order.includes(event.cpu),
    isLastCallback: ({ context }) => context.cDone + 1 === context.cCpus || context.type === 'once',
    isLastReturn: ({ context }) => context.cReturned + 1 === context.cCpus - 1,
    /** Nobody left to return (a one-CPU rendezvous driven by itself): the caller may finish at once. */
    allReturned: ({ context }) => context.cReturned === context.cCpus - 1,
  },
  actions: {
    initRendezvous: assign(({ event }) => {
      if (event.type !== 'begin') return {};
      const type = rendezvousTypeOf(event.flags);
      return {
        ...initialContext, flags: event.flags, type, stopOnError: (event.flags & RV_STOP_ON_ERROR) !== 0,
        cCpus: event.cCpus, caller: event.caller, depth: event.depth, order: [], ran: [],
      };
    }),
    countEntry: assign({ cEntered: ({ context }) => context.cEntered + 1 }),
    // Last arrival: ALL_AT_ONCE releases everyone, the ordered types signal the first in order.
    releaseFirst: assign(({ context, event }) => {
      const last = event.type === 'enter' ? event.cpu : -1;
      return {
        cEntered: context.cEntered + 1,
        released: context.type === 'all-at-once',
        runner: firstRunner(context.type, context.cCpus, last),
      };
    }),
    takeToken: assign(({ event }) => (event.type === 'takeTurn' ? { token: false, runner: event.cpu } : {})),
    // Not everyone is done: count, merge, and signal the next EMT (ordered types) or the shared event.
    countCallback: assign(({ context, event }) =>
      event.type !== 'callbackDone' ? {} : afterCallback(context, event, nextRunner(context.type, event.cpu, context.cDone + 1, context.cCpus), context.type === 'one-by-one'),
    ),
    // The last callback (or ONCE's only one): count, merge, and signal the "done" multi-event.
    signalDone: assign(({ context, event }) => (event.type !== 'callbackDone' ? {} : afterCallback(context, event, null, false))),
    countReturn: assign({ cReturned: ({ context }) => context.cReturned + 1 }),
  },
});

export const rendezvousMachine = rendezvousSetup.createMachine({
  id: 'rendezvous',
  context: initialContext,
  initial: 'idle',
  states: {
    // u32RendezvousLock free.
    idle: { on: { begin: { target: 'entering', actions: 'initRendezvous' } } },
    // VM_FF_EMT_RENDEZVOUS set; EMTs arrive one by one.
    entering: {
      on: {
        enter: [
          { guard: 'isLastArrival', target: 'running', actions: 'releaseFirst' },
          { actions: 'countEntry' },
        ],
      },
    },
    // Everyone is in; callbacks run in the type's order.
    running: {
      on: {
        takeTurn: { guard: 'isTokenFree', actions: 'takeToken' },
        callbackDone: [
          { guard: 'isLastCallback', target: 'returning', actions: 'signalDone' },
          { actions: 'countCallback' },
        ],
      },
    },
    // The "done" multi-event is signalled; non-callers leave, the (n-1)th signals DoneCaller.
    returning: {
      on: {
        return: [{ guard: 'isLastReturn', target: 'finishing', actions: 'countReturn' }, { actions: 'countReturn' }],
        finish: { guard: 'allReturned', target: 'idle' },
      },
    },
    // DoneCaller signalled: the caller reads the status and releases the lock.
    finishing: { on: { finish: 'idle' } },
  },
});
