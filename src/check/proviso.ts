/**
 * The cycle proviso for breadth-first search with partial-order reduction. Condition C3 asks that every cycle of
 * the reduced graph hold a fully expanded state; this one expands a reduced state h fully exactly when its one step
 * closes a cycle of reduced steps alone, which the state table tells without h's world: so nothing is copied ahead
 * of a reduced state's step in case the proviso asks.
 *
 * Why that is enough: take a cycle of the final reduced graph whose states were all reduced, and the last of them
 * to be expanded, h. The others were expanded before it, each with its one step fixed, so h's step goes to one of
 * them and the chain of one-step successors from there runs round the cycle back to h: when h is expanded, the
 * walk below meets h and expands it fully, so no such cycle is left. A step to a state not expanded yet closes
 * nothing, and in breadth-first order neither does a step into the next level; only steps back into the levels
 * expanded so far ask, as in Bošnački and Holzmann's proviso for breadth-first search ("Improving Spin's
 * partial-order reduction for breadth-first search", SPIN 2005, LNCS 3639), which expands every such state; here
 * only those whose step closes a cycle of reduced states are (detecting the cycle as it closes, as Evangelista and
 * Pajault's "Some solutions to the ignoring problem", SPIN 2007, LNCS 4595, do in depth-first search).
 *
 * Then h's world is needed after its step: the search rebuilds it there. No scenario of the suites has a cycle of
 * reduced steps (`closed` counts them): each reduction of por.ts moves a call or a rendezvous on or shrinks the
 * ready set. The chain is followed along pointers shortened as they are walked (a reduced state's successor never
 * changes once expanded, and none skips a state not yet expanded), so walks stay short.
 */

/** A state's link: not expanded yet, or expanded fully; ≥ 0: expanded with one step, towards this state. */
const OPEN = -1;
const FULL = -2;

export class CycleProviso {
  #next = new Int32Array(1 << 10).fill(OPEN);
  /** Reduced states expanded fully because their step closed a cycle of reduced steps. */
  closed = 0;

  /**
   * Reduced state `head` took its one step to `target` (an index in the table). True when `head` must be expanded
   * fully: the step closes a cycle of reduced steps.
   */
  reducedStep(head: number, target: number): boolean {
    this.#fit(Math.max(head, target));
    if (target <= head && this.#chainEnd(target, head) === head) {
      this.#next[head] = FULL;
      this.closed++;
      return true;
    }
    this.#next[head] = target;
    return false;
  }

  /** State `index` was expanded with all its choices. */
  expandedFully(index: number): void {
    this.#fit(index);
    this.#next[index] = FULL;
  }

  /** Each state's link, for a checkpoint: where its chain of one-step successors goes, or OPEN / FULL. */
  links(states: number): Int32Array {
    const links = new Int32Array(states).fill(OPEN);
    links.set(this.#next.subarray(0, Math.min(states, this.#next.length)));
    return links;
  }

  /** Take a checkpoint's links (format.ts checked that they name states and lead nowhere in a loop). */
  restore(links: Int32Array): void {
    this.#fit(links.length);
    this.#next.set(links);
  }

  /** Where the chain of one-step successors from `from` ends: at `head`, or at the first state not reduced. */
  #chainEnd(from: number, head: number): number {
    const next = this.#next;
    let end = from;
    while (end !== head && next[end]! >= 0) end = next[end]!;
    for (let at = from; at !== end; ) {
      const after = next[at]!;
      next[at] = end;
      at = after;
    }
    return end;
  }

  #fit(index: number): void {
    if (index < this.#next.length) return;
    let size = this.#next.length;
    while (size <= index) size *= 2;
    const next = new Int32Array(size).fill(OPEN);
    next.set(this.#next);
    this.#next = next;
  }
}
