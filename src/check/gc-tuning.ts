/**
 * Exploring builds and drops thousands of short-lived worlds. V8's allocation-site pretenuring notices that
 * their objects often survive a scavenge and starts allocating them straight in the old generation, where
 * collecting them costs several times more: about half of an exploration's time (docs/model-checking.md,
 * Performance). Switching it off changes how memory is collected, not what runs, but it is process-wide, so
 * the library never does it by itself: the CLI and the benches call this; embedders may start node with
 * `--no-allocation-site-pretenuring`.
 */
import { setFlagsFromString } from 'node:v8';

export function disablePretenuring(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
