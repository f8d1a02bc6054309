/**
 * CPU time of the calling thread (main or worker), for the multi-core search's breakdown: on a shared machine
 * wall times mix in other processes' load, CPU time per thread does not. Linux's /proc/thread-self/schedstat
 * (nanoseconds on the CPU, first field), opened once per thread and read again in place; NaN where there is none.
 */
import { openSync, readSync } from 'node:fs';

let fd: number | null | undefined;
const buffer = Buffer.alloc(64);

/** The calling thread's CPU time so far, µs (NaN where the host does not say). */
export function threadCpuUs(): number {
  if (fd === undefined) {
    try {
      fd = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      fd = null;
    }
  }
  if (fd === null) return Number.NaN;
  try {
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return Number(buffer.toString('latin1', 0, n).split(' ', 1)[0]) / 1000;
  } catch {
    return Number.NaN; // a figure for the breakdown only: never a search's error
  }
}
