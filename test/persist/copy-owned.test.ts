/**
 * Owned fields (ClassSpec.owned / ownedItems): the copier copies an object only one field refers to at once, with
 * no identity-table entry. Goal: a copy is still exactly the original graph (values, sharing, cycles), and a
 * declaration that is wrong (the object has a second referrer) fails here rather than splitting one object into
 * two in a model check. Method: synthetic classes whose declarations are right or wrong, and every world the
 * suite's checker scenarios reach (explored from copies, as the checker does) copied with verifyOwnership on, each
 * copy's snapshot equal to its original's.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import type { UserInvariant } from '../../src/check/property.js';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { copyGraph } from '../../src/persist/graph-copy.js';
import { writeGraph } from '../../src/persist/graph.js';
import { persistable, registeredClassNames, registeredClassByName } from '../../src/persist/registry.js';
import { VERR_INTERNAL_ERROR } from '../../src/status/codes.js';
import { SUITE_SCENARIOS } from '../check/suite-scenarios.js';
import { expectIsomorphic, thrown } from './fixtures.js';

class Leaf {
  constructor(public n: number, public up: Holder | null = null) {}
}
persistable('test.owned.Leaf', Leaf);

class Holder {
  table = new Map<string, Leaf>();
  list: Leaf[] = [];
  record: { x: number; leaf: Leaf | null } = { x: 1, leaf: null };
  leaf: Leaf | null = null;
  leaves: (Leaf | number | null)[] = [];
  frozen: readonly number[] = Object.freeze([1, 2]);
  other: unknown = null;
}
persistable('test.owned.Holder', Holder, { owned: ['table', 'list', 'record', 'leaf', 'frozen'], ownedItems: ['leaves'] });

/** Every copy here but the one that shows what the check is for refuses an owned object met twice. */
const VERIFY = { verifyOwnership: true } as const;

/** A Holder whose owned objects hold shared and cyclic references (all legal: only the owned object itself is single). */
function holder(): Holder {
  const h = new Holder();
  const shared = new Leaf(7, h);
  h.table.set('a', shared);
  h.list.push(shared, shared);
  h.record.leaf = shared;
  h.leaf = new Leaf(3, h);
  h.leaves = [new Leaf(4, h), 5, null, new Leaf(6)];
  h.other = { shared, frozen: h.frozen };
  return h;
}

describe('owned fields copy exactly', () => {
  it('values, sharing inside owned objects, back references and frozen objects', () => {
    const h = holder();
    const copy = copyGraph(h, VERIFY);
    expectIsomorphic(copy, h, true);
    expect(copy.table.get('a')).toBe(copy.list[0]);
    expect(copy.list[1]).toBe(copy.record.leaf);
    expect((copy.leaves[0] as Leaf).up).toBe(copy);
    expect(copy.frozen).toBe(h.frozen); // frozen: shared however it is declared
    expectIsomorphic(copyGraph(copyGraph(h, VERIFY), VERIFY), h, true);
  });

  // An owned object's second referrer: met after it (another field), before it, inside it, or a second owned field.
  const wrong: [string, (h: Holder) => void, string][] = [
    ['a later field refers to the owned record', (h) => (h.other = h.record), 'test.owned.Holder.record'],
    ['an earlier referrer (a Map value) holds the owned leaf', (h) => h.table.set('b', h.leaf!), 'test.owned.Holder.leaf'],
    ['the owned list holds itself', (h) => (h.list as unknown[]).push(h.list), 'test.owned.Holder.list'],
    ['two owned fields hold one array', (h) => (h.list = h.leaves as Leaf[]), 'test.owned.Holder.leaves'],
    ['an owned item is referred to elsewhere', (h) => (h.other = h.leaves[0]), 'test.owned.Holder.leaves'],
  ];
  it.each(wrong)('refused when %s', (_name, spoil, field) => {
    const h = holder();
    spoil(h);
    const error = thrown(() => copyGraph(h, VERIFY));
    expect(error.rc).toBe(VERR_INTERNAL_ERROR);
    expect(error.message).toContain(field);
  });

  it('without the check, a wrong declaration splits the object (what the check is for)', () => {
    const h = holder();
    h.other = h.record;
    const copy = copyGraph(h);
    expect(copy.other).not.toBe(copy.record);
  });
});

/** Breadth-first over a scenario's worlds (each expanded from copies), up to `limit` worlds. */
function* worldsOf(scenario: (typeof SUITE_SCENARIOS)[number][1], limit: number): Generator<World> {
  const queue = [World.build(parseScenario(scenario), { properties: [] })];
  for (let n = 0; n < limit && queue.length > 0; n++) {
    const world = queue.shift()!;
    yield world;
    if (world.terminal) continue;
    for (let i = 0, k = world.choiceCount(); i < k; i++) {
      const next = copyGraph(world, VERIFY);
      next.step(i);
      queue.push(next);
    }
  }
}

const snapshot = (world: World): string => JSON.stringify(writeGraph(world));

describe('the engine declarations hold in every world the suite checks', () => {
  it('the engine declares owned fields', () => {
    const declared = registeredClassNames().filter((name) => registeredClassByName(name)!.spec.owned?.length);
    expect(declared.length).toBeGreaterThan(15);
    // Among them the scheduler and the Vmm (copied by the per-class field copier; the key walk reads the same list).
    expect(declared).toEqual(expect.arrayContaining(['DeterministicScheduler', 'Vmm']));
  });

  it("a World's owned invariants are its own array, not the caller's", () => {
    const invariants: UserInvariant[] = [{ name: 'always', holds: () => true }];
    const world = World.build(parseScenario(SUITE_SCENARIOS[0][1]), { properties: [], invariants });
    const held = (world as unknown as { invariants: UserInvariant[] }).invariants;
    expect(held).not.toBe(invariants);
    expect(held).toEqual(invariants);
  });

  it.each(SUITE_SCENARIOS)('%s: each world copies (copies of copies too) to an equal snapshot', (_name, scenario) => {
    let worlds = 0;
    for (const world of worldsOf(scenario, 250)) {
      const copy = copyGraph(world, VERIFY);
      expect(snapshot(copy)).toBe(snapshot(world));
      expect(snapshot(copyGraph(copy, VERIFY))).toBe(snapshot(world));
      worlds++;
    }
    expect(worlds).toBeGreaterThan(20);
  });

  it.each(SUITE_SCENARIOS)('%s: the checker explores from copies with the check on', async (_name, scenario) => {
    const bounded = scenario.halt === 'on' ? { maxDepth: 40 } : {};
    const result = await explore(scenario, { maxStates: 800, copyDepth: 0, por: false, symmetry: false, verifyOwnership: true, ...bounded });
    expect(result.copies).toBeGreaterThan(0);
  });
});
