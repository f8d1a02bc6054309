/**
 * One SSM save operation (SSM.cpp, vbox-facts.md §7.2–§7.5): the SSMSTATE a saving handle walks through,
 * its pass counter and its cancellation word. A live save (SSMR3LiveSave) starts in LIVE_STEP1, runs the
 * prepare run, then exec and vote runs until every unit votes ready, then the final pass on EMT(0)
 * (LIVE_STEP2 → SAVE_PREP → SAVE_EXEC → SAVE_DONE); a plain save (SSMR3Save) starts at SAVE_PREP.
 * SSMR3LiveDone / the close of SSMR3Save ends the handle in `done`, `failed` or `cancelled`.
 *
 * SSMR3Cancel is the `cancel` event: accepted only while the handle is cancellable and not yet cancelled
 * (the compare-and-swap of fCancelled from OK to CANCELLED); the runtime reads its three outcomes
 * (VERR_SSM_NO_PENDING_OPERATION, VINF_SUCCESS, VERR_SSM_ALREADY_CANCELLED) off this machine.
 *
 * (as written) ssmR3DoLivePrepRun labels the prepare run SAVE_PREP (§12 item 11); the state here is
 * LIVE_PREP and `reportedOp` gives the label VirtualBox would show.
 */
import { assign, setup } from 'xstate';
import { VERR_SSM_CANCELLED, VERR_SSM_TOO_MANY_PASSES } from '../src/status.js';

/** SSM_MAX_PASSES: the exec/vote loop gives up with VERR_SSM_TOO_MANY_PASSES after this many passes. */
export const SSM_MAX_PASSES = 1_048_576;
/** SSM_PASS_FINAL: the pass number written in the unit headers of the final pass. */
export const SSM_PASS_FINAL = 0xffffffff;

/** SSMSTATE values a saving handle can be in, plus where it ends. */
export const SSM_SAVE_STATES = [
  'INVALID', 'LIVE_STEP1', 'LIVE_PREP', 'LIVE_EXEC', 'LIVE_VOTE', 'LIVE_STEP2', 'SAVE_PREP', 'SAVE_EXEC', 'SAVE_DONE',
  'ABORTED', 'done', 'failed', 'cancelled',
] as const;
export type SsmSaveState = (typeof SSM_SAVE_STATES)[number];

/** SSMAFTER values a save accepts. */
export type SsmAfter = 'DESTROY' | 'CONTINUE' | 'TELEPORT';

export type SsmSaveEvent =
  | { type: 'liveSave'; after: SsmAfter } // SSMR3LiveSave: header written, op LIVE_STEP1, cancellable
  | { type: 'save'; after: 'DESTROY' | 'CONTINUE' } // SSMR3Save: header written, straight to the prepare run
  | { type: 'livePrep' } // SSMR3LiveDoStep1: ssmR3DoLivePrepRun
  | { type: 'prepDone' } // a prepare run finished (live: pass 0 exec starts; final: exec starts)
  | { type: 'execDone' } // an exec run finished (live: the vote run starts; final: the done run starts)
  | { type: 'voteAnotherPass' } // some unit voted VINF_SSM_VOTE_FOR_ANOTHER_PASS
  | { type: 'voteDone' } // every unit voted ready: "Step 1 completed after pass N"
  | { type: 'step2' } // SSMR3LiveDoStep2 on EMT(0)
  | { type: 'fail'; rc: number } // the handle's status became a failure (the first one sticks)
  | { type: 'cancel' } // SSMR3Cancel: fCancelled OK → CANCELLED
  | { type: 'close' }; // SSMR3LiveDone / ssmR3SaveDoClose

export interface SsmSaveContext {
  live: boolean;
  after: SsmAfter | null;
  /** uPass of the current (or last) live exec/vote run. */
  pass: number;
  /** fCancelled: SSMHANDLE_OK (0x77777777) or SSMHANDLE_CANCELLED (0xDEADBEEF). */
  cancelled: boolean;
  /** pVM->ssm.s.pSSM points at this handle (ssmR3SetCancellable). */
  cancellable: boolean;
  /** pSSM->rc: VINF_SUCCESS until the first failure. */
  rc: number;
}

const ACTIVE = ['LIVE_STEP1', 'LIVE_PREP', 'LIVE_EXEC', 'LIVE_VOTE', 'LIVE_STEP2', 'SAVE_PREP', 'SAVE_EXEC', 'SAVE_DONE', 'ABORTED'] as const;

export const ssmLiveSaveSetup = setup({
  types: { context: {} as SsmSaveContext, events: {} as SsmSaveEvent },
  actions: {
    startLive: assign(({ event }) => ({ live: true, after: event.type === 'liveSave' ? event.after : null, cancellable: true })),
    startSave: assign(({ event }) => ({ live: false, after: event.type === 'save' ? event.after : null, cancellable: true })),
    startFirstPass: assign({ pass: 0 }),
    nextPass: assign(({ context }) => ({ pass: context.pass + 1 })),
    recordFailure: assign(({ event }) => ({ rc: event.type === 'fail' ? event.rc : 0 })),
    recordTooManyPasses: assign({ rc: VERR_SSM_TOO_MANY_PASSES }),
    markCancelled: assign({ cancelled: true }),
    makeNonCancellable: assign({ cancellable: false }),
  },
  guards: {
    /** Another pass fits under SSM_MAX_PASSES. */
    hasPassesLeft: ({ context }) => context.pass + 1 < SSM_MAX_PASSES,
    /** The compare-and-swap of SSMR3Cancel succeeds. */
    isCancellable: ({ context }) => context.cancellable && !context.cancelled,
    /** pSSM->rc is still a success: this failure is the first. */
    isFirstFailure: ({ context, event }) => context.rc >= 0 && event.type === 'fail' && event.rc < 0,
    /** The stream close was told the operation was cancelled. */
    wasCancelled: ({ context }) => context.cancelled || context.rc === VERR_SSM_CANCELLED,
  },
});

/** What closing does in every state but SAVE_DONE: the file goes, cancelled or failed. */
const closeUnfinished = [
  { guard: 'wasCancelled', target: '#ssmLiveSave.cancelled', actions: 'makeNonCancellable' },
  { target: '#ssmLiveSave.failed', actions: 'makeNonCancellable' },
] as const;

/** Every active state: a failure moves to ABORTED, SSMR3Cancel flips the word, close ends the handle. */
const activeOn = {
  fail: { guard: 'isFirstFailure', target: '#ssmLiveSave.ABORTED', actions: 'recordFailure' },
  cancel: { guard: 'isCancellable', actions: 'markCancelled' },
  close: closeUnfinished,
} as const;

export const ssmLiveSaveMachine = ssmLiveSaveSetup.createMachine({
  id: 'ssmLiveSave',
  context: { live: false, after: null, pass: 0, cancelled: false, cancellable: false, rc: 0 },
  initial: 'INVALID',
  states: {
    INVALID: { on: { liveSave: { target: 'LIVE_STEP1', actions: 'startLive' }, save: { target: 'SAVE_PREP', actions: 'startSave' } } },
    // SSMR3LiveSave left the handle here; SSMR3LiveDoStep1 runs on a thread outside the VM.
    LIVE_STEP1: { on: { ...activeOn, livePrep: 'LIVE_PREP' } },
    // ssmR3DoLivePrepRun: pfnLivePrep of every unit, in list order.
    LIVE_PREP: { on: { ...activeOn, prepDone: { target: 'LIVE_EXEC', actions: 'startFirstPass' } } },
    // ssmR3DoLiveExecRun(uPass): pfnLiveExec of every unit not yet done-live.
    LIVE_EXEC: { on: { ...activeOn, execDone: 'LIVE_VOTE' } },
    // ssmR3DoLiveVoteRun(uPass): pfnLiveVote of every unit not yet done-live.
    LIVE_VOTE: {
      on: {
        ...activeOn,
        voteDone: 'LIVE_STEP2',
        voteAnotherPass: [
          { guard: 'hasPassesLeft', target: 'LIVE_EXEC', actions: 'nextPass' },
          { target: 'ABORTED', actions: 'recordTooManyPasses' },
        ],
      },
    },
    // Step 1 done; the VM is suspended before SSMR3LiveDoStep2 runs on EMT(0).
    LIVE_STEP2: { on: { ...activeOn, step2: 'SAVE_PREP' } },
    // ssmR3SaveDoPrepRun: pfnSavePrep of every unit.
    SAVE_PREP: { on: { ...activeOn, prepDone: 'SAVE_EXEC' } },
    // ssmR3SaveDoExecRun: the final pass (SSM_PASS_FINAL), then END unit, directory, footer.
    SAVE_EXEC: { on: { ...activeOn, execDone: 'SAVE_DONE' } },
    // ssmR3SaveDoDoneRun ran; closing now keeps the file.
    SAVE_DONE: {
      on: {
        ...activeOn,
        close: [
          { guard: 'wasCancelled', target: 'cancelled', actions: 'makeNonCancellable' },
          { target: 'done', actions: 'makeNonCancellable' },
        ],
      },
    },
    // pSSM->rc holds a failure; whatever runs next only cleans up until the close.
    ABORTED: { on: { cancel: activeOn.cancel, close: closeUnfinished } },
    done: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

/** States in which the handle exists (between SSMR3LiveSave / SSMR3Save and the close). */
export const isSsmHandleOpen = (state: SsmSaveState): boolean => (ACTIVE as readonly string[]).includes(state);

/** The SSMSTATE label VirtualBox reports for a state (as written: the live prepare run says SAVE_PREP). */
export function reportedOp(state: SsmSaveState): string {
  if (state === 'LIVE_PREP') return 'SAVE_PREP';
  if (state === 'done' || state === 'failed' || state === 'cancelled') return 'END';
  return state;
}
