/**
 * machines/vm-save-teleport.ts against vbox-facts.md §7.1 (vmR3SaveTeleport). Goal: the machine has exactly the
 * hops the flow takes — vmR3Save (step 1 of §7.1), SSMR3LiveDoStep1's runs with a transfer wait per pass, the
 * vmR3LiveDoSuspend loop with its 250 ms retry (step 3.1), vmR3LiveDoStep2 in two EMT(0) halves around the final
 * pass's drain (step 3.3), SSMR3LiveDone after a failed suspend (step 3.4), SSMR3LiveDone plus the ONCE cleanup
 * after a failed step 1 (step 4) — and nothing else. Method: the table below is written from §7.1; every
 * (state, event) pair of the machine is tried with XState's pure transition and must match it.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { VM_SAVE_TELEPORT_STATES, vmSaveTeleportMachine, type VmSaveTeleportEvent } from '../../machines/vm-save-teleport.js';

type Type = VmSaveTeleportEvent['type'];
const TYPES: Type[] = ['start', 'prep', 'exec', 'transfer', 'suspend', 'retry', 'step2', 'drain', 'step2Done', 'liveDone', 'cleanup', 'finish'];

/** After the prepare run or a vote: another pass, the suspend (SAVING already: straight to step 2), or step 1 failed. */
const afterRun = { exec: 'liveExec', suspend: 'suspending', step2: 'step2a', liveDone: 'liveDone' };
/** finish with a success and with a failure status. */
const finishes = { 'finish:0': 'done', 'finish:-1': 'failed' };

const EDGES: Record<string, Record<string, string>> = {
  idle: { start: 'vmR3Save' },
  vmR3Save: { prep: 'livePrep', ...finishes }, // live: step 1 follows; a plain save or a failure returns
  livePrep: afterRun,
  liveExec: { transfer: 'passDrain', liveDone: 'liveDone' }, // pfnIsOk or the exec run may fail step 1
  passDrain: afterRun,
  suspending: { retry: 'suspendRetry', step2: 'step2a', liveDone: 'suspendLiveDone' },
  suspendRetry: { suspend: 'suspending', step2: 'step2a' },
  step2a: { drain: 'drain' },
  drain: { step2Done: 'step2b' },
  step2b: finishes, // VINF_SSM_LIVE_SUSPENDED or an error of the final pass
  liveDone: { cleanup: 'cleanup' },
  suspendLiveDone: finishes,
  cleanup: finishes,
  done: {},
  failed: {},
};

const eventsOf = (type: Type): [string, VmSaveTeleportEvent][] =>
  type === 'finish' ? [['finish:0', { type, rc: 0 }], ['finish:-1', { type, rc: -1 }]] : [[type, { type } as VmSaveTeleportEvent]];

describe('vmSaveTeleport: the hops of vmR3SaveTeleport (§7.1)', () => {
  it('has the states the table names, starting idle', () => {
    expect(Object.keys(vmSaveTeleportMachine.states).sort()).toEqual([...VM_SAVE_TELEPORT_STATES].sort());
    expect(Object.keys(EDGES).sort()).toEqual([...VM_SAVE_TELEPORT_STATES].sort());
    expect(initialTransition(vmSaveTeleportMachine)[0].value).toBe('idle');
  });

  const cases = VM_SAVE_TELEPORT_STATES.flatMap((state) => TYPES.flatMap((type) => eventsOf(type).map(([name, event]) => [state, name, event] as const)));
  it.each(cases)('%s on %s', (state, name, event) => {
    const from = vmSaveTeleportMachine.resolveState({ value: state, context: {} });
    const [to] = transition(vmSaveTeleportMachine, from, event);
    expect(to.value).toBe(EDGES[state]![name] ?? state);
  });

  it('ends in final states only at done and failed', () => {
    for (const state of VM_SAVE_TELEPORT_STATES) {
      const snapshot = vmSaveTeleportMachine.resolveState({ value: state, context: {} });
      expect(snapshot.status === 'done', state).toBe(state === 'done' || state === 'failed');
    }
  });
});
