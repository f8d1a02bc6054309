/**
 * The worker threads of multi-core exploration: starting them, one request → one answer messaging, and
 * keeping them for the next exploration. Every member is a worker thread; the main thread only merges (worker
 * threads expand cheaper, even on two cores: parallel.ts). Starting a worker loads the whole engine again (about half a second
 * from the TypeScript sources), so a finished exploration leaves its workers idle and unref'd — they never
 * keep the process alive — and the next one takes them instead of starting new ones.
 *
 * The worker entry sits next to this file: from the build it is explore-worker.js; from source (vitest, tsx)
 * it is explore-worker.ts, which a worker can load only once tsx's loader is registered in it, so there the
 * worker starts with a bootstrap that registers tsx and then imports the entry.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EXPLORE_WORKER, type WorkerAnswer, type WorkerInit, type WorkerMessage, type WorkReply, type WorkRequest } from './explore-worker.js';
import type { SharedBatch, SharedMessage } from './shared-expander.js';
import { fromWire } from './parallel-wire.js';
import { revived } from './thread-errors.js';

interface Pending {
  resolve: (answer: WorkerAnswer) => void;
  reject: (error: Error) => void;
}

/** Workers left by finished explorations. */
const idle: Worker[] = [];

export class WorkerPool {
  readonly #workers: Worker[] = [];
  readonly #pending: Pending[][] = [];
  #failure: Error | null = null;
  /** The shared-table search's listener (shared-search.ts): its batches come unasked, and so may a failure. */
  #shared: ((worker: number, batch: SharedBatch) => void) | null = null;
  #sharedFailed: ((error: Error) => void) | null = null;

  private constructor() {}

  /** `count` workers set up for the scenario (idle ones first). */
  static async open(count: number, init: WorkerInit): Promise<WorkerPool> {
    const pool = new WorkerPool();
    for (let i = 0; i < count; i++) pool.#attach(takeIdle(idle) ?? spawn(), i);
    try {
      await Promise.all(pool.#workers.map((_, i) => pool.#send(i, { kind: 'init', init })));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.#workers.length;
  }

  async request(worker: number, request: WorkRequest): Promise<WorkReply> {
    const answer = await this.#send(worker, request);
    if (answer.kind !== 'reply') throw new Error(`explore worker ${worker}: expected a reply, got '${answer.kind}'`);
    const { kind: _kind, ...reply } = answer;
    return fromWire(reply);
  }

  /** Hear the workers' shared-table batches (and any failure) until the function it returns is called. */
  listen(onBatch: (worker: number, batch: SharedBatch) => void, onFailure: (error: Error) => void): () => void {
    if (this.#failure) throw this.#failure;
    this.#shared = onBatch;
    this.#sharedFailed = onFailure;
    return () => {
      this.#shared = null;
      this.#sharedFailed = null;
    };
  }

  /** A message that has no answer (the shared-table search's). */
  post(worker: number, message: SharedMessage, transfers: ArrayBuffer[] = []): void {
    this.#workers[worker]!.postMessage(message, transfers);
  }

  /** Keep healthy workers for the next exploration (their worlds dropped); terminate them after a failure. */
  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    for (const worker of workers) {
      if (!this.#failure && keptIdle(idle, availableParallelism(), worker)) worker.postMessage({ kind: 'reset' } satisfies WorkerMessage);
      else await worker.terminate();
    }
  }

  #attach(worker: Worker, i: number): void {
    const queue: Pending[] = [];
    worker.ref();
    // Answers come in request order: a worker handles its messages one at a time.
    worker.on('message', (answer: WorkerAnswer) => {
      if (answer.kind === 'shared') return this.#shared?.(i, answer);
      const pending = queue.shift();
      if (answer.kind === 'error') this.#fail(revived({ ...answer, message: `explore worker ${i}: ${answer.message}` }), pending);
      else pending?.resolve(answer);
    });
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`explore worker ${i} exited (code ${code})`)));
    this.#workers.push(worker);
    this.#pending.push(queue);
  }

  #send(worker: number, message: WorkerMessage): Promise<WorkerAnswer> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending[worker]!.push({ resolve, reject });
      this.#workers[worker]!.postMessage(message);
    });
  }

  #fail(error: Error, first?: Pending): void {
    this.#failure ??= error;
    this.#sharedFailed?.(error);
    first?.reject(error);
    for (const queue of this.#pending) for (const pending of queue.splice(0)) pending.reject(error);
  }
}

/**
 * Keep `worker` in `idle` for the next exploration if fewer than `max` are there: its listeners removed, unref'd
 * (an idle thread never keeps the process alive; it keeps its heap until it is terminated), and dropped from `idle`
 * if it exits. False (nothing done) when `idle` is full. search-thread.ts keeps its thread the same way.
 */
export function keptIdle(idle: Worker[], max: number, worker: Worker): boolean {
  detach(worker);
  if (idle.length >= max) return false;
  worker.unref();
  worker.once('exit', () => {
    const i = idle.indexOf(worker);
    if (i >= 0) idle.splice(i, 1);
  });
  // An idle thread's error (out of memory, a throw while it resets) must not be the process's: its 'exit' follows.
  worker.on('error', () => {});
  idle.push(worker);
  return true;
}

/** The last idle thread kept by keptIdle, its listeners removed (the caller refs it as it starts work), if any. */
export function takeIdle(idle: Worker[]): Worker | undefined {
  const worker = idle.pop();
  if (worker) detach(worker);
  return worker;
}

/**
 * A worker's own listeners removed, by event: removeAllListeners() would remove Node's as well (they start and ref the
 * message port as 'message' listeners come and go), after which a new 'message' listener never hears anything.
 */
function detach(worker: Worker): void {
  for (const event of ['message', 'error', 'exit'] as const) worker.removeAllListeners(event);
}

/**
 * A worker thread's young generation, MB (its maximum: V8 grows it as survivors need). A worker's worlds live
 * about a level: with the default young generation many survive two scavenges, are promoted and collected again
 * by the old generation's marking; a larger one lets them die young. Race N = 6, reductions off, two worker
 * threads: process CPU ~77 → ~46 µs per transition at 256 MB (64 MB: ~52, 192: ~48); 512 MB, as the search thread's
 * (search-thread.ts), ~4 % less again (stop 17, load 8: 47 against 51; 1,024 and 2,048 no better than 512).
 * Stop 22, the shared-table search (each worker holds its half of the frontier): 256 MB again. Runs 3–8 of a
 * process, wall s: 512 MB 1.83 / 2.01 / 2.00 / 1.54 / 1.24 / 1.24, its young generation still faulting its pages in
 * (31–49 thousand minor faults a run, ~18 µs each on this VM); 256 MB 1.41 / 1.33 / 1.25 / 1.34 / 1.38 / 1.21
 * (4–10 thousand); 128 MB 1.98 / 1.46 / 1.51 / 1.33 / 1.57 / 1.56.
 * A worker's resource limit, so no process flag is needed (the main thread's young generation cannot be resized).
 */
const WORKER_YOUNG_GENERATION_MB = 256;

function spawn(): Worker {
  return startWorker('explore-worker', EXPLORE_WORKER, WORKER_YOUNG_GENERATION_MB);
}

/** A worker thread on `entry` (a module next to this file, no extension) with a young generation of `youngMb` (search-thread.ts too). */
export function startWorker(entry: string, workerData: string, youngMb: number): Worker {
  const here = import.meta.url;
  const options = { workerData, resourceLimits: { maxYoungGenerationSizeMb: youngMb } };
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${entry}.js`, here), options);
  const entryUrl = new URL(`./${entry}.ts`, here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entryUrl)}); });`;
  // No inherited flags: a tsx CLI parent's loader flags would register tsx twice.
  return new Worker(bootstrap, { ...options, eval: true, execArgv: [] });
}

/** tsx's ESM register() (its CommonJS build of the same entry cannot register from an eval'd worker). */
export function tsxApi(): string {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve('tsx/package.json');
  } catch {
    throw new Error('explore: worker threads (workers > 1, thread: true) from the TypeScript sources need tsx (a dev dependency); or run the build (dist/)');
  }
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> }).exports;
  const file = exports['./esm/api']?.import?.default;
  if (!file) throw new Error(`explore: tsx at ${dirname(manifest)} has no ./esm/api export`);
  return pathToFileURL(join(dirname(manifest), file)).href;
}
