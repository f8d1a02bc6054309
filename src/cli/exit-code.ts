/**
 * What `vmm-actors` exit statuses say, in one place for every command: commands set `process.exitCode` from
 * ExitCode or throw; the top-level handler (reportError, used by main.ts through runCli) turns what escapes
 * into one line on stderr and its code. A user should be able to script on the code alone:
 * 0 ok, 1 a check failed, 2 bad input or usage, 3 bounded or inconclusive.
 */
import { CommanderError, InvalidArgumentError } from 'commander';
import { ScenarioError } from '../check/scenario.js';
import { TraceFormatError } from '../inspect/trace-format.js';
import { VBoxError, VERR_INVALID_PARAMETER } from '../status.js';

export enum ExitCode {
  /** Done, and nothing was found wrong (a check explored every state and no property failed). */
  Ok = 0,
  /** A check failed: a property violation, a damaged file, a VirtualBox error status. */
  Violation = 1,
  /** Bad input or usage: an unknown option, a missing or malformed file, a value out of range. */
  BadInput = 2,
  /** Bounded or inconclusive: a limit (states, depth, time) stopped the check, or a replay could not decide. */
  Inconclusive = 3,
  /** An internal error (a bug in vmm-actors): the stack is printed. */
  Internal = 70,
}

/** The exit codes as `--help` and the README print them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok: done, nothing found wrong
  1  a check failed: a property violation, a damaged file, a VirtualBox error status
  2  bad input or usage: unknown option, missing or malformed file, value out of range
  3  bounded or inconclusive: --max-states / --max-depth / --time-limit stopped the check, or a replay could not decide
  70 internal error (a bug; the stack is printed)`;

/** An error a command reports as one line with its exit code (default: bad input). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.BadInput,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const isErrno = (e: unknown): e is NodeJS.ErrnoException => e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
const FILE_ERRORS: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied', ENOTDIR: 'not a directory' };

/** Print what escaped a command as one line (the stack only for an internal error) and return its exit code. */
export function reportError(error: unknown, write: (line: string) => void): ExitCode {
  if (error instanceof InvalidArgumentError) {
    write(`error: ${error.message}`); // thrown by an action: commander has not printed it
    return ExitCode.BadInput;
  }
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput; // commander printed it
  if (error instanceof CliError) {
    write(`error: ${error.message}`);
    return error.exitCode;
  }
  if (error instanceof ScenarioError || error instanceof TraceFormatError) {
    write(`error: ${error.message}`);
    return ExitCode.BadInput;
  }
  if (error instanceof VBoxError) {
    write(`${error.name} (${error.rc}): ${error.message}`);
    return error.rc === VERR_INVALID_PARAMETER ? ExitCode.BadInput : ExitCode.Violation; // e.g. demo --cpus 0
  }
  if (isErrno(error) && error.code && FILE_ERRORS[error.code] && error.path) {
    write(`error: ${error.path}: ${FILE_ERRORS[error.code]}`);
    return ExitCode.BadInput;
  }
  write(error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error));
  return ExitCode.Internal;
}
