/**
 * What of an exploration's options can go to another thread (an explore worker: parallel.ts; the search thread:
 * search-thread.ts). Functions cannot be sent: user invariants and extra properties stay, and a broken engine goes
 * only as a mutant of src/check/mutants.ts, by name, which the thread makes again.
 */
import type { ExploreOptions } from './explore.js';

/** The engine to send (engineCrossing: a mutant's name, or null for the real engine), or what cannot be sent. */
export type Crossing = { engine: string | null } | { stays: 'user invariants' | 'extra properties' | 'a broken engine' };

export async function crossing(options: Pick<ExploreOptions, 'invariants' | 'properties' | 'engine' | 'mutant'>): Promise<Crossing> {
  if (options.invariants?.length) return { stays: 'user invariants' };
  if (options.properties?.length) return { stays: 'extra properties' };
  if (!options.engine) return { engine: null }; // the mutant table loaded only for an engine
  const engine = (await import('./mutants.js')).engineCrossing(options);
  return engine === undefined ? { stays: 'a broken engine' } : { engine };
}
