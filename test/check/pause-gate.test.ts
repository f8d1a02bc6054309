/**
 * The searches yield to the event loop only when a yield is due (src/check/explorer.ts pauseDue): an await per
 * state costs ~100 bytes and a microtask. Goal: in every mode, pause() is awaited only when it is due (50 ms since
 * the last yield), and the time limit still stops each mode. Method: spy on Explorer.pause and record, before each
 * call, whether it was due, on a clock that runs 5 ms per read (so every mode reaches due yields, however fast the
 * host); a time limit of 0 on a scenario that takes longer than one yield period.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { explore, type ExploreOptions } from '../../src/check/explore.js';
import { Explorer, YIELD_NS } from '../../src/check/explorer.js';
import type { Scenario } from '../../src/check/scenario.js';
import { RealClock } from '../../src/time/real-clock.js';

const RACE: Scenario = { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] };
const BIG: Scenario = { cpus: 3, clients: [['powerOn', 'suspend', 'resume'], ['powerOff'], ['reset', 'suspend']] };

const MODES: [string, ExploreOptions][] = [
  ['breadth-first', { mode: 'bfs' }],
  ['depth-first', { mode: 'dfs' }],
  ['random walks', { mode: 'random', walks: 200 }],
  ['pct', { mode: 'pct', walks: 200 }],
];

afterEach(() => void vi.restoreAllMocks());

describe('Explorer.pause is awaited only when due', () => {
  it.each(MODES)('%s: every pause() call finds 50 ms passed since the last yield', async (_, options) => {
    const due: boolean[] = [];
    let fakeNs = 0;
    vi.spyOn(RealClock.prototype, 'nowNs').mockImplementation(() => (fakeNs += 5_000_000));
    const pause = Explorer.prototype.pause;
    vi.spyOn(Explorer.prototype, 'pause').mockImplementation(function (this: Explorer) {
      due.push(this.clock.nowNs() - this.lastYieldNs >= YIELD_NS);
      return pause.call(this);
    });
    const r = await explore(RACE, options);
    expect(r.transitions).toBeGreaterThan(0);
    expect(due.length).toBeGreaterThan(0); // the gate was reached: the check below is not vacuous
    expect(due.filter((d) => !d)).toEqual([]);
  });

  // BIG (and walks, maxStates) reaches no end of its own before the first clock check: only the limit can stop it.
  it.each(MODES)('%s: a time limit of 0 still stops the search (bound "time")', async (_, options) => {
    const r = await explore(BIG, { ...options, walks: 1e6, maxStates: 1e7, timeLimitMs: 0 });
    expect(r.bound).toBe('time');
    expect(r.status).toBe('bounded');
  }, 60_000);
});
