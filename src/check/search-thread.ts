/**
 * One exploration on a worker thread of its own (ExploreOptions.thread), for the young generation: a search keeps
 * the world of each frontier state until it is expanded, about a level later. On the main thread's young
 * generation (V8's default, which a running process cannot resize) most of them survive two scavenges, are copied
 * twice and promoted, and die in the old generation; on a thread with SEARCH_YOUNG_GENERATION_MB most die young.
 * The search is the same code on the same options, so states, verdicts and counterexamples are equal by
 * construction (test/check/search-thread.test.ts). A thread dies with its process (a killed CLI leaves no orphan,
 * unlike a child process). Only options that can cross go (crossing.ts: no user invariants or properties, a broken
 * engine only as a named mutant); otherwise explore() searches on the calling thread.
 * The thread loads the engine's modules afresh: registry changes made at run time (persistable() called again on a
 * class, a test's patch) stay on the calling thread, and the thread's search does not see them.
 * A finished exploration leaves its thread idle and unref'd for the next one (starting one loads the engine again,
 * and its code is compiled anew): as many as the machine has cores (explorations running at once each find a warm
 * thread: with one kept, the second of two concurrent races on 6 vCPUs took a fresh thread every time, 3.4–3.6 s
 * against 1.65 s warm), each keeping its heap (the engine, up to the young generation's size) until
 * closeSearchThreads().
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { RealClock } from '../time/real-clock.js';
import { crossing } from './crossing.js';
import type { ExploreOptions, ExploreResult } from './explore.js';
import { keptIdle, startWorker, takeIdle } from './parallel-pool.js';
import type { ScenarioSpec } from './scenario.js';
import { cliReplayCommand } from './trace.js';
import { SEARCH_THREAD, type SearchAnswer, type SearchRequest } from './search-thread-worker.js';
import { revived } from './thread-errors.js';

/**
 * The search thread's young generation, MB (V8 grows it up to this as survivors need). Race on 6 vCPUs, reductions
 * off, process CPU s of warm runs (load 5–8): main thread 3.4–3.7, 256 MB 2.6–2.8, 512 MB 2.2–2.4, 1,024 MB as 512.
 */
export const SEARCH_YOUNG_GENERATION_MB = 512;

/** Threads left by finished explorations (at most MAX_IDLE). */
const idle: Worker[] = [];

/** Idle search threads kept at most: one per core. */
export const MAX_IDLE = availableParallelism();

/** Terminate the idle search threads, giving their memory back (tests' teardown; a process may simply exit). */
export async function closeSearchThreads(): Promise<void> {
  await Promise.all(idle.splice(0).map((worker) => worker.terminate()));
}

/**
 * The engine a search thread runs for `options` (a mutant's name, or null for the real one: crossing.ts), or
 * undefined when they stay on this thread (functions, or several workers).
 */
export async function threadEngine(options: ExploreOptions): Promise<string | null | undefined> {
  if ((options.workers ?? 1) !== 1) return undefined;
  const crossed = await crossing(options);
  return 'stays' in crossed ? undefined : crossed.engine;
}

/**
 * explore() of `scenario` (parsed) on a search thread running `engine` (threadEngine's answer for `options`). A throwing
 * onProgress, a request that cannot be sent or a thread that dies ends the search (the thread terminated) with that error.
 */
export function exploreOnThread(scenario: ScenarioSpec, options: ExploreOptions, engine: string | null): Promise<ExploreResult> {
  const { onProgress, engine: _engine, thread: _thread, invariants: _i, properties: _p, ...data } = options;
  const request: SearchRequest = { scenario, options: data, engine, progress: onProgress !== undefined };
  const clock = new RealClock();
  const worker = takeIdle(idle) ?? startWorker('search-thread-worker', SEARCH_THREAD, SEARCH_YOUNG_GENERATION_MB);
  worker.ref();
  return new Promise<ExploreResult>((resolve, reject) => {
    const done = (healthy: boolean): void => {
      worker.off('message', onMessage).off('error', fail).off('exit', onExit);
      if (!healthy || !keptIdle(idle, MAX_IDLE, worker)) void worker.terminate();
    };
    const fail = (error: unknown): void => {
      done(false);
      reject(error);
    };
    const onMessage = (answer: SearchAnswer): void => {
      if (answer.kind === 'progress') {
        try {
          return onProgress?.(answer.progress);
        } catch (error) {
          return fail(error); // as on this thread, where it throws out of the search
        }
      }
      done(true);
      if (answer.kind === 'error') return reject(revived(answer));
      resolve(withStart(answer.result, clock.nowNs() / 1e9 - answer.seconds, answer.seconds));
    };
    const onExit = (code: number): void => fail(new Error(`explore: the search thread exited (code ${code})`));
    worker.on('message', onMessage).on('error', fail).on('exit', onExit);
    try {
      worker.postMessage(request);
    } catch (error) {
      fail(error); // an option that cannot be cloned (an untyped caller's function)
    }
  });
}

/** The result with the thread's start and messages counted in its time (wall time to the caller), and its counterexamples' replay command. */
function withStart(result: ExploreResult, extraS: number, ownS: number): ExploreResult {
  const extra = Math.max(0, extraS);
  const statesPerSecond = ownS > 0 ? (result.statesPerSecond * ownS) / (ownS + extra) : result.statesPerSecond;
  const violations = result.violations.map((v) => ({ ...v, replayCommand: cliReplayCommand }));
  return { ...result, violations, seconds: result.seconds + extra, statesPerSecond };
}
