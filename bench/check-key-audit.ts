/**
 * The state-key audit (src/check/key-audit.ts) run to exhaustion over the scenarios the suite model-checks,
 * where `npm test` compares only the first merges: every pair of prefixes the explorer merges is built again
 * and their futures compared two steps deep and along one run to its end. Reports per scenario: distinct
 * states, merges compared,
 * mismatches (must be 0) and seconds. A mismatch is a state-key bug: the explorer would lose interleavings.
 *
 * Run: `node dist/bench/check-key-audit.js` on the build, or `npx tsx bench/check-key-audit.ts` (a few minutes).
 */
import { auditStateKey, formatKeyAudit, type KeyAuditResult } from '../src/check/key-audit.js';
import type { Scenario } from '../src/check/scenario.js';

export const AUDITED: [string, Scenario][] = [
  ['powerOn→suspend ∥ powerOff, 3 vCPUs', { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['powerOn→suspend ∥ resume ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['resume'], ['powerOff']] }],
  ['powerOn→reset ∥ suspend, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'reset'], ['suspend']] }],
  ['powerOn→save ∥ powerOff (timers any), 2 vCPUs', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] }],
  ['powerOn→save ∥ suspend, as-written, 2 vCPUs', { cpus: 2, fidelity: 'as-written', timers: 'any', clients: [['powerOn', 'save'], ['suspend']] }],
  ['powerOn→powerOff→destroy ∥ reqCallWait(1), 2 vCPUs', { cpus: 2, clients: [['powerOn', 'powerOff', 'destroy'], [{ call: 'reqCallWait', target: 1 }]] }],
  ['reqCallWait all ∥ all-reverse after powerOn, 3 vCPUs', { cpus: 3, clients: [['powerOn', { call: 'reqCallWait', target: 'all' }], [{ call: 'reqCallWait', target: 'all-reverse' }]] }],
  ['runtime error (SUSPEND) ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', { call: 'setRuntimeError', flags: 2 }], ['powerOff']] }],
  ['ASCENDING ∥ DESCENDING stop-on-error, 3 vCPUs', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'ascending' }], [{ call: 'emtRendezvous', type: 'descending', stopOnError: true }]] }],
  ['ONCE ∥ ONE_BY_ONE, 3 vCPUs (symmetry)', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'emtRendezvous', type: 'one-by-one' }]] }],
  ['guest halts: powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, guest: 'halt', clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['halt on, GLOBAL_1: powerOn→reqCallWait(1) ∥ powerOff, 2 vCPUs', { cpus: 2, halt: 'on', guest: 'halt', config: { HaltMethod: 5 }, clients: [['powerOn', { call: 'reqCallWait', target: 1 }], ['powerOff']] }],
];

export async function main(maxStates = 6_000): Promise<KeyAuditResult[]> {
  const results: KeyAuditResult[] = [];
  for (const [name, input] of AUDITED) {
    const result = auditStateKey(input, { depth: 2, maxStates });
    results.push(result);
    console.log(`${name}: ${formatKeyAudit(result)}`);
  }
  const bad = results.reduce((n, r) => n + r.mismatches.length, 0);
  const merges = results.reduce((n, r) => n + r.merges, 0);
  console.log(`${merges.toLocaleString('en-US')} merges compared over ${results.length} scenarios: ${bad} mismatch(es)`);
  if (bad > 0) process.exitCode = 1;
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await main(Number(process.argv[2] ?? 6_000));
