/**
 * The cycle proviso for breadth-first search with partial-order reduction. Condition C3 asks that every cycle of
 * the reduced graph hold a fully expanded state; this one expands a reduced state h fully when its one step closes
 * a cycle of reduced steps alone, which the state table tells without h's world (and where a call's step reaches a
 * known state: callStep). So an EMT's reduced step is taken without a copy of h's world kept in case it asks.
 *
 * Why that is enough: take a cycle of the final reduced graph whose states were all reduced, and the last of them
 * to be expanded, h. The others were expanded before it, each with its one step fixed, so h's step goes to one of
 * them and the chain of one-step successors from there runs round the cycle back to h: when h is expanded, the
 * walk below meets h and expands it fully, so no such cycle is left. Expanding more states fully (callStep's) never
 * breaks this. A step to a state not expanded yet (in breadth-first order: a later index) closes nothing; compare
 * the provisos of Bošnački and Holzmann ("Improving Spin's partial-order reduction for breadth-first search",
 * SPIN 2005, LNCS 3639) and Bošnački, Leue, Lluch Lafuente ("Partial-order reduction for general state exploring
 * algorithms", SPIN 2006, LNCS 3925), which look at whether a successor is still open, and Evangelista and Pajault
 * ("Some solutions to the ignoring problem", SPIN 2007, LNCS 4595), who also expand only where a cycle closes.
 *
 * Then h's world is needed after its step: the search rebuilds it there. No scenario of the suites has a cycle of
 * reduced steps (`closed` counts them). The chain is followed along pointers shortened as they are walked (a
 * reduced state's successor never changes once expanded, and none skips a state not yet expanded), so walks stay
 * short.
 */

/** A state's link: not expanded yet, or expanded fully; ≥ 0: expanded with one step, towards this state. */
const OPEN = -1;
const FULL = -2;

export class CycleProviso {
  #next = new Int32Array(1 << 10).fill(OPEN);
  /** Reduced states expanded fully: their step closed a cycle of reduced steps; a call's step went to a known state. */
  closed = 0;
  calls = 0;

  /**
   * Reduced state `head` took its one step to `target` (an index in the table; `known`: before this step). True when
   * `head` must be expanded fully: the step closes a cycle of reduced steps, or it is a call's step (`call`: see
   * callStep) into a known state.
   */
  reducedStep(head: number, target: number, known: boolean, call: boolean): boolean {
    this.#fit(Math.max(head, target));
    if (call && known) {
      this.#next[head] = FULL;
      this.calls++;
      return true;
    }
    if (target <= head && this.#chainEnd(target, head) === head) {
      this.#next[head] = FULL;
      this.closed++;
      return true;
    }
    this.#next[head] = target;
    return false;
  }

  /**
   * Whether a reduced step, by its fairness slot (World.actorSlot: EMTs first), is a client issuing a call or a
   * call's thread taking its answer. Those are also expanded fully where their successor was known already, as the
   * proviso used to do for every reduced state: a shortest path to a violation may leave another call unissued or
   * unanswered, which reducing there forces (the as-written live save's 49 steps became 50 without it). They are
   * few (race N = 5: 200 of 1,320 reduced states, 159 expanded fully), so their worlds are copied ahead; EMTs' steps
   * (stutters, rendezvous entries and exits) follow the cycle rule alone.
   */
  static callStep(slot: number, cpus: number): boolean {
    return slot >= cpus;
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
