/**
 * The state key from the snapshot against the hand-written one (state-key.ts), symmetry off and on, over every state
 * the suite's scenarios reach breadth-first: one snapshot key per hand key (the hand key forgets nothing the
 * snapshot holds, ids, history and meaningless order aside) and one hand key per snapshot key (the snapshot key
 * keeps nothing apart that the hand key, and the key audit, show to decide nothing). Where they part, the
 * message names the snapshot field (snapshotDiff).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { Explorer } from '../../src/check/explorer.js';
import { sameFutures } from '../../src/check/key-futures.js';
import { describeSplit, keySplits } from '../../src/check/key-split.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { SUITE_SCENARIOS } from './suite-scenarios.js';

const SCENARIOS: [string, Scenario][] = [
  ['race powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['powerOn→reset ∥ suspend, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'reset'], ['suspend']] }],
  ['powerOn→powerOff→destroy ∥ reqCallWait(1), 2 vCPUs', { cpus: 2, clients: [['powerOn', 'powerOff', 'destroy'], [{ call: 'reqCallWait', target: 1 }]] }],
  ['reqCallWait all ∥ all-reverse after powerOn, 3 vCPUs', { cpus: 3, clients: [['powerOn', { call: 'reqCallWait', target: 'all' }], [{ call: 'reqCallWait', target: 'all-reverse' }]] }],
  ['runtime error (SUSPEND) ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', { call: 'setRuntimeError', flags: 2 }], ['powerOff']] }],
  ['ASCENDING ∥ DESCENDING stop-on-error, 3 vCPUs', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'ascending' }], [{ call: 'emtRendezvous', type: 'descending', stopOnError: true }]] }],
  ['ONCE ∥ ONE_BY_ONE, 3 vCPUs', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'emtRendezvous', type: 'one-by-one' }]] }],
  ['guest halts: powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, guest: 'halt', clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['race powerOn→suspend ∥ powerOff, 3 vCPUs', { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['powerOn→suspend ∥ resume ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['resume'], ['powerOff']] }],
  ['halt on, GLOBAL_1: powerOn→reqCallWait(1) ∥ powerOff, 2 vCPUs', { cpus: 2, halt: 'on', guest: 'halt', config: { HaltMethod: 5 }, clients: [['powerOn', { call: 'reqCallWait', target: 1 }], ['powerOff']] }],
  // A closed save leaves nothing behind (the handle, its stream and the units' per-save fields go at SSMR3LiveDone).
  ['Save ∥ PowerOff (timers any), 2 vCPUs', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] }],
];

/**
 * The rest of the suite's scenarios (suite-scenarios.ts) where the keys once parted: BOOTSTRAP/OLD/METHOD_1 on
 * the semaphore's wait numbers and METHOD_1's block count, the teleport on finished calls' packet counts.
 */
const MORE = SUITE_SCENARIOS.filter(([name]) => /BOOTSTRAP|OLD|METHOD_1|teleport/.test(name));

/** Scenarios where vCPU symmetry applies (symmetry.ts): the key audit's symmetric ones (test/check/key-audit.test.ts). */
const SYMMETRIC: [string, Scenario][] = [ // (the first is in SCENARIOS too)
  ['ONCE ∥ ONE_BY_ONE, 3 vCPUs', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'emtRendezvous', type: 'one-by-one' }]] }],
  ['ONCE ∥ reqCallWait(any → any from EMT code), 3 vCPUs', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'reqCallWait', target: 'any', inner: 'any' }]] }],
  ['ALL_AT_ONCE ∥ reqCallWait(any), 3 vCPUs', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'all-at-once' }], [{ call: 'reqCallWait', target: 'any' }]] }],
  // BOOTSTRAP's waits time out on the EMT's semaphore: stale and current waits differ by which waiter a timeout names (SemWaiter).
  ['halt on (BOOTSTRAP): ONCE ∥ reqCallWait(any), 2 vCPUs', { cpus: 2, halt: 'on', config: { HaltMethod: 1 }, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'reqCallWait', target: 'any' }]] }],
  ['halt on (GLOBAL_1): ONCE ∥ reqCallWait(any), 2 vCPUs', { cpus: 2, halt: 'on', config: { HaltMethod: 5 }, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'reqCallWait', target: 'any' }]] }],
];

describe.each([
  ['off', false],
  ['on', true],
] as const)('snapshot key = hand key (symmetry %s) on the suite scenarios', (_, symmetry) => {
  it.each([...SCENARIOS, ...(symmetry ? [] : MORE), ...SYMMETRIC.slice(1)])('%s', async (_, input) => {
    const states = { hand: 0, snapshot: 0 };
    const splits = [...keySplits(parseScenario(input), Number.POSITIVE_INFINITY, states, symmetry)].map(describeSplit);
    expect(splits).toEqual([]);
    // Every state reached: as many as the hand key's own exhaustive run counts (keySplits' options: no reductions).
    const run = await explore(input, { symmetry, liveness: false, por: false });
    expect(run.status).toBe('ok');
    expect({ hand: states.hand, snapshot: states.snapshot }).toEqual({ hand: run.states, snapshot: run.states });
  }, 120_000);
});

describe('the snapshot key with symmetry renames vCPUs', () => {
  // ONCE ∥ ONE_BY_ONE on 3 vCPUs: without renaming the snapshot key counted 535 states where the hand key's
  // canonical order gives 115 (both with partial-order reduction); the counts must agree, and be a reduction.
  it.each([true, false])('counts what the hand key counts, explore() with por %s', async (por) => {
    const input = SYMMETRIC[0]![1];
    const [hand, snapshot, off] = await Promise.all([
      explore(input, { por, liveness: false }),
      explore(input, { por, liveness: false, stateKey: 'snapshot' }),
      explore(input, { por, liveness: false, stateKey: 'snapshot', symmetry: false }),
    ]);
    expect(snapshot.states).toBe(hand.states);
    expect(snapshot.states).toBeLessThan(off.states);
  }, 120_000);
});

/** The futures comparison (key-futures.ts) that settled the Save ∥ PowerOff splits before the save closed cleanly. */
describe('sameFutures', () => {
  const scenario = parseScenario({ cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] });

  it('tells different futures apart (the comparison can fail)', () => {
    const x = new Explorer(scenario, { liveness: false, por: false, symmetry: false });
    // After powerOn's first steps: client 0 goes on, or client 1 powers off first.
    const verdict = sameFutures(x.rebuildAlong([0, 0, 0, 0]), x.rebuildAlong([1]));
    expect(verdict.same).toBe(false);
  });
});
