/**
 * The checker over the request semantics of issue 16 (VMReq.cpp VMR3ReqQueue, vbox-facts.md §5.8): an ALL /
 * ALL_REVERSE request whose callback fails on one CPU, and an 'any' request issued from EMT code (the scenario
 * call shape `{ call: 'reqCallWait', target, inner }`). Goal: every interleaving passes the built-in properties,
 * and every end answers what VirtualBox's code answers — the last CPU's iStatus for ALL (a callee failure does
 * not stop the walk), and the calling EMT's own status for an inline 'any' (it never runs on another EMT).
 * Method: exhaustive explore() of small scenarios; the expected statuses are derived from the order of §5.8.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { VERR_GENERAL_FAILURE } from '../../src/status.js';
import '../../src/check/vitest.js';

const CPUS = 3;
const ORDER = { all: [0, 1, 2], 'all-reverse': [2, 1, 0] } as const;

/** The call's status in every outcome (`A: reqCallWait=…`). */
const statusesOf = (outcomes: string[]) => new Set(outcomes.map((o) => /A: reqCallWait=(\S+)/.exec(o)?.[1]));

describe('an ALL request whose callback fails on one CPU', () => {
  const CASES = (['all', 'all-reverse'] as const).flatMap((target) => [0, 2].map((failing) => ({ target, failing })));

  it.each(CASES)('$target failing on CPU $failing ∥ powerOn: every end answers the last CPU’s status', async ({ target, failing }) => {
    const input: Scenario = {
      cpus: CPUS,
      clients: [[{ call: 'reqCallWait', target, statusOn: { [failing]: VERR_GENERAL_FAILURE } }], ['powerOn']],
    };
    const result = await explore(input);
    expect(result.violations).toEqual([]);
    expect(result.status).toBe('ok');
    const last = ORDER[target].at(-1);
    expect(statusesOf(result.outcomes)).toEqual(new Set([last === failing ? 'VERR_GENERAL_FAILURE' : 'VINF_SUCCESS']));
  });
});

describe("an 'any' request issued from EMT code runs inline on that EMT", () => {
  it.each<{ outer: number; statusOn: Record<number, number>; expected: string }>([
    { outer: 1, statusOn: { 1: VERR_GENERAL_FAILURE }, expected: 'VERR_GENERAL_FAILURE' },
    { outer: 1, statusOn: { 0: VERR_GENERAL_FAILURE }, expected: 'VINF_SUCCESS' },
  ])('reqCallWait($outer → any) with statusOn $statusOn ∥ powerOn answers $expected', async ({ outer, statusOn, expected }) => {
    const input: Scenario = { cpus: 2, clients: [[{ call: 'reqCallWait', target: outer, inner: 'any', statusOn }], ['powerOn']] };
    const result = await explore(input);
    expect(result.violations).toEqual([]);
    expect(result.status).toBe('ok');
    expect(statusesOf(result.outcomes)).toEqual(new Set([expected]));
  });

  it('symmetric when both targets are any: reqCallWait(any → any) ∥ ONCE rendezvous, 3 vCPUs', async () => {
    const input: Scenario = { cpus: 3, clients: [[{ call: 'reqCallWait', target: 'any', inner: 'any' }], [{ call: 'emtRendezvous', type: 'once' }]] };
    const result = await explore(input);
    expect(result.violations).toEqual([]);
    expect(result.reductions.symmetry).toMatch(/^on/);
  });

  it.each([
    [{ call: 'reqCallWait', target: 'all', inner: 'any' }, "scenario.clients[0][0].inner: not with target 'all'"],
    [{ call: 'reqCallWait', inner: 5 }, "scenario.clients[0][0].inner: must be 'any', 'any-queue', 'all', 'all-reverse' or a CPU id 0..1, got 5"],
    [{ call: 'powerOn', inner: 'any' }, 'scenario.clients[0][0].inner: only reqCallWait takes an inner target'],
  ])('refuses %j', (call, message) => {
    expect(() => parseScenario({ cpus: 2, clients: [[call]] })).toThrow(message);
  });

  it('names the nested call in reports', () => {
    const s = parseScenario({ cpus: 2, clients: [[{ call: 'reqCallWait', target: 1, inner: 'any', status: VERR_GENERAL_FAILURE }]] });
    expect(s.name).toBe('reqCallWait');
    expect(s.clients[0]!.calls[0]).toEqual({ call: 'reqCallWait', target: 1, inner: 'any', status: VERR_GENERAL_FAILURE });
  });
});
