/**
 * explore(…, { thread: true }) (src/check/search-thread.ts): the search runs on a worker thread of its own (for its
 * young generation) and gives exactly the result of the calling thread's search — states, transitions, verdict,
 * counterexample (choices and trace text), outcomes, coverage, copies — for breadth- and depth-first search, a
 * mutant passed by name, a run cut short; its progress comes back; a refused resume is the same VBoxError; options
 * holding functions (user invariants) search here. Method: explore each case both ways and compare all but timings,
 * and spy on Explorer.run to see which thread searched (the thread runs from the TypeScript sources here, through tsx).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { explore, type ExploreOptions, type ExploreResult } from '../../src/check/explore.js';
import { Explorer } from '../../src/check/explorer.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { closeSearchThreads, MAX_IDLE } from '../../src/check/search-thread.js';
import { revived } from '../../src/check/thread-errors.js';
import type { Scenario } from '../../src/check/scenario.js';
import { VBoxError, VERR_SSM_INTEGRITY } from '../../src/status.js';

/** Everything but the wall-clock figures (a counterexample's replay command by what it says). */
const untimed = (r: ExploreResult) => ({
  ...r,
  seconds: 0,
  statesPerSecond: 0,
  violations: r.violations.map(({ replayCommand, ...v }) => ({ ...v, replayCommand: replayCommand('trace.jsonl') })),
});

const race = (cpus: number): Scenario => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
const mutant = MUTANTS.find((m) => m.name === 'destroy-keeps-queued-requests')!;

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await closeSearchThreads();
});

/** The result searched here and on the thread; the thread's search must not run an Explorer on this thread. */
async function both(scenario: Scenario, options: ExploreOptions): Promise<ExploreResult> {
  const here = await explore(scenario, options);
  const run = vi.spyOn(Explorer.prototype, 'run');
  const there = await explore(scenario, { ...options, thread: true });
  expect(run).not.toHaveBeenCalled();
  expect(untimed(there)).toEqual(untimed(here));
  return here;
}

describe('explore with thread: true gives the calling thread’s result', () => {
  it.each([
    ['race, 3 vCPUs, reductions off', race(3), { por: false, symmetry: false }, 'ok'],
    ['race, 3 vCPUs, reductions on', race(3), {}, 'ok'],
    ['race, 3 vCPUs, depth-first', race(3), { mode: 'dfs', por: false, symmetry: false }, 'ok'],
    ['race, 4 vCPUs, cut at 500 states', race(4), { maxStates: 500, por: false, symmetry: false }, 'bounded'],
    ['a mutant by name: the same shortest counterexample', mutant.scenario, { engine: mutant.engine, mutant: mutant.name }, 'violation'],
    // A name without its engine only labels traces: the real engine, on either thread (as with workers).
    ['a mutant name without its engine: the real engine', mutant.scenario, { mutant: mutant.name }, 'ok'],
  ] as const)('%s', async (_name, scenario, options, status) => {
    const r = await both(scenario, options as ExploreOptions);
    expect(r.status).toBe(status);
    if (status === 'violation') expect(r.violations[0]?.property).toBe(mutant.caughtBy);
  });

  it('sends its progress back', async () => {
    const seen: number[] = [];
    const r = await explore(race(4), { por: false, symmetry: false, thread: true, progressIntervalMs: 0, onProgress: (p) => seen.push(p.states) });
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(r.states);
  });

  it('a refused resume is the VBoxError the calling thread throws', async () => {
    const options: ExploreOptions = { resume: '/nonexistent/vmm-actors-checkpoint', por: false, symmetry: false };
    const here = await explore(race(2), options).catch((e: unknown) => e);
    const there = await explore(race(2), { ...options, thread: true }).catch((e: unknown) => e);
    expect(here).toBeInstanceOf(VBoxError);
    expect(there).toBeInstanceOf(VBoxError);
    expect({ rc: (there as VBoxError).rc, message: (there as VBoxError).message }).toEqual({ rc: (here as VBoxError).rc, message: (here as VBoxError).message });
  });

  it('user invariants (functions) search on the calling thread, and fail there', async () => {
    const run = vi.spyOn(Explorer.prototype, 'run');
    const r = await explore(race(2), { thread: true, invariants: [{ name: 'never-running', holds: (v) => v.vmState !== 'RUNNING' }] });
    expect(run).toHaveBeenCalledTimes(1);
    expect(r.violations[0]?.property).toBe('never-running');
  });
});

describe('the search thread across runs', () => {
  const off = { por: false, symmetry: false } as const;

  it.each([
    ['written on the thread, resumed here', true, false],
    ['written here, resumed on the thread', false, true],
  ] as const)('a checkpoint %s: the uninterrupted result', async (_name, writeThere, resumeThere) => {
    const ckpt = mkdtempSync(join(tmpdir(), 'search-thread-ckpt-'));
    const stopped = await explore(race(3), { ...off, checkpoint: { dir: ckpt, everyMs: 1e9, everyStates: 100 }, maxStates: 400, thread: writeThere });
    expect(stopped.status).toBe('bounded');
    const resumed = await explore(race(3), { ...off, resume: ckpt, thread: resumeThere });
    const whole = await explore(race(3), off);
    expect(whole.status).toBe('ok');
    // As test/check/checkpoint.test.ts compares: a resumed run copies and rebuilds its own way.
    const essence = (r: ExploreResult) => ({ ...untimed(r), rebuilds: 0, replayedSteps: 0, copies: 0, snapshots: 0, bytesPerState: 0 });
    expect(essence(resumed)).toEqual(essence(whole));
  }, 60_000);

  it('a time limit ends the thread’s search bounded by time', async () => {
    const r = await explore(race(4), { ...off, timeLimitMs: 0, thread: true });
    expect([r.status, r.bound]).toEqual(['bounded', 'time']);
  });

  it.each([false, true])('an onProgress that throws rejects with its error (thread: %s), and the next search works', async (thread) => {
    const boom = new RangeError('onProgress failed');
    const run = explore(race(4), { ...off, thread, progressIntervalMs: 0, onProgress: () => { throw boom; } });
    await expect(run).rejects.toBe(boom);
    expect((await explore(race(2), { thread })).status).toBe('ok');
  });

  it('a request that cannot be sent (a function from an untyped caller) rejects and ends its thread', async () => {
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    const options = { thread: true, extra: () => 0 } as ExploreOptions;
    await expect(explore(race(2), options)).rejects.toMatchObject({ name: 'DataCloneError' });
    expect(terminate).toHaveBeenCalledTimes(1);
    expect((await explore(race(2), { thread: true })).status).toBe('ok');
  });

  it('a thread that dies mid-search rejects; the next search starts a fresh thread', async () => {
    await explore(race(2), { thread: true }); // an idle thread to take
    const post = vi.spyOn(Worker.prototype, 'postMessage');
    const kill = (): void => void (post.mock.contexts[0] as Worker).terminate();
    await expect(explore(race(4), { ...off, thread: true, progressIntervalMs: 0, onProgress: kill })).rejects.toThrow('the search thread exited');
    expect((await explore(race(3), { ...off, thread: true })).status).toBe('ok');
    expect(post.mock.contexts[1]).not.toBe(post.mock.contexts[0]);
  });

  it('keeps an idle thread per core, reuses them for searches at once, drops one that exits, and closes them', async () => {
    await closeSearchThreads();
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    const post = vi.spyOn(Worker.prototype, 'postMessage');
    const atOnce = (n: number) => Promise.all(Array.from({ length: n }, () => explore(race(2), { thread: true })));
    await atOnce(MAX_IDLE + 1);
    expect(terminate).toHaveBeenCalledTimes(1); // one more than the cores ran at once: the last to finish is not kept
    const threads = new Set(post.mock.contexts);
    expect(threads.size).toBe(MAX_IDLE + 1);
    const kept = [...threads].filter((t) => !terminate.mock.contexts.includes(t)) as Worker[];
    post.mockClear();
    await atOnce(MAX_IDLE); // each finds a warm thread
    expect(new Set(post.mock.contexts)).toEqual(new Set(kept));
    await kept[0]!.terminate(); // an idle one exits: the next searches must not take it
    post.mockClear();
    await atOnce(MAX_IDLE);
    expect(post.mock.contexts).not.toContain(kept[0]);
    expect(new Set(post.mock.contexts).size).toBe(MAX_IDLE);
    await closeSearchThreads();
    expect(terminate).toHaveBeenCalledTimes(2 + MAX_IDLE);
  }, 60_000);
});

describe('an error from the thread keeps its class, name and stack', () => {
  it.each([
    ['a VBoxError keeps its status', new VBoxError(VERR_SSM_INTEGRITY, 'checkpoint: torn'), VBoxError],
    ['a RangeError stays a RangeError', new RangeError('Invalid array length'), RangeError],
    ['a TypeError stays a TypeError', new TypeError('x is not a function'), TypeError],
    ['another class comes back as an Error of its name', Object.assign(new Error('bad scenario'), { name: 'ScenarioError' }), Error],
    // Names an object literal would find on Object.prototype: not standard errors.
    ['a name like toString is an Error of that name', Object.assign(new Error('odd'), { name: 'toString' }), Error],
    ['a name like __proto__ is an Error of that name', Object.assign(new Error('odd'), { name: '__proto__' }), Error],
    ['a name like constructor is an Error of that name', Object.assign(new Error('odd'), { name: 'constructor' }), Error],
  ] as const)('%s', (_name, thrown, kind) => {
    const rc = thrown instanceof VBoxError ? thrown.rc : null;
    const back = revived({ kind: 'error', rc, name: thrown.name, message: thrown.message, stack: thrown.stack });
    expect(back).toBeInstanceOf(kind);
    expect({ name: back.name, message: back.message, stack: back.stack }).toEqual({ name: thrown.name, message: thrown.message, stack: thrown.stack });
    if (rc !== null) expect((back as VBoxError).rc).toBe(rc);
  });
});
