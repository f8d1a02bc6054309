/**
 * Exploring builds and drops thousands of short-lived worlds. V8's allocation-site pretenuring notices that
 * their objects often survive a scavenge and starts allocating them straight in the old generation, where
 * collecting them costs several times more: about half of an exploration's time (docs/model-checking.md,
 * Performance). Switching it off changes how memory is collected, not what runs, but it is process-wide, so
 * the library never does it by itself: the CLI and the benches call this; embedders may start node with
 * `--no-allocation-site-pretenuring`. A larger young generation (`node --max-semi-space-size=32|64`) measured
 * no better on the race (6 vCPUs, reductions off), nor did `--single-threaded-gc`; and setFlagsFromString cannot
 * resize it once the heap is set up (new_space stays 32 MB), so it is not set here.
 */
import { setFlagsFromString } from 'node:v8';

export function disablePretenuring(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
