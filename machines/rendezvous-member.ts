/**
 * One EMT's walk through one EMT rendezvous (VMMR3EmtRendezvous / vmmR3EmtRendezvousCommon, VMM.cpp;
 * vbox-facts.md §6.3–§6.6), as the caller or as a member: wait for u32RendezvousLock (caller only), enter,
 * wait for its turn, run the callback (or skip it under STOP_ON_ERROR), wait for the "done" event and return
 * (members) or wait for DoneCaller and finish (the caller). The direct path (one CPU, a dying VM) runs the
 * callback on the caller alone. The counters and the order shared by every EMT live in the rendezvous machine
 * (machines/rendezvous.ts); this machine is the per-EMT half, so every wait an EMT sits in is a state here.
 *
 * A member that joins another rendezvous while it waits (the outer one while spinning on the lock, a nested
 * one while waiting for its turn or for done) folds the joined rendezvous' informational status into `joined`
 * (rcStrictRecursion), which the caller merges into its result.
 */
import { assign, setup } from 'xstate';
import { mergeStatus } from './rendezvous.js';

export type RendezvousRole = 'caller' | 'member';

export interface RendezvousMemberContext {
  role: RendezvousRole;
  /** Informational statuses of rendezvous joined while waiting (merged into the result). */
  joined: number;
  /** finish: the caller drops u32RendezvousLock (outermost rendezvous only). */
  releaseLock: boolean;
}

export type RendezvousMemberEvent =
  | { type: 'waitLock' } // the caller of an outermost rendezvous spins on u32RendezvousLock
  | { type: 'join'; role: RendezvousRole } // a member, or the caller of a nested rendezvous: enter at once
  | { type: 'runDirect' } // the direct path from the start
  | { type: 'acquire' } // the caller holds the lock and has set the rendezvous up
  | { type: 'goDirect' } // the VM started dying while the caller waited for the lock
  | { type: 'enter'; skipTurn: boolean } // cEntered++; ONCE non-runners skip the callback
  | { type: 'runCallback' }
  | { type: 'skipCallback' } // STOP_ON_ERROR after a failure: counted as done, not run
  | { type: 'callbackDone' }
  | { type: 'joined'; rc: number } // a rendezvous joined while waiting has returned rc
  | { type: 'return' } // a member leaves (cReturned++)
  | { type: 'finish'; outermost: boolean }; // the caller reads the status and drops the lock or the nesting level

const initialContext: RendezvousMemberContext = { role: 'member', joined: 0, releaseLock: false };

export const rendezvousMemberSetup = setup({
  types: { context: {} as RendezvousMemberContext, events: {} as RendezvousMemberEvent },
  guards: {
    isCaller: ({ context }) => context.role === 'caller',
    skipsTurnAsCaller: ({ context, event }) => event.type === 'enter' && event.skipTurn && context.role === 'caller',
    skipsTurn: ({ event }) => event.type === 'enter' && event.skipTurn,
  },
  actions: {
    asCaller: assign({ role: 'caller' as RendezvousRole }),
    asRole: assign(({ event }) => (event.type === 'join' ? { role: event.role } : {})),
    mergeJoined: assign(({ context, event }) => (event.type === 'joined' ? { joined: mergeStatus(context.joined, event.rc) } : {})),
    /** The caller of the outermost rendezvous sets u32RendezvousLock free again (§6.3 step 8). */
    readStatus: assign(({ event }) => (event.type === 'finish' ? { releaseLock: event.outermost } : {})),
  },
});

/** After the callback (run or skipped): members wait for "done", the caller for DoneCaller. */
const toDone = [{ guard: 'isCaller', target: 'doneCaller' }, { target: 'done' }] as const;
const joined = { joined: { actions: 'mergeJoined' } } as const;

export const rendezvousMemberMachine = rendezvousMemberSetup.createMachine({
  id: 'rendezvousMember',
  context: initialContext,
  initial: 'idle',
  states: {
    idle: {
      on: {
        waitLock: { target: 'lock', actions: 'asCaller' },
        join: { target: 'enter', actions: 'asRole' },
        runDirect: { target: 'direct', actions: 'asCaller' },
      },
    },
    // Spinning on u32RendezvousLock; a pending outer rendezvous is joined meanwhile (VMMR3EmtRendezvousFF).
    lock: { on: { ...joined, acquire: 'enter', goDirect: 'direct' } },
    // About to count itself in (one step: the last arrival signals whoever runs first).
    enter: {
      on: {
        enter: [
          { guard: 'skipsTurnAsCaller', target: 'doneCaller' },
          { guard: 'skipsTurn', target: 'done' },
          { target: 'turn' },
        ],
      },
    },
    // Waiting for its turn (the ordered types' event, ONE_BY_ONE's token or ALL_AT_ONCE's release).
    turn: { on: { ...joined, runCallback: 'callback', skipCallback: [...toDone] } },
    // The callback runs (and whatever it waits for sits above this frame).
    callback: { on: { callbackDone: [...toDone] } },
    // A member waits for the "done" multi-event.
    done: { on: { ...joined, return: 'returned' } },
    // The caller waits for DoneCaller (every member returned).
    doneCaller: { on: { ...joined, finish: { target: 'finished', actions: 'readStatus' } } },
    // The direct path: the callback runs on the calling EMT alone; it still counts as "in a rendezvous".
    direct: { on: { callbackDone: 'finished' } },
    returned: { type: 'final' },
    finished: { type: 'final' },
  },
});

export type RendezvousMemberState =
  | 'idle' | 'lock' | 'enter' | 'turn' | 'callback' | 'done' | 'doneCaller' | 'direct' | 'returned' | 'finished';
