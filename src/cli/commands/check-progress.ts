/**
 * `check`'s progress on stderr. On a terminal (without --quiet) one line rewritten in place; otherwise — a pipe,
 * a CI log, or --quiet — a plain line every `everySeconds`, so a long check is never silent until its time
 * bound. stdout keeps only the result.
 */
import type { Progress } from '../../check/index.js';

export const PROGRESS_EVERY_SECONDS = 10;

export interface ProgressReporter {
  onProgress: (p: Progress) => void;
  /** Clear the live line before the result is printed. */
  finish: () => void;
}

export function progressReporter(options: { tty: boolean; quiet: boolean; write: (text: string) => void; everySeconds?: number }): ProgressReporter {
  const { write } = options;
  if (options.tty && !options.quiet) {
    return { onProgress: (p) => write(`\r${progressLine(p)}\x1b[K`), finish: () => write('\r\x1b[K') };
  }
  const every = options.everySeconds ?? PROGRESS_EVERY_SECONDS;
  let next = every;
  return {
    onProgress: (p) => {
      if (p.seconds < next) return;
      next = (Math.floor(p.seconds / every) + 1) * every;
      write(`check: ${progressLine(p)}\n`);
    },
    finish: () => undefined,
  };
}

export function progressLine(p: Progress): string {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  if (p.iterations !== undefined) {
    return `iterations ${n(p.iterations)}  ${(p.iterations / Math.max(p.seconds, 1e-9)).toFixed(1)}/s  steps ${n(p.transitions)}  longest run ${p.depth}  heap ${n(p.heapBytes / 1048576)} MB  ${p.seconds.toFixed(1)} s`;
  }
  // TLC's figures: distinct states, states generated (transitions), the queue, both rates, elapsed.
  const generated = p.transitionsPerSecond !== undefined ? `  ${n(p.transitionsPerSecond)} generated/s` : '';
  return `states ${n(p.states)} distinct  ${n(p.transitions)} generated  frontier ${n(p.frontier)}  ${n(p.statesPerSecond)} distinct/s${generated}  depth ${p.depth}  heap ${n(p.heapBytes / 1048576)} MB  elapsed ${p.seconds.toFixed(1)} s`;
}
