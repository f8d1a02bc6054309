#!/usr/bin/env node
/** The `vmm-actors` command. Each subcommand lives in commands/<name>.ts: parse, call the public API, print. */
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

const program = new Command('vmm-actors').description('The VirtualBox VMM control plane as XState actors');
registerCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exitCode = 1;
});
