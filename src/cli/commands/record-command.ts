/**
 * `vmm-actors record <out.jsonl>` runs the demo and records its trace; `--from <trace>` re-runs a recorded
 * trace from its header and its scheduler choices and checks that the new inspection stream is identical
 * (the reproduction promise of `--trace`).
 */
import type { Command } from 'commander';
import { compareTraces, reproduceRun, type TraceRunner } from '../../inspect/reproduce.js';
import { readTrace, traceHeader } from '../../inspect/replayer.js';
import { CliError, ExitCode } from '../exit-code.js';
import { requireFile } from '../input-file.js';
import { runDemo } from './demo.js';
import { parseInteger } from './options.js';

/** Why `record --from` cannot re-run this trace, or null: it re-runs the demo from a virtual-clock header. */
export function whyNotRerunnable(file: string): string | null {
  let header;
  try {
    header = traceHeader(readTrace(file));
  } catch (e) {
    return `not a trace: ${(e as Error).message}`;
  }
  if (header.source === 'check') return `a checker counterexample (source 'check'): re-run it with \`vmm-actors replay ${file}\``;
  if (header.source !== 'demo') return `recorded by '${header.source}', not by the demo: record --from re-runs demo traces only`;
  const { cpus, seed, clock } = header.setup;
  if (clock === 'real') return "recorded on the real clock: its scheduler choices followed the host's timing, so no run can repeat them";
  if (!Number.isInteger(cpus) || !Number.isInteger(seed)) return `its header has no integer cpus and seed (setup ${JSON.stringify(header.setup)})`;
  return null;
}

/** The demo as a trace runner: quiet, virtual clock, cpus and seed from the setup. */
export const demoRunner: TraceRunner = ({ setup, inspect, policy }) =>
  runDemo({ cpus: Number(setup.cpus), seed: Number(setup.seed), clock: 'virtual', quiet: true, inspect, ...(policy ? { policy } : {}) }, () => undefined);

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('record the demo as a trace; with --from, reproduce a recorded run and compare')
    .argument('<out>', 'trace file to write (JSON lines)')
    .option('--cpus <n>', 'vCPUs', parseInteger, 4)
    .option('--seed <n>', 'scheduler seed', parseInteger, 7)
    .option('--from <trace>', 're-run this trace (its setup and choices) instead of a fresh demo')
    .action(async (out: string, opts: { cpus: number; seed: number; from?: string }) => {
      if (opts.from) {
        requireFile(opts.from, 'trace');
        const why = whyNotRerunnable(opts.from);
        if (why) throw new CliError(`record --from ${opts.from}: cannot re-run this trace: ${why}`);
      }
      const setup = { cpus: opts.cpus, seed: opts.seed, clock: 'virtual' };
      const result = await reproduceRun({ out, run: demoRunner, setup, ...(opts.from ? { from: opts.from } : {}) });
      console.log(`recorded ${result.records} records to ${out}`);
      if (opts.from) {
        const diff = compareTraces(opts.from, out);
        console.log(diff === null ? `identical to ${opts.from}` : `differs from ${opts.from}: ${diff}`);
        if (diff !== null) process.exitCode = ExitCode.Violation;
      }
    });
}
