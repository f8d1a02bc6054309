/**
 * Text reporters for explore() results: a summary table (verdict, counts, speed, reductions, coverage) and the
 * violation with its replay line. The CLI prints these; tests and the vitest matcher reuse the violation text.
 */
import type { Coverage } from './coverage.js';
import type { ExploreResult } from './explore.js';
import { VMHALTMETHOD } from '../../machines/halt-method.js';
import { describeCall } from './scenario.js';

/** The VMHALTMETHOD name of a config value (none given: DEFAULT, which resolves to GLOBAL_1). */
const haltMethodName = (value: number | undefined): string =>
  Object.entries(VMHALTMETHOD).find(([, v]) => v === (value ?? VMHALTMETHOD.DEFAULT))?.[0] ?? String(value);

const n = (value: number) => Math.round(value).toLocaleString('en-US');

/** `vm 8/67 · vmcpu 2/9 …` and the rendezvous types. */
export function formatCoverage(coverage: Coverage): string[] {
  const machines = Object.entries(coverage.machines)
    .map(([name, m]) => `${name} ${m.covered}/${m.total}`)
    .join(' · ');
  return [
    `VMSTATE edges ${coverage.vmEdges.covered.length}/${coverage.vmEdges.total}: ${coverage.vmEdges.covered.map((e) => e.replace('>', '→')).join(', ') || 'none'}`,
    `machine transitions ${machines}`,
    `rendezvous types ${coverage.rendezvousTypes.join(', ') || 'none'}`,
  ];
}

/** The summary table, one `label  value` row per line. */
export function formatSummary(result: ExploreResult): string {
  const s = result.scenario;
  const clients = s.clients.map((c) => `${c.name}: ${c.calls.map(describeCall).join(' → ')}`).join(' ∥ ');
  const rows: [string, string][] = [
    ['scenario', `${clients}  (${s.cpus} vCPU${s.cpus === 1 ? '' : 's'}, ${s.fidelity}${s.guest === 'halt' ? ', halting guest' : ''}${s.halt === 'on' ? `, halt method ${haltMethodName(s.config.HaltMethod)}` : ''})`],
    ['verdict', result.verdict],
    ['search', `${result.mode} · partial-order reduction ${result.reductions.por ? 'on' : 'off'} · symmetry ${result.reductions.symmetry}`],
    ['states', `${n(result.states)}   transitions ${n(result.transitions)}   depth ${n(result.depth)}   replayed steps ${n(result.replayedSteps)}   copies ${n(result.copies)}`],
    ['time', `${result.seconds.toFixed(2)} s   ${n(result.statesPerSecond)} states/s   ${n(result.bytesPerState)} bytes/state (tables, kept worlds)`],
  ];
  const sampling = result.sampling;
  if (sampling) {
    const found = sampling.strategies.map((st) => `${st.name} ${n(st.iterations)}${st.foundAt !== null ? ` (found at ${n(st.foundAt)})` : ''}`).join(' · ');
    rows.splice(2, 2, ['search', `${result.mode} · sampled runs, no state table, no reductions`], ['iterations', `${n(sampling.iterations)}   steps ${n(sampling.steps)}   ${sampling.schedulesPerSecond.toFixed(1)} schedules/s${sampling.foundAt !== null ? `   found at iteration ${n(sampling.foundAt)}` : ''}`], ['strategies', found]);
    rows[5] = ['time', `${result.seconds.toFixed(2)} s`];
  }
  const coverage = formatCoverage(result.coverage);
  rows.push(['coverage', coverage[0]!], ['', coverage[1]!], ['', coverage[2]!]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** The violation block: property, message, trace length and how to replay. */
export function formatViolation(result: ExploreResult, traceFile?: string): string {
  const v = result.violations[0];
  if (!v) return '';
  const lines = [`VIOLATION ${v.property}: ${v.message}`, `counterexample: ${v.choices.length} steps after VM creation${v.lassoAt !== undefined ? ` (cycle from step ${v.lassoAt})` : ''}`];
  if (traceFile) lines.push(`replay: ${v.replayCommand(traceFile)}`);
  return lines.join('\n');
}
