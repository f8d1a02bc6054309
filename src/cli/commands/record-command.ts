/**
 * `vmm-actors record <out.jsonl>` runs the demo and records its trace; `--from <trace>` re-runs a recorded
 * trace from its header and its scheduler choices and checks that the new inspection stream is identical
 * (the reproduction promise of `--trace`).
 */
import type { Command } from 'commander';
import { compareTraces, reproduceRun, type TraceRunner } from '../../inspect/reproduce.js';
import { runDemo } from './demo.js';
import { parseInteger } from './options.js';

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
      const setup = { cpus: opts.cpus, seed: opts.seed, clock: 'virtual' };
      const result = await reproduceRun({ out, run: demoRunner, setup, ...(opts.from ? { from: opts.from } : {}) });
      console.log(`recorded ${result.records} records to ${out}`);
      if (opts.from) {
        const diff = compareTraces(opts.from, out);
        console.log(diff === null ? `identical to ${opts.from}` : `differs from ${opts.from}: ${diff}`);
        if (diff !== null) process.exitCode = 1;
      }
    });
}
