#!/usr/bin/env node
/** The `vmm-actors` command. Each subcommand parses, calls the public API and prints; no logic here. */
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './commands/demo.js';

const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not an integer');
  return n;
};

const program = new Command('vmm-actors').description('The VirtualBox VMM control plane as XState actors');

program
  .command('demo')
  .description('drive a multi-vCPU VM through its lifecycle and a suspend/power-off race')
  .option('--cpus <n>', 'vCPUs', int, 4)
  .option('--seed <n>', 'scheduler seed (virtual clock)', int, 7)
  .option('--clock <kind>', 'virtual | real', 'virtual')
  .option('--quiet', 'VM states only')
  .action(async (opts: { cpus: number; seed: number; clock: string; quiet?: boolean }) => {
    if (opts.clock !== 'virtual' && opts.clock !== 'real') throw new InvalidArgumentError('--clock must be virtual or real');
    process.exitCode = await runDemo({ cpus: opts.cpus, seed: opts.seed, clock: opts.clock, quiet: opts.quiet ?? false });
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exitCode = 1;
});
