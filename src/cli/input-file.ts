/**
 * Files the commands read: a missing file, a directory or an oversized file is one line naming it (a CliError,
 * exit code 2), never a raw ENOENT stack; the read is bounded by a size the command can justify.
 */
import { readFileSync, statSync } from 'node:fs';
import { CliError } from './exit-code.js';

/** Scenario files and traces are text the checker parses whole; 256 MiB is far beyond any real one. */
export const INPUT_FILE_MAX_BYTES = 256 * 1024 * 1024;

/** Check that `path` names a readable regular file; `what` says what it is for ("scenario", "trace"). */
export function requireFile(path: string, what: string, maxBytes = INPUT_FILE_MAX_BYTES): number {
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new CliError(`${what} ${path}: is a directory, not a file`);
    size = stat.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (size > maxBytes) throw new CliError(`${what} ${path}: ${size} bytes, more than the ${maxBytes} a ${what} can need`);
  return size;
}

/** Read a text file a command was given, after requireFile's checks. */
export function readInputFile(path: string, what: string, maxBytes = INPUT_FILE_MAX_BYTES): string {
  requireFile(path, what, maxBytes);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`${what} ${path}: ${(e as Error).message}`);
  }
}
