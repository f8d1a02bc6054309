/**
 * The `vmm-actors` program: its version, the exit-code help and the top-level error handler around every
 * subcommand. main.ts runs it on process.argv; tests run it in-process with runCli.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { EXIT_CODES_HELP, ExitCode, reportError } from './exit-code.js';

/** This package's version, from the package.json above this file (src/cli in the sources, dist/src/cli built). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vmm-actors' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
  }
  return 'unknown';
}

export function createProgram(): Command {
  const program = new Command('vmm-actors')
    .description('The VirtualBox VMM control plane as XState actors')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride() // usage errors come back as CommanderErrors: runCli gives them exit code 2
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
  registerCommands(program);
  return program;
}

/** Run the command line (`argv` as process.argv) and return its exit code; errors go to `err` as one line. */
export async function runCli(argv: readonly string[], err: (line: string) => void = (line) => console.error(line)): Promise<ExitCode> {
  process.exitCode = undefined;
  try {
    await createProgram().parseAsync([...argv]);
    return Number(process.exitCode ?? ExitCode.Ok) as ExitCode;
  } catch (error) {
    return reportError(error, err);
  }
}
