/**
 * The real commander program with the `ssm` subcommand registered, run in-process with console output captured
 * (the caller restores the mocks and process.exitCode after each test).
 */
import { Command } from 'commander';
import { vi } from 'vitest';
import { registerSsm } from '../../src/cli/commands/ssm-command.js';

export async function runSsmCli(...args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
  const program = new Command('vmm-actors').exitOverride();
  registerSsm(program);
  await program.parseAsync(['node', 'vmm-actors', 'ssm', ...args]);
  const exitCode = Number(process.exitCode ?? 0);
  return { out: out.join('\n'), err: err.join('\n'), exitCode };
}
