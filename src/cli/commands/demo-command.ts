/** `vmm-actors demo [--cpus N] [--seed N] [--clock virtual|real] [--quiet]`. */
import { type Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';
import { parseInteger } from './options.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('drive a multi-vCPU VM through its lifecycle and a suspend/power-off race')
    .option('--cpus <n>', 'vCPUs', parseInteger, 4)
    .option('--seed <n>', 'scheduler seed (virtual clock)', parseInteger, 7)
    .option('--clock <kind>', 'virtual | real', 'virtual')
    .option('--quiet', 'VM states only')
    .action(async (opts: { cpus: number; seed: number; clock: string; quiet?: boolean }) => {
      if (opts.clock !== 'virtual' && opts.clock !== 'real') throw new InvalidArgumentError('--clock must be virtual or real');
      process.exitCode = await runDemo({ cpus: opts.cpus, seed: opts.seed, clock: opts.clock, quiet: opts.quiet ?? false });
    });
}
