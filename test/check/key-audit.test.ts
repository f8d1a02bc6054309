/**
 * The state-key audit (src/check/key-audit.ts). Goals: over the scenarios the suite model-checks, every pair of
 * states the explorer merges has the same future a few steps deep (so merging loses no interleaving), with
 * symmetry on where the scenario allows it; and the audit can fail: a property that keeps state without putting
 * it in the key makes explore() miss a violation, and the audit names the merge that hides it.
 * Method: auditStateKey over small N, each run exhaustive (not bounded) unless said otherwise.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { auditStateKey, formatKeyAudit } from '../../src/check/key-audit.js';
import type { PropertyDef } from '../../src/check/property.js';
import type { Scenario } from '../../src/check/scenario.js';
import { VERR_GENERAL_FAILURE } from '../../src/status.js';
import '../../src/check/vitest.js';

/** [title, scenario, merges compared (undefined: every merge; the run must then be exhaustive)]. */
const SCENARIOS: [string, Scenario, number | undefined][] = [
  ['PowerOn → Suspend ∥ PowerOff, 1 vCPU', { cpus: 1, clients: [['powerOn', 'suspend'], ['powerOff']] }, undefined],
  ['PowerOn → Suspend ∥ PowerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }, 120],
  ['PowerOn → Suspend ∥ Resume ∥ PowerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['resume'], ['powerOff']] }, 120],
  ['PowerOn → Reset ∥ Suspend, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'reset'], ['suspend']] }, 120],
  ['PowerOn → PowerOff → Destroy ∥ reqCallWait(1), 2 vCPUs', { cpus: 2, clients: [['powerOn', 'powerOff', 'destroy'], [{ call: 'reqCallWait', target: 1 }]] }, undefined],
  ['reqCallWait(all) ∥ reqCallWait(all-reverse), 2 vCPUs', { cpus: 2, clients: [[{ call: 'reqCallWait', target: 'all' }], [{ call: 'reqCallWait', target: 'all-reverse' }]] }, undefined],
  ['reqCallWait(all) failing on CPU 0 ∥ reqCallWait(1 → any from EMT code), 2 vCPUs', { cpus: 2, clients: [[{ call: 'reqCallWait', target: 'all', statusOn: { 0: VERR_GENERAL_FAILURE } }], [{ call: 'reqCallWait', target: 1, inner: 'any' }]] }, undefined],
  ['PowerOn → runtime error (SUSPEND) ∥ PowerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', { call: 'setRuntimeError', flags: 2 }], ['powerOff']] }, 120],
  ['ASCENDING ∥ DESCENDING stop-on-error rendezvous, 2 vCPUs', { cpus: 2, clients: [[{ call: 'emtRendezvous', type: 'ascending' }], [{ call: 'emtRendezvous', type: 'descending', stopOnError: true }]] }, undefined],
  // Symmetric scenarios: the audit runs on canonical keys, so it checks the symmetry reduction too.
  ['ONCE ∥ ONE_BY_ONE rendezvous, 3 vCPUs (symmetry)', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'emtRendezvous', type: 'one-by-one' }]] }, undefined],
  ['ONCE rendezvous ∥ reqCallWait(any → any from EMT code), 3 vCPUs (symmetry)', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'reqCallWait', target: 'any', inner: 'any' }]] }, undefined],
  ['ALL_AT_ONCE rendezvous ∥ reqCallWait(any), 3 vCPUs (symmetry)', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'all-at-once' }], [{ call: 'reqCallWait', target: 'any' }]] }, undefined],
  ['halt on (BOOTSTRAP): ONCE ∥ reqCallWait(any), 2 vCPUs (symmetry)', { cpus: 2, halt: 'on', config: { HaltMethod: 1 }, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'reqCallWait', target: 'any' }]] }, undefined],
  ['halt on (GLOBAL_1): ONCE ∥ reqCallWait(any), 2 vCPUs (symmetry)', { cpus: 2, halt: 'on', config: { HaltMethod: 5 }, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'reqCallWait', target: 'any' }]] }, undefined],
  ['PowerOn → Suspend ∥ PowerOff, guest halts, 2 vCPUs', { cpus: 2, guest: 'halt', clients: [['powerOn', 'suspend'], ['powerOff']] }, 120],
  ['PowerOn → Save ∥ PowerOff (live save, timers any), 2 vCPUs', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] }, 60],
];

// Exhaustive audits of the larger scenarios (thousands of merges, minutes) are in bench/check-key-audit.ts.
describe('state-key audit over the suite scenarios', () => {
  it.each(SCENARIOS)('%s: merges keep the future two steps deep', (title, input, maxMerges) => {
    const result = auditStateKey(input, { depth: 2, ...(maxMerges !== undefined ? { maxMerges } : {}) });
    expect(result.mismatches, formatKeyAudit(result)).toEqual([]);
    // Where symmetry applies, its canonical vCPU order is exact: no two keys for one symmetry class.
    expect(result.missedMerges).toBe(title.endsWith('(symmetry)') ? 0 : null);
    if (maxMerges === undefined) {
      expect(result.bounded).toBe(false);
      expect(result.ok).toBe(true);
      expect(result.merges).toBeGreaterThan(0);
    } else {
      expect(result.merges).toBe(maxMerges);
      expect(result.ok).toBe(false); // cut short: never called sound
      expect(formatKeyAudit(result)).toContain('no mismatch so far (bounded)');
    }
  });

  it('counts states as the explorer does (reductions off, symmetry off)', async () => {
    const input: Scenario = { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] };
    const audit = auditStateKey(input, { depth: 1, symmetry: false });
    const explored = await explore(input, { por: false, symmetry: false, liveness: false });
    expect(audit.states).toBe(explored.states);
    expect(audit.merges).toBe(explored.transitions - explored.states + 1); // every transition but the tree's
  });
});

describe('the audit finds a key that leaves state out', () => {
  /** A property that remembers which client started a call first, and fails when B did, once A's call ends. */
  const aFirst = (encoded: boolean): PropertyDef => ({
    name: 'a-first',
    description: 'test property: client A starts its call before client B',
    create: () => {
      let first = -1;
      return {
        name: 'a-first',
        onCallStart(call) {
          if (first < 0) first = call.clientIndex;
        },
        onCallEnd(call, _rc, ctx) {
          if (first === 1 && call.clientIndex === 0) ctx.fail('a-first', 'client B started its call before client A');
        },
        ...(encoded ? { encode: (key) => key.w(first) } : {}),
      };
    },
  });
  const input: Scenario = { cpus: 1, clients: [[{ call: 'reqCallWait', target: 'any' }], [{ call: 'reqCallWait', target: 'any' }]] };

  it('without encode, explore() misses the violation and the audit names the merge that hides it', async () => {
    expect(await explore(input, { properties: [aFirst(false)], por: false })).toHaveNoViolations();
    const audit = auditStateKey(input, { properties: [aFirst(false)], depth: 3 });
    expect(audit.ok).toBe(false);
    expect(audit.mismatches.length).toBeGreaterThan(0);
    const m = audit.mismatches[0]!;
    // The first prefix starts A's call first (breadth-first order), the second starts B's first.
    expect(m.first[0]).toBe(0);
    expect(m.second[0]).toBe(1);
    expect([...m.firstSees, ...m.secondSees].some((label) => label.includes('!a-first'))).toBe(true);
    expect(formatKeyAudit(audit)).toMatch(/merge\(s\) of states with different futures\n {2}key [0-9a-f]+:[0-9a-f]+: choices \[0,/);
  });

  it('a difference that shows only at the end of the call: one step of tree misses it, a lane to the end finds it', () => {
    const tree = auditStateKey(input, { properties: [aFirst(false)], depth: 1, lanes: 0 });
    expect(tree.mismatches).toEqual([]);
    const lane = auditStateKey(input, { properties: [aFirst(false)], depth: 1, lanes: 1 });
    expect(lane.mismatches.length).toBeGreaterThan(0);
    // The lane steps the same actors on both sides until the second one reaches the violation.
    expect(lane.mismatches.some((m) => m.secondSees.some((label) => label.endsWith('!a-first')) && m.after.length > 1)).toBe(true);
    expect(auditStateKey(input, { properties: [aFirst(true)], depth: 1, lanes: 3 }).mismatches).toEqual([]);
  });

  it('with encode, the audit is clean and explore() finds the violation', async () => {
    const audit = auditStateKey(input, { properties: [aFirst(true)], depth: 3 });
    expect(audit.mismatches).toEqual([]);
    expect(audit.ok).toBe(true);
    const result = await explore(input, { properties: [aFirst(true)], por: false });
    expect(result.violations[0]?.property).toBe('a-first');
  });
});
