/**
 * A world's own path (OwnPath: the table prefix of `base`, then `tail`) as a chain of steps. Breadth-first search
 * extends the path of every world descended from a spare at each step it takes; copying the tail each time cost
 * O(depth) per transition (about 670 bytes at the race on 5 vCPUs without reductions, the most garbage a
 * transition made outside the world copy). A chain link is one small object; the tail is read only to report a
 * violation.
 */
import type { OwnPath } from './kept-worlds.js';

export class OwnSteps implements OwnPath {
  private constructor(
    readonly base: number,
    /** The last choice of the path. */
    readonly choice: number,
    /** The path before it (null: right after `base`). */
    readonly before: OwnPath | null,
  ) {}

  /** `own` then `choice`; a path that starts at `base` when there is no `own`. */
  static extend(own: OwnPath | undefined, base: number, choice: number): OwnSteps {
    return own ? new OwnSteps(own.base, choice, own) : new OwnSteps(base, choice, null);
  }

  /** The choices after `base`'s table prefix, in order. */
  get tail(): number[] {
    const reversed: number[] = [];
    let at: OwnPath | null = this;
    for (; at instanceof OwnSteps; at = at.before) reversed.push(at.choice);
    return [...(at ? at.tail : []), ...reversed.reverse()];
  }
}

/** `own` as plain data, where it leaves the thread (a structured clone drops OwnSteps' `tail` getter). */
export function plainOwn(own: OwnPath): OwnPath {
  return { base: own.base, tail: own.tail };
}
