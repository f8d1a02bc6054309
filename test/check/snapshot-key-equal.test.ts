/**
 * The state key from the snapshot against the hand-written one (state-key.ts), symmetry off, over every state
 * the suite's scenarios reach breadth-first: one snapshot key per hand key (the hand key forgets nothing the
 * snapshot holds, ids, history and meaningless order aside) and one hand key per snapshot key (the snapshot key
 * keeps nothing apart that the hand key, and the key audit, show to decide nothing). Where they part, the
 * message names the snapshot field (snapshotDiff).
 */
import { describe, expect, it } from 'vitest';
import { Explorer } from '../../src/check/explorer.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { snapshotDiff } from '../../src/check/snapshot-key.js';

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
    const scenario = parseScenario(input);
    const hand = new Explorer(scenario, { symmetry: false, liveness: false, por: false });
    const snap = new Explorer(scenario, { stateKey: 'snapshot', liveness: false, por: false });
    const snapOfHand = new Map<string, { key: string; prefix: number[] }>();
    const handOfSnap = new Map<string, { key: string; prefix: number[] }>();
    const queue: number[][] = [[]];
    for (let q = 0; q < queue.length; q++) {
      const prefix = queue[q]!;
      const world = hand.rebuildAlong(prefix);
      hand.hash(world);
      const h = `${hand.key.hi}:${hand.key.lo}`;
      snap.hash(world);
      const s = `${snap.key.hi}:${snap.key.lo}`;
      const bySnap = handOfSnap.get(s);
      if (bySnap && bySnap.key !== h) expect.fail(`one snapshot key, two hand keys: [${bySnap.prefix}] vs [${prefix}]`);
      const byHand = snapOfHand.get(h);
      if (byHand) {
        if (byHand.key !== s) {
          const d = snapshotDiff(hand.rebuildAlong(byHand.prefix), world);
          expect.fail(`one hand key, two snapshot keys: [${byHand.prefix}] vs [${prefix}] part at ${d ? `${d.path}: ${d.a} vs ${d.b}` : '?'}`);
        }
        continue;
      }
      snapOfHand.set(h, { key: s, prefix });
      handOfSnap.set(s, { key: h, prefix });
      for (let c = 0; c < world.choiceCount(); c++) queue.push([...prefix, c]);
    }
    expect(snapOfHand.size).toBe(handOfSnap.size);
    expect(snapOfHand.size).toBeGreaterThan(100);
  }, 120_000);
});
