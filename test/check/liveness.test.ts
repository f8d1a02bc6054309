/**
 * Liveness over the explored graph (src/check/liveness.ts): a call that never returns under weak fairness is a
 * strongly connected set of hot states (a call in flight) in which every actor that can always step does step.
 * Method: small hand-made graphs with known answers (the engine itself has no livelock to find), then the
 * explorer on real scenarios, which must find none.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { LivenessGraph, TIMER_SLOT } from '../../src/check/liveness.js';

/** states: [hot, enabled slots]; edges: [from, to, slot]. Choice = edge index among the state's edges. */
function graph(states: [boolean, number[]][], edges: [number, number, number][]) {
  const g = new LivenessGraph();
  states.forEach(([hot, slots], i) => g.addState(i, hot, slots.reduce((m, s) => m | (1 << s), 0)));
  const seen = new Map<number, number>();
  for (const [from, to, slot] of edges) {
    const choice = seen.get(from) ?? 0;
    seen.set(from, choice + 1);
    g.addEdge(from, to, choice, slot);
  }
  return g.findFairHotCycle(states.length);
}

describe('liveness (hot state: a call in flight)', () => {
  it.each([
    ['a chain that ends', [[false, [0]], [true, [0]], [false, []]], [[0, 1, 0], [1, 2, 0]], null],
    ['a cold cycle (nothing pending)', [[false, [0]], [false, [0]]], [[0, 1, 0], [1, 0, 0]], null],
    ['a hot cycle where one actor spins alone', [[false, [0]], [true, [1]], [true, [1]]], [[0, 1, 0], [1, 2, 1], [2, 1, 1]], { start: 1, cycle: [0, 0] }],
    ['a hot self-loop', [[false, [0]], [true, [2]]], [[0, 1, 0], [1, 1, 2]], { start: 1, cycle: [0] }],
    ['an unfair cycle: actor 3 can always step but never does inside', [[false, [0]], [true, [1, 3]], [true, [1, 3]], [false, []]], [[0, 1, 0], [1, 2, 1], [2, 1, 1], [2, 3, 3]], null],
    ['a cycle of timer wake-ups', [[false, [0]], [true, [TIMER_SLOT]]], [[0, 1, 0], [1, 1, TIMER_SLOT]], { start: 1, cycle: [0] }],
  ] as const)('%s', (_name, states, edges, expected) => {
    expect(graph(states as never, edges as never)).toEqual(expected);
  });

  it('a lasso visits every state of the component before closing', () => {
    const lasso = graph([[false, [0]], [true, [1]], [true, [1]], [true, [1]]], [[0, 1, 0], [1, 2, 1], [2, 3, 1], [3, 1, 1]]);
    expect(lasso).toEqual({ start: 1, cycle: [0, 0, 0] });
  });

  it('the engine has no fair hot cycle in its lifecycle races', async () => {
    const result = await explore({ cpus: 2, guest: 'halt', clients: [['powerOn', 'suspend', 'resume'], ['reset']] }, { liveness: true });
    expect(result.ok).toBe(true);
  });
});
