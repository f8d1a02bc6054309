/**
 * The rendezvous machine's events as shared objects: an EMT sends several per rendezvous, and the machine memo
 * (src/sched/machine-cell.ts) finds an edge by the event object itself when the object is shared, instead of
 * building a key from its fields. Events with a status or flags are cached up to a bound.
 */
import type { RendezvousEvent } from '../../machines/rendezvous.js';
import type { RendezvousMemberEvent } from '../../machines/rendezvous-member.js';
import { sharedEvent } from '../sched/machine-cell.js';

export const FINISH: RendezvousEvent = sharedEvent({ type: 'finish' });

const perCpu = (type: 'enter' | 'takeTurn' | 'return') => {
  const events: RendezvousEvent[] = [];
  return (cpu: number): RendezvousEvent => (events[cpu] ??= sharedEvent({ type, cpu }));
};
export const enterEvent = perCpu('enter');
export const takeTurnEvent = perCpu('takeTurn');
export const returnEvent = perCpu('return');

/** Statuses are a small set in practice; an embedder returning endless distinct ones just stops being cached. */
const SHARED_MAX = 4096;
const CALLBACK_DONE = new Map<number, RendezvousEvent>();
const BEGIN = new Map<number, RendezvousEvent>();

function keep(cache: Map<number, RendezvousEvent>, key: number, event: RendezvousEvent): RendezvousEvent {
  if (cache.size < SHARED_MAX) cache.set(key, sharedEvent(event));
  return event;
}

export function callbackDoneEvent(cpu: number, rc: number, ran: boolean): RendezvousEvent {
  if (cpu >= 4096 || cpu < 0 || !Number.isSafeInteger(rc)) return { type: 'callbackDone', cpu, rc, ran };
  const key = (rc * 4096 + cpu) * 2 + (ran ? 1 : 0);
  return CALLBACK_DONE.get(key) ?? keep(CALLBACK_DONE, key, { type: 'callbackDone', cpu, rc, ran });
}

export function beginEvent(flags: number, cCpus: number, caller: number, depth: number): RendezvousEvent {
  const cacheable = cCpus < 4096 && caller >= 0 && caller < 4096 && depth < 64 && Number.isInteger(flags) && flags >= 0 && flags < 2 ** 20;
  if (!cacheable) return { type: 'begin', flags, cCpus, caller, depth };
  const key = ((flags * 4096 + cCpus) * 4096 + caller) * 64 + depth;
  return BEGIN.get(key) ?? keep(BEGIN, key, { type: 'begin', flags, cCpus, caller, depth });
}

/** The member machine's events (machines/rendezvous-member.ts), shared likewise. */
const member = <E extends RendezvousMemberEvent>(event: E): E => sharedEvent(event);
export const MEMBER = {
  waitLock: member({ type: 'waitLock' }),
  joinAsCaller: member({ type: 'join', role: 'caller' }),
  joinAsMember: member({ type: 'join', role: 'member' }),
  runDirect: member({ type: 'runDirect' }),
  acquire: member({ type: 'acquire' }),
  goDirect: member({ type: 'goDirect' }),
  enter: member({ type: 'enter', skipTurn: false }),
  enterSkippingTurn: member({ type: 'enter', skipTurn: true }),
  runCallback: member({ type: 'runCallback' }),
  skipCallback: member({ type: 'skipCallback' }),
  callbackDone: member({ type: 'callbackDone' }),
  return: member({ type: 'return' }),
  finishOutermost: member({ type: 'finish', outermost: true }),
  finishNested: member({ type: 'finish', outermost: false }),
} as const;

const JOINED = new Map<number, RendezvousMemberEvent>();

/** A rendezvous joined while waiting returned `rc`. */
export function joinedEvent(rc: number): RendezvousMemberEvent {
  if (!Number.isSafeInteger(rc)) return { type: 'joined', rc };
  return JOINED.get(rc) ?? (JOINED.size < SHARED_MAX ? keepMember(rc) : { type: 'joined', rc });
}

function keepMember(rc: number): RendezvousMemberEvent {
  const event = sharedEvent<RendezvousMemberEvent>({ type: 'joined', rc });
  JOINED.set(rc, event);
  return event;
}
