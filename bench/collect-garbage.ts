/**
 * A full collection for benches that read the live heap (with `node --expose-gc`). Never right before or during
 * a timed run: a forced collection also throws away the optimized code of everything the engine runs, and the
 * run after it compiles again (the race on 3 vCPUs took 0.90 s instead of 0.28 s, 388 functions optimized anew
 * instead of 20). Collect, then warm up, then time; measure the heap in a run of its own.
 */
const gc = (globalThis as { gc?: () => void }).gc;

/** Collect now; false when the process runs without --expose-gc (nothing happened). */
export function collectGarbage(): boolean {
  gc?.();
  return gc !== undefined;
}
