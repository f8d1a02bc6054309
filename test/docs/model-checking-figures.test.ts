/**
 * The figures docs/model-checking.md quotes are what the checker says (issue 15 item 9: the doc said 731 states
 * where the checker said 733). Goal: the intro's verdict and the worked example's state, transition and depth
 * counts are re-derived from explore() on the scenarios the doc shows, so a change of the engine that moves
 * them fails here rather than leaving the doc stale. Method: read the numbers out of the doc's text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore, type Scenario } from '../../src/check/index.js';

const doc = readFileSync(new URL('../../docs/model-checking.md', import.meta.url), 'utf8');
const LIVE_SAVE: Scenario = { cpus: 1, fidelity: 'as-written', timers: 'any', clients: [['powerOn', 'save'], ['suspend']] };
const int = (s: string) => Number(s.replace(/,/g, ''));

describe('docs/model-checking.md figures', () => {
  it('the intro example: the verdict of the 3-vCPU race', async () => {
    const quoted = /result\.verdict;\s+\/\/ '([^']+)'/.exec(doc)![1];
    expect(doc).toContain("explore({ cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] })");
    expect((await explore({ cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] })).verdict).toBe(quoted);
  });

  it('the worked example: states, transitions and depth of the as-written live save, and the intended run', async () => {
    expect(doc).toContain(JSON.stringify(LIVE_SAVE).replace(/,/g, ', ').replace(/:/g, ': ').replace(/^\{/, '{ ').replace(/\}$/, ' }'));
    const [, states, transitions, depth] = /^states\s+([\d,]+)\s+transitions ([\d,]+)\s+depth (\d+)/m.exec(doc)!;
    const asWritten = await explore(LIVE_SAVE);
    expect([asWritten.states, asWritten.transitions, asWritten.violations[0]!.choices.length]).toEqual([int(states!), int(transitions!), int(depth!)]);
    const intended = /explored exhaustively without a violation \(`ok: ([\d,]+) states`\)/.exec(doc)![1]!;
    expect((await explore({ ...LIVE_SAVE, fidelity: 'intended' })).verdict).toBe(`ok: ${intended} states, every interleaving explored`);
  });

  it('the worked example on 2 vCPUs: the shortest counterexample and the states explored', async () => {
    const [, steps, states] = /On 2 vCPUs\s+\(`"cpus": 2`\) the shortest counterexample is (\d+) steps \(([\d,]+) states\)/.exec(doc)!;
    const r = await explore({ ...LIVE_SAVE, cpus: 2 });
    expect([r.violations[0]!.property, r.violations[0]!.choices.length, r.states]).toEqual(['save-cleanup', int(steps!), int(states!)]);
  });

  it('suspend racing destroy: clean by default, the deadlock as written, with the quoted state counts and depth', async () => {
    const scenario = /^`(\{ "cpus": 2, "clients": \[\["powerOn", "powerOff", "destroy"\], \["suspend"\]\] \})` deadlocks \((\d+) steps\)/m.exec(doc)!;
    const [, clean, steps, states] = /\(`npx vmm-actors check` on it: `ok: ([\d,]+) states`\); with\s+`"fidelity": "as-written"` the (\d+)-step deadlock is still found \(([\d,]+) states, exit 1\)/.exec(doc)!;
    const race = JSON.parse(scenario[1]!) as Scenario;
    expect((await explore(race)).verdict).toBe(`ok: ${clean} states, every interleaving explored`);
    const asWritten = await explore({ ...race, fidelity: 'as-written' });
    expect([asWritten.violations[0]!.property, asWritten.violations[0]!.choices.length, asWritten.states]).toEqual(['deadlock', int(steps!), int(states!)]);
    expect(scenario[2]).toBe(steps);
  });
});
