/**
 * Handing a state over between workers without moving its world (src/check/parallel-pipeline.ts, handOver): when the
 * merge meets a worker's later step into a state of the next level that another worker found, and the step's world
 * is held with the finder's choice signature, the state goes to the worker given fewer of that level to hold — the
 * finder lets go of its world, the stepping worker keeps its own — and to no other: not across signatures (the
 * choices would mean other actors), not to a worker given as many, not for a worker's second step into the state
 * (its world may since have been replaced by an earlier step's), never to the finder itself, never without signatures. Driven through the
 * merge (Merger.take) with steps as a worker reports them; no worker thread runs.
 */
import { describe, expect, it } from 'vitest';
import type { StepFacts } from '../../src/check/explore-worker.js';
import { Explorer } from '../../src/check/explorer.js';
import type { ParallelTimes } from '../../src/check/parallel.js';
import { Pipeline } from '../../src/check/parallel-pipeline.js';
import type { WorkerPool } from '../../src/check/parallel-pool.js';
import { parseScenario } from '../../src/check/scenario.js';

const times = (): ParallelTimes => ({ unpackUs: 0, copyUs: 0, stepUs: 0, packUs: 0, packs: 0, cpuUs: 0, handleCpuUs: 0, copies: 0, spares: 0, mergeUs: 0, movedStates: 0, handedOver: 0, workerCpuUs: [], mainCpuUs: 0 });

/** A step into key (lo, 0) whose world the worker holds under `ticket`, with choice signature `signature`. */
const held = (choice: number, lo: number, ticket: number, signature: string | undefined): StepFacts => ({
  choice, hi: 0, lo, slot: 0, hot: false, enabled: 1, terminal: false, violation: null, terminalViolation: null, outcome: null, ticket, world: null, coverage: [],
  ...(signature !== undefined ? { signature } : {}),
});

/**
 * Worker 0 finds `found` states of level 1 (keys 1…, tickets 100…, signature 'S'), worker 1 `others` (keys 50…,
 * tickets 200…), all from the root; then `later` steps of the root, each by a worker, are merged.
 */
function merged(found: number, others: number, later: [worker: number, step: StepFacts][], signature: string | undefined = 'S') {
  const x = new Explorer(parseScenario({ cpus: 2, clients: [['powerOn'], ['powerOff']] }), { por: false, symmetry: false, liveness: false });
  x.table.add(0, 0xffff, -1, 0, 0); // the root
  const pipeline = new Pipeline(x, { size: 2 } as WorkerPool, times());
  const mine = Array.from({ length: found }, (_, k) => held(k, 1 + k, 100 + k, signature));
  const theirs = Array.from({ length: others }, (_, k) => held(found + k, 50 + k, 200 + k, signature));
  pipeline.take(0, mine, 0, pipeline.place);
  if (theirs.length > 0) pipeline.take(0, theirs, 1, pipeline.place);
  for (const [worker, step] of later) pipeline.take(0, [step], worker, pipeline.place);
  return { handedOver: pipeline.times.handedOver, dropped: pipeline.dropped, states: x.table.size };
}

describe('a state handed over to the worker given fewer of its level', () => {
  it.each([
    ['the other worker, given fewer, same signature: handed over (the finder drops its world)', 3, 0, [[1, held(9, 1, 300, 'S')]], 1, [[100], []]],
    ['another signature: not handed over (the stepping worker drops its world)', 3, 0, [[1, held(9, 1, 300, 'T')]], 0, [[], [300]]],
    ['the other worker given as many less one: not handed over', 3, 2, [[1, held(9, 1, 300, 'S')]], 0, [[], [300]]],
    ['the finder stepping again: nothing to hand over', 3, 0, [[0, held(9, 1, 300, 'S')]], 0, [[300], []]],
    ["the other worker's second step (its first refused for its signature): not handed over", 3, 0, [[1, held(8, 1, 300, 'T')], [1, held(9, 1, 301, 'S')]], 0, [[], [300, 301]]],
    ['two states handed over until the shares are even', 4, 0, [[1, held(8, 1, 300, 'S')], [1, held(9, 2, 301, 'S')], [1, held(10, 3, 302, 'S')]], 2, [[100, 101], [302]]],
  ] as [string, number, number, [number, StepFacts][], number, number[][]][])('%s', (_name, found, others, later, handedOver, dropped) => {
    const result = merged(found, others, later);
    expect(result).toEqual({ handedOver, dropped, states: 1 + found + others });
  });

  it('no signatures (workers send none under symmetry, whose worlds of one key may number their vCPUs differently): nothing handed over', () => {
    expect(merged(3, 0, [[1, held(9, 1, 300, undefined)]], undefined)).toEqual({ handedOver: 0, dropped: [[], [300]], states: 4 });
  });
});
