/** Option parsers shared by the subcommands. */
import { InvalidArgumentError } from 'commander';

export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`'${value}' is not an integer`);
  return n;
}
