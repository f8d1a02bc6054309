/**
 * It finds real bugs (issue item 7): deliberately broken engines — machine.provide() variants of the rendezvous
 * machine and the test-only fault flags of src/vmm/faults.ts — are each caught by the property named in
 * src/check/mutants.ts, with a shortest (breadth-first) counterexample that replays to the same violation text.
 * The correct engine passes the same scenarios, so each catch is the mutant's doing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { replayTrace } from '../../src/check/replay.js';
import '../../src/check/vitest.js';
import { vmOps } from '../../src/vmm/operations.js';

const table: string[] = [];
// Mutants of optional engine parts run when the part exists (vmOps.save: saved state).
const runnable = MUTANTS.filter((m) => m.needs !== 'save' || 'save' in vmOps);

describe('engine mutants', () => {
  it('has at least ten that run without optional engine parts', () => {
    expect(MUTANTS.filter((m) => !m.needs).length).toBeGreaterThanOrEqual(10);
  });

  it.each(runnable.map((m) => [m.name, m] as const))('%s is caught', async (_name, mutant) => {
    const result = await explore(mutant.scenario, { engine: mutant.engine, mutant: mutant.name });
    expect(result.status).toBe('violation');
    const v = result.violations[0]!;
    expect(v.property).toBe(mutant.caughtBy);
    table.push(`| ${mutant.name} | ${v.property} | ${v.choices.length} | ${v.message.slice(0, 90)} |`);
    // The counterexample replays in the deterministic runtime to the same text (with the same broken engine).
    const replay = replayTrace(v.text, { engine: mutant.engine });
    expect(replay.divergence).toBeNull();
    expect(replay.violation).toEqual({ property: v.property, message: v.message });
    expect(replay.reproduced).toBe(true);
  });

  it.each(runnable.map((m) => [m.name, m] as const))('the correct engine passes the scenario of %s', async (_name, mutant) => {
    expect(await explore(mutant.scenario)).toHaveNoViolations();
  });

  afterAll(() => {
    if (table.length > 0) console.log(['| mutant | caught by | shortest trace (steps) | message |', '|---|---|---|---|', ...table.sort()].join('\n'));
  });
});
