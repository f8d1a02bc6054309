/** Every subcommand registers itself here, one line each. */
import type { Command } from 'commander';
import { registerDemo } from './demo-command.js';

export function registerCommands(program: Command): void {
  registerDemo(program);
}
