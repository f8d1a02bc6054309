/**
 * A class's compiled copier is primed at its PRIME_AFTER'th fill (graph-copier.ts primeCompiled): run once from an
 * empty Shell onto another, so V8 has seen the Shell's shape as a source before it optimizes the copier. The prime
 * must leave no trace: it must not clone or claim anything (a prime from a filled object would meet its values
 * again: functions named twice, owned objects claimed twice), must not run hooks, and copies made across the prime
 * (in the copy that crosses it, and copies of copies after it) are exact.
 */
import { describe, expect, it } from 'vitest';
import { compiledCopierOf, PRIME_AFTER, primeCompiled } from '../../src/persist/graph-copier.js';
import { planOf } from '../../src/persist/graph-plan.js';
import { copyGraph } from '../../src/persist/graph.js';
import { persistable } from '../../src/persist/registry.js';
import { expectIsomorphic } from './fixtures.js';

/** The embedder's function every instance holds: named by `userName`, shared by copies. */
const hook = (): number => 1;

class Plain {
  constructor(
    public shared: { n: number },
    public fn: () => number,
    public n: number,
  ) {}
}
persistable('test:PrimePlain', Plain);

class Owner {
  cache: unknown = 'transient';
  constructor(
    public mine: { n: number },
    public rows: { n: number }[],
    public fn: () => number,
  ) {}
}
persistable('test:PrimeOwner', Owner, { owned: ['mine'], ownedItems: ['rows'], transient: ['cache'] });

let copiedCalls = 0;
class Hooked {
  host: unknown = undefined;
  constructor(public peer: { n: number }) {}
}
persistable('test:PrimeHooked', Hooked, { transient: ['host'], copied: (_from, into) => void (copiedCalls++, (into.host = 'attached')) });

/** `count` instances of a class (more than PRIME_AFTER: the prime runs within the first copy), sharing one record. */
const cases: { name: string; make: (i: number, shared: { n: number }) => object }[] = [
  { name: 'fields, a shared record and a function', make: (i, shared) => new Plain(shared, hook, i) },
  { name: 'owned fields, owned items and a transient', make: (i) => new Owner({ n: i }, [{ n: i }, { n: -i }], hook) },
  { name: 'a ClassSpec.copied hook', make: (_i, shared) => new Hooked(shared) },
];

describe('a compiled copier primed at its PRIME_AFTER-th fill', () => {
  it.each(cases)('copies across the prime are exact: $name', ({ make }) => {
    const count = PRIME_AFTER * 2 + 3;
    const shared = { n: 7 };
    const root = { items: Array.from({ length: count }, (_, i) => make(i, shared)), shared };
    let named = 0;
    const userName = (fn: Function): string | undefined => (fn === hook ? (named++, 'hook') : undefined);
    copiedCalls = 0;
    let world: typeof root = root;
    for (let copy = 0; copy < 3; copy++) {
      named = 0;
      const next = copyGraph(world, { userName, verifyOwnership: true });
      // Each function met once per instance holding one (a prime that cloned values would name them again).
      const holders = next.items.filter((item) => 'fn' in item).length;
      expect(named).toBe(holders);
      for (const item of next.items as unknown[] as Record<string, unknown>[]) {
        if ('shared' in item || 'peer' in item) expect(item.shared ?? item.peer).toBe(next.shared); // sharing kept
        if ('cache' in item) expect(item.cache).toBeUndefined(); // transient
        if ('host' in item) expect(item.host).toBe('attached');
      }
      expectIsomorphic(
        { ...world, items: world.items.map((item) => ({ ...item, host: undefined, cache: undefined })) },
        { ...next, items: next.items.map((item) => ({ ...item, host: undefined, cache: undefined })) },
        true,
      );
      world = next;
    }
    // The copied hook ran once per Hooked instance per copy, never for a prime.
    expect(copiedCalls).toBe(root.items.filter((item) => item instanceof Hooked).length * 3);
  });

  it('primeCompiled reads an empty Shell: it clones and claims nothing', () => {
    const sample = new Owner({ n: 1 }, [{ n: 2 }], hook);
    const compiled = compiledCopierOf(planOf(Object.getPrototypeOf(sample) as object)!, sample)!;
    const refuse = (): never => {
      throw new Error('the prime met a value');
    };
    expect(() => primeCompiled(compiled, refuse, refuse)).not.toThrow();
    // The same copier given a filled instance does meet values: the test above would notice a prime that did.
    expect(() => compiled.copy(sample, new compiled.Shell(), refuse, refuse)).toThrow(/met a value/);
  });
});
