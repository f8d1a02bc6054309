/**
 * vmR3SaveTeleport (VM.cpp, vbox-facts.md §7.1): the VM-level save or teleport flow a thread outside the VM
 * runs. Each state is what the flow waits for — an EMT(0) request, a rendezvous, its own next step, a transfer
 * or retry timer — and names the VirtualBox step that wait belongs to; src/vmm/save/save-flow.ts maps each state
 * to the step that runs when the wait ends, and that step sends the event of the next wait. The save's SSM
 * handle (machines/ssm-live-save.ts) decides step 1's route: LIVE_EXEC → another exec, LIVE_STEP2 → suspend.
 *
 *   vmR3Save → livePrep → (liveExec → passDrain)* → suspending ⇄ suspendRetry → step2a → drain → step2b → done
 *   step 1 failed: liveDone → cleanup (vmR3LiveDoStep1Cleanup, ONCE) → failed
 *   suspend failed: suspendLiveDone → failed
 */
import { setup } from 'xstate';

export const VM_SAVE_TELEPORT_STATES = [
  'idle', 'vmR3Save', 'livePrep', 'liveExec', 'passDrain', 'suspending', 'suspendRetry', 'step2a', 'drain', 'step2b',
  'liveDone', 'suspendLiveDone', 'cleanup', 'done', 'failed',
] as const;
export type VmSaveTeleportState = (typeof VM_SAVE_TELEPORT_STATES)[number];

export type VmSaveTeleportEvent =
  | { type: 'start' } // VMR3Save / VMR3Teleport: vmR3Save goes to EMT(0)
  | { type: 'prep' } // a live save: SSMR3LiveDoStep1 starts with ssmR3DoLivePrepRun (a thread step)
  | { type: 'exec' } // the pfnIsOk check and the next ssmR3DoLiveExecRun (a thread step)
  | { type: 'transfer' } // the pass's bytes move (virtual clock: bytes / bandwidth), then the vote run
  | { type: 'suspend' } // step 1 completed: the vmR3LiveDoSuspend rendezvous (DESCENDING | STOP_ON_ERROR)
  | { type: 'retry' } // vmR3LiveDoSuspend said VERR_TRY_AGAIN: sleep 250 ms
  | { type: 'step2' } // vmR3LiveDoStep2's first half on EMT(0) (SSMR3LiveDoStep2 writes the final pass)
  | { type: 'drain' } // the final pass's bytes move
  | { type: 'step2Done' } // vmR3LiveDoStep2's second half on EMT(0) (SSMR3LiveDone, SAVING → SUSPENDED)
  | { type: 'liveDone' } // a step failed: SSMR3LiveDone on EMT(0)
  | { type: 'cleanup' } // step 1 failed: the vmR3LiveDoStep1Cleanup ONCE rendezvous
  | { type: 'finish'; rc: number }; // the flow returns rc to its caller

/** Step 1's runs end in one of these (afterStep1Run): another exec, the suspend (or step 2 if SAVING), or SSMR3LiveDone. */
const afterStep1Run = { exec: 'liveExec', suspend: 'suspending', step2: 'step2a', liveDone: 'liveDone' } as const;

const finish = [{ guard: 'failed', target: 'failed' }, { target: 'done' }] as const;

export const vmSaveTeleportMachine = setup({
  types: { events: {} as VmSaveTeleportEvent },
  guards: {
    /** The status the flow returns is a failure. */
    failed: ({ event }) => event.type === 'finish' && event.rc < 0,
  },
}).createMachine({
  id: 'vmSaveTeleport',
  initial: 'idle',
  states: {
    idle: { on: { start: 'vmR3Save' } },
    // vmR3Save on EMT(0): SUSPENDED → SAVING (a plain save, done there) or RUNNING → RUNNING_LS + SSMR3LiveSave.
    vmR3Save: { on: { prep: 'livePrep', finish } },
    // SSMR3LiveDoStep1: the prepare run, then per pass an exec run, the pass's transfer time and a vote run.
    livePrep: { on: afterStep1Run },
    liveExec: { on: { transfer: 'passDrain', liveDone: 'liveDone' } },
    passDrain: { on: afterStep1Run },
    // vmR3LiveDoSuspend; VERR_TRY_AGAIN (DEBUGGING_LS) sleeps 250 ms and retries.
    suspending: { on: { retry: 'suspendRetry', step2: 'step2a', liveDone: 'suspendLiveDone' } },
    suspendRetry: { on: { suspend: 'suspending', step2: 'step2a' } },
    // vmR3LiveDoStep2 as two EMT(0) requests with the final pass's transfer between them.
    step2a: { on: { drain: 'drain' } },
    drain: { on: { step2Done: 'step2b' } },
    step2b: { on: { finish } },
    // SSMR3LiveDone after a failed step 1 (the cleanup follows) or a failed suspend (the flow ends).
    liveDone: { on: { cleanup: 'cleanup' } },
    suspendLiveDone: { on: { finish } },
    // vmR3LiveDoStep1Cleanup (ONCE): the VM back to RUNNING, or into OFF / FATAL_ERROR / GURU_MEDITATION.
    cleanup: { on: { finish } },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

