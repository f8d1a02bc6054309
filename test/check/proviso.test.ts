/**
 * Breadth-first search's cycle proviso (src/check/proviso.ts). Goal: condition C3 — every cycle of the reduced
 * graph holds a fully expanded state — whatever the graph, while states stay reduced where C3 allows. Method: run
 * breadth-first search as search.ts does over small graphs (each state's successors by choice; a state may offer
 * one choice to explore alone), feeding the proviso what the search sees, then check C3 on the reduced graph it
 * built: without the fully expanded states, the reduced states (one successor each) must form no cycle. Hand-made
 * graphs pin each case of the proviso's argument; seeded random ones sweep the rest.
 */
import { describe, expect, it } from 'vitest';
import { CycleProviso } from '../../src/check/proviso.js';
import { Prng } from '../../src/sched/prng.js';

/** A graph: per state, its successors by choice, the choice it may explore alone (or none), and whether that is a call's step. */
interface Graph {
  next: number[][];
  alone: (number | null)[];
  call?: boolean[];
}

/** Breadth-first search with the proviso: which states were expanded fully, each reduced state's one successor. */
function search(graph: Graph): { full: Set<number>; reducedTo: Map<number, number>; proviso: CycleProviso } {
  const proviso = new CycleProviso();
  const index = new Map<number, number>([[0, 0]]); // graph state → table index, in discovery order
  const order = [0];
  const full = new Set<number>();
  const reducedTo = new Map<number, number>();
  const visit = (to: number): number => {
    const known = index.get(to);
    if (known !== undefined) return known;
    index.set(to, order.length);
    order.push(to);
    return order.length - 1;
  };
  for (let head = 0; head < order.length; head++) {
    const state = order[head]!;
    const choices = graph.next[state]!;
    const alone = graph.alone[state] ?? null;
    if (alone === null) proviso.expandedFully(head);
    if (alone !== null) {
      const known = index.has(choices[alone]!);
      const target = visit(choices[alone]!);
      if (proviso.reducedStep(head, target, known, graph.call?.[state] ?? false)) full.add(head);
      else {
        reducedTo.set(head, target);
        continue;
      }
    } else full.add(head);
    choices.forEach((to, choice) => choice !== alone && visit(to));
  }
  return { full, reducedTo, proviso };
}

/** C3 on the reduced graph: a state on a cycle of reduced states only, or null. */
function cycleWithoutFullState(reducedTo: Map<number, number>): number | null {
  const done = new Set<number>();
  for (const start of reducedTo.keys()) {
    const walk = new Set<number>();
    for (let at: number | undefined = start; at !== undefined && !done.has(at); at = reducedTo.get(at)) {
      if (walk.has(at)) return at;
      walk.add(at);
    }
    for (const at of walk) done.add(at);
  }
  return null;
}

describe('the cycle proviso, case by case (states are numbered in breadth-first order)', () => {
  it.each<[string, Graph, number[], number]>([
    // 0 → 1 → 2 → 0, each alone: 2's step goes to 0, whose chain comes back to 2, so 2 is expanded fully.
    ['a cycle of reduced steps: the state closing it is expanded fully', { next: [[1, 3], [2, 3], [0, 3], []], alone: [0, 0, 0, null] }, [2, 3], 1],
    // The same within one level: 1 steps alone to 2 (not expanded yet: nothing closes), 2 alone back to 1.
    ['a cycle within a level: closed by the later state', { next: [[1, 2], [2, 0], [1, 0]], alone: [null, 0, 0] }, [0, 2], 1],
    // A self-loop is a cycle of one reduced step.
    ['a step that stays put', { next: [[0, 1], []], alone: [0, null] }, [0, 1], 1],
    // 2 steps alone back to 0, which was expanded fully: every cycle through that step holds 0.
    ['a chain that ends at a state expanded fully: nothing more', { next: [[1, 2], [3], [0, 1], []], alone: [null, null, 0, null] }, [0, 1, 3], 0],
    // 2's step goes to 1, whose chain leaves through 3 (not expanded yet), not back to 2: 3 closes it if anything.
    ['a chain that leaves for a state not expanded yet', { next: [[1, 2], [3, 0], [1, 0], [2, 0]], alone: [null, 0, 0, null] }, [0, 3], 0],
    // 1 and 2 step alone to 3, new then known a level further on: neither step closes a cycle.
    ['steps into the next level never ask', { next: [[1, 2], [3, 2], [3, 1], []], alone: [null, 0, 0, null] }, [0, 3], 0],
    // The same, 2's step a call's: into a known state, so 2 is expanded fully, though no cycle closes.
    ["a call's step into a known state", { next: [[1, 2], [3, 2], [3, 1], []], alone: [null, 0, 0, null], call: [false, true, true, false] }, [0, 2, 3], 0],
  ])('%s', (_name, graph, expectedFull, closed) => {
    const { full, reducedTo, proviso } = search(graph);
    expect([...full].sort((a, b) => a - b)).toEqual(expectedFull);
    expect(proviso.closed).toBe(closed);
    expect(proviso.calls).toBe(expectedFull.length - closed - graph.alone.filter((a) => a === null).length);
    expect(cycleWithoutFullState(reducedTo)).toBeNull();
  });
});

describe('the cycle proviso on seeded random graphs', () => {
  it('every cycle of the reduced graph holds a fully expanded state; states stay reduced; some cycles close', () => {
    const prng = new Prng(17);
    const totals = { reduced: 0, closed: 0 };
    for (let g = 0; g < 2000; g++) {
      const n = 2 + prng.int(14);
      const next = Array.from({ length: n }, () => Array.from({ length: prng.int(4) }, () => prng.int(n)));
      const alone = next.map((choices) => (choices.length >= 2 && prng.next() < 0.7 ? prng.int(choices.length) : null));
      const call = next.map(() => prng.next() < 0.2);
      const { reducedTo, proviso } = search({ next, alone, call });
      const bad = cycleWithoutFullState(reducedTo);
      if (bad !== null) expect.fail(`graph ${g} (${JSON.stringify({ next, alone })}): a cycle of reduced states through ${bad}`);
      totals.reduced += reducedTo.size;
      totals.closed += proviso.closed;
    }
    expect(totals.reduced).toBeGreaterThan(0);
    expect(totals.closed).toBeGreaterThan(0);
  });
});
