/**
 * What an exploration's result must not depend on beyond the search's own timing (the number of workers, the
 * shared table or the pipeline): test/check/parallel.test.ts and shared-search.test.ts compare runs by it.
 */
import type { ExploreResult } from '../../src/check/explore.js';

export const exploreOutcome = (r: ExploreResult) => ({
  status: r.status,
  verdict: r.verdict,
  bound: r.bound,
  states: r.states,
  transitions: r.transitions,
  depth: r.depth,
  violations: r.violations.map((v) => ({ property: v.property, message: v.message, choices: v.choices })),
  outcomes: r.outcomes,
  coverage: r.coverage,
  reductions: r.reductions,
});
