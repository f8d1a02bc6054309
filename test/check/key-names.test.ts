/**
 * The field guard (key-fields.test.ts) names what the snapshot key walk writes because it is that walk
 * (src/check/key-names.ts: a KeyWalk told each field as it writes it): a rule given through the walk's own
 * configuration — a class's `history`, `transient`, `keyFields`, `keySave`, a frozen record that is or is not data —
 * changes the names, with nothing changed in the guard. Each row's names are what the registry's rules say the key
 * writes (src/persist/registry.ts ClassSpec), on both of the walk's paths (a class's compiled writer, and the
 * generic one an instance with an odd field takes). And the names are what the key writes, checked against the key
 * itself: a named value changed in place changes the snapshot key; a field left unnamed changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { Explorer } from '../../src/check/explorer.js';
import { keyFieldSites } from '../../src/check/key-names.js';
import { KeyWriter } from '../../src/check/key-writer.js';
import { parseScenario } from '../../src/check/scenario.js';
import { encodeSnapshot } from '../../src/check/snapshot-key.js';
import { bindCode, defineCode, persistable, type ClassSpec } from '../../src/persist/registry.js';
import { SUITE_SCENARIOS } from './suite-scenarios.js';
import { thawCells } from '../support/thaw-cells.js';

const code = defineCode('KeyNamesTest.code', (n: number) => n);

function snapshotKey(root: object, now = 0): string {
  const key = new KeyWriter();
  encodeSnapshot(root, key, now);
  key.hash();
  return `${key.hi}:${key.lo}`;
}

type Fields = Record<string, unknown>;
const BASE = (): Fields => ({ a: 1, b: 'x', rec: { x: 1 } });
const BASE_NAMES = ['a', 'b', 'rec', 'rec.x'];

/** [rule, the class's spec, its fields beyond BASE, the fields the key writes (by the registry's rules)]. */
const RULES: [string, ClassSpec, () => Fields, string[]][] = [
  ['no declaration: every field', {}, () => ({}), BASE_NAMES],
  ['history: left out', { history: ['b'] }, () => ({}), ['a', 'rec', 'rec.x']],
  ['transient: left out, and what only it holds', { transient: ['rec'] }, () => ({}), ['a', 'b']],
  ['keyFields: what the hook maps the field to', { keyFields: { a: (_: unknown, v: number) => ({ as: v }) } }, () => ({}), [...BASE_NAMES, 'a.as']],
  ['keySave: the record the hook gives', { keySave: (o: Fields) => ({ k: o.a, rest: [o.b] }) }, () => ({}), ['k', 'rest', 'rest[]']],
  ['times: the field itself', { times: ['a'] }, () => ({}), BASE_NAMES],
  ['unordered: the collection and its items', { unordered: ['list'] }, () => ({ list: [3, 1, 2] }), [...BASE_NAMES, 'list', 'list[]']],
  ['a Map: its keys and values', {}, () => ({ m: new Map([['k', 1]]) }), [...BASE_NAMES, 'm', 'm<key>', 'm<value>']],
  ['bound code: its arguments', {}, () => ({ fn: bindCode(code, 5) }), [...BASE_NAMES, 'fn', 'fn()']],
  ['frozen data: a digest, not descended', {}, () => ({ conf: Object.freeze({ n: 1 }) }), [...BASE_NAMES, 'conf']],
  ['frozen, holding code: walked', {}, () => ({ table: Object.freeze({ n: 1, fn: code }) }), [...BASE_NAMES, 'table', 'table.n', 'table.fn']],
];

/** A probe class per rule, registered under the walk's own registry. */
const classes = RULES.map(([rule, spec, more], i) => {
  const Probe = class {
    constructor() {
      Object.assign(this, BASE(), more());
    }
  };
  const name = `KeyNamesTest.${i}`;
  persistable(name, Probe, spec as ClassSpec<InstanceType<typeof Probe>>);
  return { rule, name, make: (): Fields => new Probe() as Fields };
});

const isPrimitive = (v: unknown): boolean => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
/** A different value of the same type (a number too large to step, or infinite, becomes 0). */
const perturbed = (v: unknown): unknown => (typeof v === 'number' ? (v + 1 !== v ? v + 1 : 0) : typeof v === 'boolean' ? !v : `${v as string}~`);

describe('the field guard names what the key walk writes, by the walk’s own rules', () => {
  it.each(RULES.map((row, i) => [row[0], i] as const))('%s', (_, i) => {
    const [, spec, , expected] = RULES[i]!;
    const { name, make } = classes[i]!;
    make(); // (the first instance compiles the class's writer: the next ones take it)
    const odd = make();
    odd.odd = 0; // not the class's usual fields: the generic path
    for (const [path, probe, names] of [['compiled', make(), expected], ['generic', odd, spec.keySave ? expected : [...expected, 'odd']]] as const) {
      const sites = keyFieldSites(probe, 0);
      expect([...sites.keys()].sort(), path).toEqual(names.map((n) => `${name}.${n}`).sort());
      // Each named value that can be changed in place: the key changes with it.
      for (const [field, list] of sites) {
        list.forEach((site, at) => {
          if (!site.set || !isPrimitive(site.value)) return;
          const copy = Object.assign(make(), probe, { rec: { ...(probe.rec as object) } });
          if (Array.isArray(probe.list)) copy.list = [...probe.list];
          const before = snapshotKey(copy);
          const mine = keyFieldSites(copy, 0).get(field)![at]!;
          mine.set!(perturbed(mine.value));
          expect(snapshotKey(copy), `${path}: ${field} changed`).not.toBe(before);
        });
      }
    }
  });

  it('leaves unnamed exactly what the key leaves out', () => {
    // history b, transient rec: changing them changes no key; a named field does.
    const at = (rule: string) => classes.find((c) => c.rule.startsWith(rule))!;
    const history = at('history');
    const transient = at('transient');
    const [h1, h2, t1, t2] = [history.make(), history.make(), transient.make(), transient.make()];
    h2.b = 'y';
    (t2.rec as Fields).x = 2;
    expect(snapshotKey(h2)).toBe(snapshotKey(h1));
    expect(snapshotKey(t2)).toBe(snapshotKey(t1));
    t2.b = 'y';
    expect(snapshotKey(t2)).not.toBe(snapshotKey(t1));
  });
});

describe('the names of a suite world are what its snapshot key writes', () => {
  // Every field named in a world, a primitive that can be changed in place: changed on a copy, it changes the
  // snapshot key (a value the key does not write would not). One world a few steps into each suite scenario.
  it('changes the key with every named, changeable value', () => {
    const unread: string[] = [];
    let tried = 0;
    for (const [name, input] of SUITE_SCENARIOS) {
      const x = new Explorer(parseScenario(input), { liveness: false, por: false, symmetry: false });
      const world = x.rebuildAlong([]);
      for (let i = 0; i < 6 && world.choiceCount() > 0; i++) world.step(i % world.choiceCount());
      const now = world.sched.clock.nowNs();
      const before = snapshotKey(world, now);
      // On copies with writable cells (a copy freezes the held cells it shares; frozen ones are replaced, not set).
      for (const [path, sites] of keyFieldSites(thawCells(x.copy(world)), now)) {
        const at = sites.findIndex((site) => site.set && isPrimitive(site.value));
        if (at < 0) continue;
        const copy = thawCells(x.copy(world));
        const site = keyFieldSites(copy, now).get(path)![at]!;
        site.set!(perturbed(site.value));
        let after: string;
        try {
          after = snapshotKey(copy, now);
        } catch {
          after = 'threw'; // (the key reads it, and cannot take the changed value)
        }
        tried++;
        if (after === before) unread.push(`${path} (${name})`);
      }
      expect(snapshotKey(world, now), `${name}: the copies' changes reached the world`).toBe(before);
    }
    expect(tried).toBeGreaterThan(100);
    expect(unread).toEqual([]);
  }, 60_000);
});
