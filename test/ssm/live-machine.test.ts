/**
 * The SSM save-operation machine on its own (machines/ssm-live-save.ts; vbox-facts.md §7.2–§7.5).
 *
 * Goal: pin down the SSMSTATE walk of a live save (LIVE_STEP1 → LIVE_PREP → (LIVE_EXEC ⇄ LIVE_VOTE)* →
 * LIVE_STEP2 → SAVE_PREP → SAVE_EXEC → SAVE_DONE → done) and of a plain save, the first-failure rule, the
 * SSM_MAX_PASSES guard (VERR_SSM_TOO_MANY_PASSES), the three ways a handle closes, and SSMR3Cancel's
 * compare-and-swap (accepted once while cancellable, refused afterwards).
 * Method: XState's pure initialTransition / transition (nothing runs); a snapshot near the pass limit is made
 * with resolveState. Events a state does not take must leave the snapshot untouched.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import {
  isSsmHandleOpen, reportedOp, SSM_MAX_PASSES, SSM_PASS_FINAL, ssmLiveSaveMachine, type SsmSaveEvent,
} from '../../machines/ssm-live-save.js';
import { SSM_MAX_PASSES as FORMAT_MAX_PASSES, SSM_PASS_FINAL as FORMAT_PASS_FINAL } from '../../src/ssm/constants.js';
import { VERR_SSM_CANCELLED, VERR_SSM_STREAM_ERROR, VERR_SSM_TOO_MANY_PASSES, VERR_SSM_VOTE_FOR_GIVING_UP } from '../../src/status.js';

type Snapshot = SnapshotFrom<typeof ssmLiveSaveMachine>;

function run(events: SsmSaveEvent[], from?: Snapshot): Snapshot {
  let snapshot = from ?? initialTransition(ssmLiveSaveMachine)[0];
  for (const event of events) snapshot = transition(ssmLiveSaveMachine, snapshot, event)[0];
  return snapshot;
}

const LIVE_START: SsmSaveEvent[] = [{ type: 'liveSave', after: 'CONTINUE' }, { type: 'livePrep' }, { type: 'prepDone' }];
const FINAL: SsmSaveEvent[] = [{ type: 'step2' }, { type: 'prepDone' }, { type: 'execDone' }];

describe('SSMSTATE of a save (SSMR3LiveSave … SSMR3LiveDone)', () => {
  it('shares SSM_MAX_PASSES and SSM_PASS_FINAL with the format layer', () => {
    expect(SSM_MAX_PASSES).toBe(FORMAT_MAX_PASSES);
    expect(SSM_PASS_FINAL).toBe(FORMAT_PASS_FINAL);
  });

  it('walks a three-pass live save to done', () => {
    const states: string[] = [];
    let s = initialTransition(ssmLiveSaveMachine)[0];
    const events: SsmSaveEvent[] = [
      ...LIVE_START, { type: 'execDone' }, { type: 'voteAnotherPass' }, { type: 'execDone' }, { type: 'voteAnotherPass' },
      { type: 'execDone' }, { type: 'voteDone' }, ...FINAL, { type: 'close' },
    ];
    for (const event of events) {
      s = transition(ssmLiveSaveMachine, s, event)[0];
      states.push(String(s.value));
    }
    expect(states).toEqual([
      'LIVE_STEP1', 'LIVE_PREP', 'LIVE_EXEC', 'LIVE_VOTE', 'LIVE_EXEC', 'LIVE_VOTE', 'LIVE_EXEC', 'LIVE_VOTE', 'LIVE_STEP2',
      'SAVE_PREP', 'SAVE_EXEC', 'SAVE_DONE', 'done',
    ]);
    expect(s.context).toMatchObject({ live: true, after: 'CONTINUE', pass: 2, cancelled: false, cancellable: false, rc: 0 });
  });

  it('a plain save starts at SAVE_PREP', () => {
    const s = run([{ type: 'save', after: 'DESTROY' }, { type: 'prepDone' }, { type: 'execDone' }, { type: 'close' }]);
    expect(s.value).toBe('done');
    expect(s.context.live).toBe(false);
  });

  it.each([
    ['LIVE_STEP1', [{ type: 'liveSave', after: 'TELEPORT' }]],
    ['LIVE_PREP', [{ type: 'liveSave', after: 'TELEPORT' }, { type: 'livePrep' }]],
    ['LIVE_EXEC', LIVE_START],
    ['LIVE_VOTE', [...LIVE_START, { type: 'execDone' }]],
    ['LIVE_STEP2', [...LIVE_START, { type: 'execDone' }, { type: 'voteDone' }]],
    ['SAVE_EXEC', [...LIVE_START, { type: 'execDone' }, { type: 'voteDone' }, { type: 'step2' }, { type: 'prepDone' }]],
  ] as [string, SsmSaveEvent[]][])('a failure in %s aborts; the first status sticks and the close gives "failed"', (state, events) => {
    const at = run(events);
    expect(at.value).toBe(state);
    const aborted = run([{ type: 'fail', rc: VERR_SSM_VOTE_FOR_GIVING_UP }, { type: 'fail', rc: VERR_SSM_STREAM_ERROR }], at);
    expect(aborted.value).toBe('ABORTED');
    expect(aborted.context.rc).toBe(VERR_SSM_VOTE_FOR_GIVING_UP);
    expect(run([{ type: 'close' }], aborted).value).toBe('failed');
  });

  it('stops at SSM_MAX_PASSES with VERR_SSM_TOO_MANY_PASSES', () => {
    const near = ssmLiveSaveMachine.resolveState({
      value: 'LIVE_VOTE', context: { live: true, after: 'CONTINUE', pass: SSM_MAX_PASSES - 2, cancelled: false, cancellable: true, rc: 0 },
    });
    const last = run([{ type: 'voteAnotherPass' }], near);
    expect(last.value).toBe('LIVE_EXEC');
    expect(last.context.pass).toBe(SSM_MAX_PASSES - 1);
    const over = run([{ type: 'execDone' }, { type: 'voteAnotherPass' }], last);
    expect(over.value).toBe('ABORTED');
    expect(over.context.rc).toBe(VERR_SSM_TOO_MANY_PASSES);
  });

  it('closing an unfinished handle (the suspend failed after step 1) gives "failed"', () => {
    expect(run([...LIVE_START, { type: 'execDone' }, { type: 'voteDone' }, { type: 'close' }]).value).toBe('failed');
  });

  it('SSMR3Cancel: accepted once while cancellable, the close then gives "cancelled"', () => {
    const exec = run(LIVE_START);
    const once = run([{ type: 'cancel' }], exec);
    expect(once).not.toBe(exec);
    expect(once.context.cancelled).toBe(true);
    expect(run([{ type: 'cancel' }], once)).toBe(once); // VERR_SSM_ALREADY_CANCELLED: no change
    const failed = run([{ type: 'fail', rc: VERR_SSM_CANCELLED }], once);
    expect(run([{ type: 'close' }], failed).value).toBe('cancelled');
    // Cancelled after the final pass was written: the stream is still discarded.
    const written = run([{ type: 'execDone' }, { type: 'voteDone' }, ...FINAL, { type: 'cancel' }, { type: 'close' }], exec);
    expect(written.value).toBe('cancelled');
  });

  it('SSMR3Cancel is refused before the handle exists and after it closed', () => {
    const initial = initialTransition(ssmLiveSaveMachine)[0];
    expect(run([{ type: 'cancel' }], initial)).toBe(initial);
    const closed = run([...LIVE_START, { type: 'execDone' }, { type: 'voteDone' }, ...FINAL, { type: 'close' }]);
    expect(closed.status).toBe('done');
    expect(run([{ type: 'cancel' }], closed)).toBe(closed);
  });

  it.each([
    ['INVALID', ['livePrep', 'prepDone', 'execDone', 'voteDone', 'voteAnotherPass', 'step2', 'close']],
    ['LIVE_STEP1', ['prepDone', 'execDone', 'voteDone', 'voteAnotherPass', 'step2']],
    ['LIVE_EXEC', ['livePrep', 'prepDone', 'voteDone', 'voteAnotherPass', 'step2']],
    ['LIVE_VOTE', ['livePrep', 'prepDone', 'execDone', 'step2']],
    ['LIVE_STEP2', ['livePrep', 'prepDone', 'execDone', 'voteDone', 'voteAnotherPass']],
  ] as const)('%s ignores %j', (state, ignored) => {
    const paths: Record<string, SsmSaveEvent[]> = {
      INVALID: [], LIVE_STEP1: [{ type: 'liveSave', after: 'CONTINUE' }], LIVE_EXEC: LIVE_START,
      LIVE_VOTE: [...LIVE_START, { type: 'execDone' }], LIVE_STEP2: [...LIVE_START, { type: 'execDone' }, { type: 'voteDone' }],
    };
    const at = run(paths[state]!);
    expect(at.value).toBe(state);
    for (const type of ignored) expect(run([{ type } as SsmSaveEvent], at)).toBe(at);
  });

  it('reports the prepare run as SAVE_PREP, as VirtualBox labels it (§12 item 11)', () => {
    expect(reportedOp('LIVE_PREP')).toBe('SAVE_PREP');
    expect(reportedOp('LIVE_EXEC')).toBe('LIVE_EXEC');
    expect(reportedOp('cancelled')).toBe('END');
    expect(isSsmHandleOpen('ABORTED')).toBe(true);
    expect(isSsmHandleOpen('done')).toBe(false);
  });
});
