/**
 * The state key from the snapshot against the hand-written one (state-key.ts), symmetry off, over every state
 * the suite's scenarios reach breadth-first: one snapshot key per hand key (the hand key forgets nothing the
 * snapshot holds, ids, history and meaningless order aside) and one hand key per snapshot key (the snapshot key
 * keeps nothing apart that the hand key, and the key audit, show to decide nothing). Where they part, the
 * message names the snapshot field (snapshotDiff).
 */
import { describe, expect, it } from 'vitest';
import { describeSplit, keySplits } from '../../src/check/key-split.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';

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
  // Not here: Save ∥ PowerOff (timers any) parts at SsmUnit.called, per-operation bookkeeping the hand key leaves out.
];

describe('snapshot key = hand key (symmetry off) on the suite scenarios', () => {
  it.each(SCENARIOS)('%s', (_, input) => {
    const states = { hand: 0, snapshot: 0 };
    const splits = [...keySplits(parseScenario(input), Number.POSITIVE_INFINITY, states)].map(describeSplit);
    expect(splits).toEqual([]);
    expect(states.hand).toBe(states.snapshot);
    expect(states.hand).toBeGreaterThan(100);
  }, 120_000);
});
