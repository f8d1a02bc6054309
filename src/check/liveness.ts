/**
 * Liveness over the explored graph. Runs that end are judged at their last state (deadlock); infinite runs
 * are cycles. A client call that never returns under weak fairness is a strongly connected set of states in
 * which the call stays in flight (the monitor's hot state, monitors/call-completes.ts) and in which every
 * actor able to step in all of its states also steps somewhere inside it — a fair cycle. Script positions
 * only grow, so all states of one component have the same calls in flight. The graph costs 10 bytes per
 * transition and 5 per state; the counterexample is a lasso: a prefix, then a cycle through every state of
 * the component back to its first state.
 */
import { at } from './map-at.js';

/** The slot of "a timer fired" in enabled masks. */
export const TIMER_SLOT = 31;

export interface Lasso {
  /** The component's entry state and the choices of the cycle from it back to it. */
  start: number;
  cycle: number[];
}

export interface LivenessArrays {
  hot: Uint8Array<ArrayBuffer>;
  enabled: Int32Array<ArrayBuffer>;
  src: Int32Array<ArrayBuffer>;
  dst: Int32Array<ArrayBuffer>;
  choice: Uint8Array<ArrayBuffer>;
  slot: Uint8Array<ArrayBuffer>;
}

export class LivenessGraph {
  #src = new Int32Array(1 << 12);
  #dst = new Int32Array(1 << 12);
  #choice = new Uint8Array(1 << 12);
  #slot = new Uint8Array(1 << 12);
  edges = 0;
  #hot = new Uint8Array(1 << 10);
  #enabled = new Int32Array(1 << 10);

  /** A new state: whether the liveness monitor is hot there, and which actor slots can step. */
  addState(index: number, hot: boolean, enabledMask: number): void {
    if (index >= this.#hot.length) {
      this.#hot = grow(this.#hot, index * 2);
      this.#enabled = grow(this.#enabled, index * 2);
    }
    this.#hot[index] = hot ? 1 : 0;
    this.#enabled[index] = enabledMask;
  }

  addEdge(src: number, dst: number, choice: number, slot: number): void {
    if (this.edges === this.#src.length) {
      const size = this.edges * 2;
      this.#src = grow(this.#src, size);
      this.#dst = grow(this.#dst, size);
      this.#choice = grow(this.#choice, size);
      this.#slot = grow(this.#slot, size);
    }
    const e = this.edges++;
    this.#src[e] = src;
    this.#dst[e] = dst;
    this.#choice[e] = choice;
    this.#slot[e] = slot;
  }

  /** The graph as plain arrays (`states` of them per state, `edges` per edge), and back: checkpoint/. */
  exportArrays(states: number): LivenessArrays {
    const e = this.edges;
    return { hot: this.#hot.slice(0, states), enabled: this.#enabled.slice(0, states), src: this.#src.slice(0, e), dst: this.#dst.slice(0, e), choice: this.#choice.slice(0, e), slot: this.#slot.slice(0, e) };
  }

  importArrays(a: LivenessArrays): void {
    this.#hot = grow(a.hot, Math.max(a.hot.length, 1 << 10));
    this.#enabled = grow(a.enabled, Math.max(a.enabled.length, 1 << 10));
    const size = Math.max(a.src.length, 1 << 12);
    [this.#src, this.#dst, this.#choice, this.#slot] = [grow(a.src, size), grow(a.dst, size), grow(a.choice, size), grow(a.slot, size)];
    this.edges = a.src.length;
  }

  get bytes(): number {
    return this.#src.byteLength + this.#dst.byteLength + this.#choice.byteLength + this.#slot.byteLength + this.#hot.byteLength + this.#enabled.byteLength;
  }

  /** A fair cycle through hot states, or null. */
  findFairHotCycle(states: number): Lasso | null {
    const n = states;
    // Adjacency (CSR) over the recorded edges.
    const start = new Int32Array(n + 1);
    for (let e = 0; e < this.edges; e++) start[this.#src[e]! + 1]!++;
    for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
    const fill = start.slice(0, n);
    const out = new Int32Array(this.edges);
    for (let e = 0; e < this.edges; e++) out[fill[this.#src[e]!]!++] = e;
    const component = tarjan(n, start, out, this.#dst);
    // Group hot states by component.
    const members = new Map<number, number[]>();
    for (let s = 0; s < n; s++) {
      if (!this.#hot[s]) continue;
      at(members, component[s]!, () => []).push(s);
    }
    for (const [c, states] of members) {
      let always = -1;
      let stepped = 0;
      let internal = 0;
      let allHot = true;
      for (const s of states) {
        always &= this.#enabled[s]!;
        for (let k = start[s]!; k < start[s + 1]!; k++) {
          const e = out[k]!;
          if (component[this.#dst[e]!] !== c) continue;
          internal++;
          stepped |= 1 << this.#slot[e]!;
          if (!this.#hot[this.#dst[e]!]) allHot = false;
        }
      }
      if (internal === 0 || !allHot) continue;
      if ((always & ~stepped) !== 0) continue; // some actor enabled throughout never steps inside: unfair
      return { start: states[0]!, cycle: this.#tour(states, c, component, start, out) };
    }
    return null;
  }

  /** Choices of a closed walk from states[0] through every state of the component (so fairness holds on it). */
  #tour(states: number[], c: number, component: Int32Array, start: Int32Array, out: Int32Array): number[] {
    const choices: number[] = [];
    let at = states[0]!;
    for (const target of [...states.slice(1), states[0]!]) {
      // Breadth-first path inside the component from `at` to `target` (at least one step when at === target).
      const via = new Map<number, number>();
      const queue = [at];
      search: for (let q = 0; q < queue.length; q++) {
        const s = queue[q]!;
        for (let k = start[s]!; k < start[s + 1]!; k++) {
          const e = out[k]!;
          const d = this.#dst[e]!;
          if (component[d] !== c || via.has(d)) continue;
          via.set(d, e);
          if (d === target) break search;
          queue.push(d);
        }
      }
      const path: number[] = [];
      let d = target;
      do {
        const e = via.get(d)!;
        path.push(this.#choice[e]!);
        d = this.#src[e]!;
      } while (d !== at);
      choices.push(...path.reverse());
      at = target;
    }
    return choices;
  }
}

function grow<T extends Int32Array | Uint8Array>(array: T, size: number): T {
  const bigger = (array instanceof Int32Array ? new Int32Array(size) : new Uint8Array(size)) as T;
  bigger.set(array);
  return bigger;
}

/** Tarjan's strongly connected components, iterative; returns the component id of each state. */
function tarjan(n: number, start: Int32Array, out: Int32Array, dst: Int32Array): Int32Array {
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const component = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const work: number[] = [];
  const edgeAt = new Int32Array(n);
  let counter = 0;
  let components = 0;
  for (let root = 0; root < n; root++) {
    if (index[root]! >= 0) continue;
    work.push(root);
    while (work.length > 0) {
      const v = work[work.length - 1]!;
      if (index[v]! < 0) {
        index[v] = low[v] = counter++;
        edgeAt[v] = start[v]!;
        stack.push(v);
        onStack[v] = 1;
      }
      if (edgeAt[v]! < start[v + 1]!) {
        const w = dst[out[edgeAt[v]!]!]!;
        edgeAt[v]!++;
        if (index[w]! < 0) work.push(w);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        for (;;) {
          const w = stack.pop()!;
          onStack[w] = 0;
          component[w] = components;
          if (w === v) break;
        }
        components++;
      }
    }
  }
  return component;
}
