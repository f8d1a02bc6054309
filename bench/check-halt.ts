/**
 * Model checking with the halt methods on (scenario `halt: 'on'`): states and wall seconds per halt method
 * (BOOTSTRAP, OLD, METHOD_1, GLOBAL_1) against halt off, for PowerOn ∥ PowerOff and PowerOn → reqCallWait(n-1)
 * ∥ PowerOff with a halting guest on 1–3 vCPUs, breadth-first with the default reductions; then the two halt-path
 * mutants' shortest counterexample and liveness lasso. Prints figures only (docs/model-checking.md, "Halt methods").
 *
 * Run: `npx tsx bench/check-halt.ts` (about half a minute; `--quick` for 1–2 vCPUs), or `npm run bench`.
 */
import { explore } from '../src/check/explore.js';
import { MUTANTS } from '../src/check/mutants.js';
import type { Scenario } from '../src/check/scenario.js';

const METHODS = [['BOOTSTRAP', 1], ['OLD', 3], ['METHOD_1', 4], ['GLOBAL_1', 5]] as const;

export async function main(options: { cpus?: readonly number[]; timeLimitS?: number } = {}): Promise<string[]> {
  const quick = process.argv.includes('--quick');
  const cpusList = options.cpus ?? (quick ? [1, 2] : [1, 2, 3]);
  const timeLimitMs = (options.timeLimitS ?? 120) * 1000;
  const scenarios: [string, (cpus: number) => Scenario][] = [
    ['PowerOn ∥ PowerOff', (cpus) => ({ cpus, guest: 'halt', clients: [['powerOn'], ['powerOff']] })],
    ['PowerOn → reqCallWait(n-1) ∥ PowerOff', (cpus) => ({ cpus, guest: 'halt', clients: [['powerOn', { call: 'reqCallWait', target: cpus - 1 }], ['powerOff']] })],
  ];
  const lines = ['| scenario | vCPUs | BOOTSTRAP | OLD | METHOD_1 | GLOBAL_1 | halt off |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const [name, scenario] of scenarios) {
    for (const cpus of cpusList) {
      const cells: string[] = [];
      for (const [, method] of METHODS) {
        const on = await explore({ ...scenario(cpus), halt: 'on', config: { HaltMethod: method } }, { timeLimitMs });
        cells.push(`${on.states.toLocaleString('en-US')}${on.status === 'ok' ? '' : ` (${on.status})`} (${on.seconds.toFixed(1)} s)`);
      }
      const off = await explore(scenario(cpus), { timeLimitMs });
      lines.push(`| ${name} | ${cpus} | ${cells.join(' | ')} | ${off.states.toLocaleString('en-US')} |`);
    }
  }
  for (const mutant of MUTANTS.filter((m) => m.scenario.halt === 'on')) {
    const result = await explore(mutant.scenario, { engine: mutant.engine, mutant: mutant.name });
    const v = result.violations[0];
    const length = !v ? '-' : v.lassoAt !== undefined ? `lasso ${v.lassoAt} + ${v.choices.length - v.lassoAt} steps` : `${v.choices.length} steps`;
    lines.push(`mutant ${mutant.name}: ${v ? v.property : result.verdict}, ${length} (${result.states} states)`);
  }
  for (const line of lines) console.log(line);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
