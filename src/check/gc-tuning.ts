/**
 * Exploring builds and drops thousands of short-lived worlds. V8's allocation-site pretenuring notices that
 * their objects often survive a scavenge and starts allocating them straight in the old generation, where
 * collecting them costs several times more: about half of an exploration's time (docs/model-checking.md,
 * Performance). Switching it off changes how memory is collected, not what runs, but it is process-wide, so
 * the library never does it by itself: the CLI and the benches call this; embedders may start node with
 * `--no-allocation-site-pretenuring`. A larger young generation (`node --max-semi-space-size=64`) helps the larger
 * runs a little (stop 15, quiet, bench:spin reductions off: N = 5 0.70–0.75 → 0.62 s, N = 6 2.78–2.81 → 2.60 s,
 * N = 4 no change; 32 no better); `--single-threaded-gc` does not. setFlagsFromString cannot resize it once the
 * heap is set up (new_space stays 32 MB), so it is not set here: a search that wants one runs on a worker thread
 * whose young generation is sized instead (ExploreOptions.thread, `check --thread`, bench:spin; search-thread.ts).
 */
import { setFlagsFromString } from 'node:v8';

export function disablePretenuring(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
