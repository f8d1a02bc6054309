/**
 * The search thread's side (search-thread.ts): one request → explore() here, on this thread's large young
 * generation, with progress sent back as it comes and the result (plain data) or the error at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RealClock } from '../time/real-clock.js';
import type { ExploreOptions, ExploreResult, Progress } from './explore.js';
import { refrozenScenario, type ScenarioSpec } from './scenario.js';
import { errorAnswer, type ErrorAnswer } from './thread-errors.js';
import type { Counterexample } from './trace.js';

/**
 * An exploration to run: `options` without functions; `engine`: the mutant whose broken engine to run, by name, or
 * null (the real engine: a `mutant` in `options` alone only labels traces); `progress`: send progress lines.
 */
export interface SearchRequest {
  scenario: ScenarioSpec;
  options: Omit<ExploreOptions, 'onProgress' | 'engine' | 'thread' | 'invariants' | 'properties'>;
  engine: string | null;
  progress: boolean;
}

/** `seconds`: this thread's wall time in explore(). */
export type SearchAnswer =
  | { kind: 'progress'; progress: Progress }
  | { kind: 'result'; result: ExploreResult; seconds: number }
  | ErrorAnswer;

/** The workerData of a search thread (a module the main thread imports too for its types serves only there). */
export const SEARCH_THREAD = 'vmm-actors search thread';

async function run(request: SearchRequest): Promise<SearchAnswer> {
  try {
    const { explore } = await import('./explore.js');
    const options: ExploreOptions = { ...request.options };
    if (request.engine !== null) options.engine = (await import('./mutants.js')).engineByName(request.engine);
    if (request.progress) options.onProgress = (progress) => parentPort!.postMessage({ kind: 'progress', progress } satisfies SearchAnswer);
    const clock = new RealClock();
    const result = await explore(refrozenScenario(request.scenario), options);
    // A counterexample's replayCommand is a function: the caller's side makes it again (no user checks came here).
    const violations = result.violations.map(({ replayCommand: _, ...v }) => v as Counterexample);
    return { kind: 'result', result: { ...result, violations }, seconds: clock.nowNs() / 1e9 };
  } catch (error) {
    return errorAnswer(error);
  }
}

if (parentPort && workerData === SEARCH_THREAD) {
  const port = parentPort;
  const send = (answer: SearchAnswer): void => {
    try {
      port.postMessage(answer);
    } catch (error) {
      port.postMessage(errorAnswer(new Error(`explore: the search thread's answer cannot be sent: ${String(error)}`)) satisfies SearchAnswer);
    }
  };
  port.on('message', (request: SearchRequest) => void run(request).then(send));
}
