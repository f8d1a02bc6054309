/**
 * The `implied` declarations of src/check/key-fields.ts, checked one by one: a field the hand key (state-key.ts) does
 * not read is decided by the fields it does read, so two worlds of a suite scenario with one hand key hold the same
 * value there (as the snapshot key writes it: key-names.ts keyFieldValues). Breadth-first over the states of every
 * suite scenario (up to a bound), each world the hand key merges into a state met before is compared with that
 * state's first world, field by field; a wrong claim fails naming the field, the scenario and both prefixes.
 * (snapshot-key-equal.test.ts shows the whole snapshots equal on its scenarios; this names each implied field.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/index.js';
import '../../src/check/index.js';
import { Explorer } from '../../src/check/explorer.js';
import { KEY_FIELDS } from '../../src/check/key-fields.js';
import { keyFieldValues } from '../../src/check/key-names.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { stringHash } from '../../src/check/labels.js';
import type { World } from '../../src/check/world.js';
import { SUITE_SCENARIOS } from './suite-scenarios.js';

/** States per scenario (breadth-first): the suite's scenarios have 22–4,354; most are walked whole. */
const MAX_STATES = 1_500;

/** Every implied field, as the naming walk files it (`Class.field.sub`), with the fields the declaration names. */
const IMPLIED: [string, string][] = Object.entries(KEY_FIELDS).flatMap(([cls, fields]) =>
  Object.entries(fields).flatMap(([field, use]) => (typeof use === 'object' ? [[`${cls}.${field}`, use.implied] as [string, string]] : [])),
);

interface Merges {
  /** Worlds compared with the first world of their hand key's state. */
  compared: number;
  /** Implied field → how many compared pairs held it. */
  held: Map<string, number>;
  /** Implied field → the first pair that disagreed there. */
  parted: Map<string, string>;
}

/** The hand key (the explorer's, symmetry off). */
function handKey(x: Explorer, world: World, _prefix?: readonly number[]): string {
  x.hash(world);
  return `${x.key.hi}:${x.key.lo}`;
}

/** A world's implied fields' values, and their digest (a state's first world keeps only the digest and its prefix). */
function impliedValues(world: World, paths: ReadonlySet<string>): { values: Map<string, string>; digest: string } {
  const values = keyFieldValues(world, world.sched.clock.nowNs(), paths);
  const text = [...values].map(([path, v]) => `${path}=${v}`).join('\n');
  return { values, digest: `${stringHash(text)}:${text.length}` };
}

/** Breadth-first over a scenario's states, keyed by `key`: every merge compared on `paths`. */
function compareMerges(name: string, input: Scenario, paths: ReadonlySet<string>, out: Merges, key = handKey, maxStates = MAX_STATES): void {
  const x = new Explorer(parseScenario(input), { liveness: false, por: false, symmetry: false });
  const firsts = new Map<string, { prefix: number[]; digest: string }>();
  const queue: ({ world: World; prefix: number[] } | undefined)[] = [{ world: x.rebuildAlong([]), prefix: [] }];
  for (let q = 0; q < queue.length; q++) {
    const { world, prefix } = queue[q]!;
    queue[q] = undefined;
    const k = key(x, world, prefix);
    const first = firsts.get(k);
    if (!first && firsts.size >= maxStates) continue;
    const mine = impliedValues(world, paths);
    if (first) {
      out.compared++;
      const theirs = first.digest === mine.digest ? mine.values : impliedValues(x.rebuildAlong(first.prefix), paths).values;
      for (const [path, v] of mine.values) {
        out.held.set(path, (out.held.get(path) ?? 0) + 1);
        const w = theirs.get(path);
        if (w !== v && !out.parted.has(path)) out.parted.set(path, `${name}: [${first.prefix}] holds ${w ?? '(none)'}, [${prefix}] holds ${v}`);
      }
      for (const path of theirs.keys()) if (!mine.values.has(path) && !out.parted.has(path)) out.parted.set(path, `${name}: [${prefix}] holds none`);
      continue;
    }
    firsts.set(k, { prefix, digest: mine.digest });
    for (let c = 0; c < world.choiceCount(); c++) {
      const next = x.copy(world);
      next.step(c);
      queue.push({ world: next, prefix: [...prefix, c] });
    }
  }
}

describe('each implied field is decided by the hand key’s fields (key-fields.ts)', () => {
  const merges: Merges = { compared: 0, held: new Map(), parted: new Map() };
  beforeAll(() => {
    const paths = new Set(IMPLIED.map(([path]) => path));
    for (const [name, input] of SUITE_SCENARIOS) compareMerges(name, input, paths, merges);
  }, 300_000);

  it('compares many merged worlds, on most implied fields', () => {
    expect(merges.compared).toBeGreaterThan(5_000);
    expect(merges.held.size).toBeGreaterThan(IMPLIED.length / 2);
  });

  it.each(IMPLIED)('%s (implied: %s)', (path) => {
    expect(merges.parted.get(path), `${path} differs between worlds of one hand key`).toBeUndefined();
  });

  it('names a field a coarser key does not decide', () => {
    // A key of the depth and the clients' script positions alone merges worlds whose VM states differ (a call
    // under way): the check names the VM's state, and not the positions the key holds.
    const out: Merges = { compared: 0, held: new Map(), parted: new Map() };
    const positions = (_: Explorer, world: World, prefix?: readonly number[]): string =>
      `${prefix!.length}: ${world.clients.map((c) => c.position).join()}`;
    compareMerges(SUITE_SCENARIOS[0]![0], SUITE_SCENARIOS[0]![1], new Set(['ScenarioClient.position', 'MachineCell:vm.value']), out, positions);
    expect(out.held.get('ScenarioClient.position')).toBeGreaterThan(0);
    expect([...out.parted.keys()]).toEqual(['MachineCell:vm.value']);
  });
});
