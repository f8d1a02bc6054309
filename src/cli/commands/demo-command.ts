/** `vmm-actors demo [--cpus N] [--seed N] [--clock virtual|real] [--quiet] [--inspect] [--inspect-ws URL] [--trace FILE]`. */
import { type Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';
import { openDemoInspection } from '../../inspect/demo-inspection.js';
import { parseInteger } from './options.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('drive a multi-vCPU VM through its lifecycle, a live save restored into a fresh VM, and a suspend/power-off race')
    .option('--cpus <n>', 'vCPUs', parseInteger, 4)
    .option('--seed <n>', 'scheduler seed (virtual clock)', parseInteger, 7)
    .option('--clock <kind>', 'virtual | real', 'virtual')
    .option('--quiet', 'VM states only')
    .option('--inspect', 'show the run in the Stately inspector (online; says so when offline)')
    .option('--inspect-ws <url>', 'stream inspection events to a websocket (e.g. `vmm-actors view --live <url>`)')
    .option('--trace <file>', 'record the inspection stream and scheduler choices as JSON lines')
    .action(async (opts: { cpus: number; seed: number; clock: string; quiet?: boolean; inspect?: boolean; inspectWs?: string; trace?: string }) => {
      if (opts.clock !== 'virtual' && opts.clock !== 'real') throw new InvalidArgumentError('--clock must be virtual or real');
      const setup = { cpus: opts.cpus, seed: opts.seed, clock: opts.clock };
      const inspection = await openDemoInspection({ ...opts, setup, out: console.log });
      process.exitCode = await runDemo({ cpus: opts.cpus, seed: opts.seed, clock: opts.clock, quiet: opts.quiet ?? false, inspect: inspection.inspect });
      await inspection.finish();
    });
}
