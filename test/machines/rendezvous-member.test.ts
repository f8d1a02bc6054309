/**
 * One EMT's walk through an EMT rendezvous, with no runtime (vmmR3EmtRendezvousCommon, VMM.cpp; vbox-facts.md
 * §6.3–§6.6).
 *
 * Goal: the walks §6.3/§6.4 describe are the member machine's paths: the caller of an outermost rendezvous
 * spins on u32RendezvousLock, enters, runs its callback, waits for DoneCaller and finishes (dropping the lock
 * only when outermost); a member enters, runs its callback and returns on "done"; ONCE's non-runners skip the
 * callback; STOP_ON_ERROR skips it after a failure; the direct path runs the callback alone; a rendezvous
 * joined while waiting folds its informational status in with the §6.5 merge.
 *
 * Method: table-driven; the machine is driven with XState's pure `initialTransition` / `transition`, asserting
 * the state after every event, and that an event a state does not take leaves the snapshot untouched.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { mergeStatus } from '../../machines/rendezvous.js';
import { rendezvousMemberMachine, type RendezvousMemberEvent } from '../../machines/rendezvous-member.js';
import { VINF_EM_OFF, VINF_EM_RESET, VINF_EM_SUSPEND } from '../../src/status.js';

type Snapshot = SnapshotFrom<typeof rendezvousMemberMachine>;

const E = {
  waitLock: { type: 'waitLock' },
  joinCaller: { type: 'join', role: 'caller' },
  joinMember: { type: 'join', role: 'member' },
  runDirect: { type: 'runDirect' },
  acquire: { type: 'acquire' },
  goDirect: { type: 'goDirect' },
  enter: { type: 'enter', skipTurn: false },
  enterSkip: { type: 'enter', skipTurn: true },
  run: { type: 'runCallback' },
  skip: { type: 'skipCallback' },
  done: { type: 'callbackDone' },
  ret: { type: 'return' },
  finishOuter: { type: 'finish', outermost: true },
  finishNested: { type: 'finish', outermost: false },
} as const satisfies Record<string, RendezvousMemberEvent>;
type Name = keyof typeof E;

function walk(events: readonly Name[]): { states: string[]; last: Snapshot } {
  let snapshot = initialTransition(rendezvousMemberMachine)[0];
  const states = [snapshot.value as string];
  for (const name of events) {
    snapshot = transition(rendezvousMemberMachine, snapshot, E[name])[0];
    states.push(snapshot.value as string);
  }
  return { states, last: snapshot };
}

describe('rendezvous member machine: the walks of §6.3–§6.4', () => {
  it.each([
    ['outermost caller', ['waitLock', 'acquire', 'enter', 'run', 'done', 'finishOuter'], ['idle', 'lock', 'enter', 'turn', 'callback', 'doneCaller', 'finished'], 'caller', true],
    ['nested caller', ['joinCaller', 'enter', 'run', 'done', 'finishNested'], ['idle', 'enter', 'turn', 'callback', 'doneCaller', 'finished'], 'caller', false],
    ['member', ['joinMember', 'enter', 'run', 'done', 'ret'], ['idle', 'enter', 'turn', 'callback', 'done', 'returned'], 'member', false],
    ['ONCE member that does not run', ['joinMember', 'enterSkip', 'ret'], ['idle', 'enter', 'done', 'returned'], 'member', false],
    ['ONCE caller that does not run', ['waitLock', 'acquire', 'enterSkip', 'finishOuter'], ['idle', 'lock', 'enter', 'doneCaller', 'finished'], 'caller', true],
    ['STOP_ON_ERROR member after a failure', ['joinMember', 'enter', 'skip', 'ret'], ['idle', 'enter', 'turn', 'done', 'returned'], 'member', false],
    ['STOP_ON_ERROR caller after a failure', ['waitLock', 'acquire', 'enter', 'skip', 'finishOuter'], ['idle', 'lock', 'enter', 'turn', 'doneCaller', 'finished'], 'caller', true],
    ['direct path', ['runDirect', 'done'], ['idle', 'direct', 'finished'], 'caller', false],
    ['caller of a VM that died while it waited for the lock', ['waitLock', 'goDirect', 'done'], ['idle', 'lock', 'direct', 'finished'], 'caller', false],
  ] as const)('%s', (_name, events, states, role, releaseLock) => {
    const result = walk(events);
    expect(result.states).toEqual(states);
    expect(result.last.status).toBe('done');
    expect(result.last.context.role).toBe(role);
    expect(result.last.context.releaseLock).toBe(releaseLock);
  });

  it('a member never finishes and a caller never returns (only the caller reads the status)', () => {
    const member = walk(['joinMember', 'enter', 'run', 'done']);
    expect(member.last.value).toBe('done');
    expect(transition(rendezvousMemberMachine, member.last, E.finishOuter)[0]).toBe(member.last);
    const caller = walk(['joinCaller', 'enter', 'run', 'done']);
    expect(caller.last.value).toBe('doneCaller');
    expect(transition(rendezvousMemberMachine, caller.last, E.ret)[0]).toBe(caller.last);
  });

  it('every state ignores the events it does not take', () => {
    const takes: Record<string, readonly string[]> = {
      idle: ['waitLock', 'join', 'runDirect'],
      lock: ['joined', 'acquire', 'goDirect'],
      enter: ['enter'],
      turn: ['joined', 'runCallback', 'skipCallback'],
      callback: ['callbackDone'],
      done: ['joined', 'return'],
      doneCaller: ['joined', 'finish'],
      direct: ['callbackDone'],
      returned: [],
      finished: [],
    };
    const reach: Record<string, readonly Name[]> = {
      idle: [], lock: ['waitLock'], enter: ['joinMember'], turn: ['joinMember', 'enter'], callback: ['joinMember', 'enter', 'run'],
      done: ['joinMember', 'enter', 'run', 'done'], doneCaller: ['joinCaller', 'enter', 'run', 'done'], direct: ['runDirect'],
      returned: ['joinMember', 'enterSkip', 'ret'], finished: ['runDirect', 'done'],
    };
    const all: RendezvousMemberEvent[] = [...Object.values(E), { type: 'joined', rc: VINF_EM_SUSPEND }];
    for (const [state, path] of Object.entries(reach)) {
      const from = walk(path).last;
      expect(from.value).toBe(state);
      for (const event of all) {
        const next = transition(rendezvousMemberMachine, from, event)[0];
        if (!takes[state]!.includes(event.type)) expect(next, `${state} on ${event.type}`).toEqual(from);
        else expect(next, `${state} on ${event.type}`).not.toEqual(from);
      }
    }
  });

  it('statuses of rendezvous joined while waiting merge by the §6.5 rule (lowest informational status wins)', () => {
    const joined = [VINF_EM_RESET, VINF_EM_OFF, VINF_EM_SUSPEND];
    let snapshot = walk(['waitLock']).last;
    for (const rc of joined) snapshot = transition(rendezvousMemberMachine, snapshot, { type: 'joined', rc })[0];
    expect(snapshot.value).toBe('lock');
    expect(snapshot.context.joined).toBe(joined.reduce(mergeStatus, 0));
    expect(snapshot.context.joined).toBe(Math.min(...joined));
  });
});
