/** Every subcommand registers itself here, one line each. */
import type { Command } from 'commander';
import { registerDemo } from './demo-command.js';
import { registerCheck } from './check-command.js';
import { registerReplay } from './replay-command.js';
import { registerView } from './view-command.js';
import { registerExport } from './export-command.js';
import { registerRecord } from './record-command.js';
import { registerSsm } from './ssm-command.js';
import { registerTeleport } from './teleport-command.js';
import { registerObserve } from './observe-command.js';

export function registerCommands(program: Command): void {
  registerDemo(program);
  registerCheck(program);
  registerReplay(program);
  registerView(program);
  registerExport(program);
  registerRecord(program);
  registerSsm(program);
  registerTeleport(program);
  registerObserve(program);
}
