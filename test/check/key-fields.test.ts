/**
 * The hand key cannot forget a field silently (issue 12, item 6): every field the snapshot key writes in the worlds
 * of the suite's scenarios (the snapshot key walk names them as it writes them: key-names.ts) is declared in
 * src/check/key-fields.ts as keyed, implied or constant, and no declaration names a field no world holds. A keyed
 * field has teeth: changed on a copy of a mid-run world (numbers +1, booleans negated, strings suffixed; null is a
 * missing reference, which no primitive stands in for), it changes the hand key — the explorer's key (Explorer.hash:
 * state-key.ts's encodeWorld) — in at least one world, or it is really implied or unread and its declaration is
 * wrong. A constant field holds the same values in every world of a run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/index.js';
import '../../src/check/index.js';
import { Explorer } from '../../src/check/explorer.js';
import { keyFieldSites, type FieldSite } from '../../src/check/key-names.js';
import { KEY_FIELDS, type KeyFieldUses } from '../../src/check/key-fields.js';
import { parseScenario } from '../../src/check/scenario.js';
import type { World } from '../../src/check/world.js';
import { SUITE_SCENARIOS } from './suite-scenarios.js';
import { thawCells } from '../support/thaw-cells.js';

/** Steps along each run, and every how many steps a world is perturbed (a copy and a key per keyed field). */
const DEPTH = 40;
const PERTURB_EVERY = 3;

/** `Class.field.sub` → ['Class', 'field.sub']; paths ending in an item (`[]`, `<key>`, `()`) are their field's. */
function declaredAs(path: string): [string, string] | null {
  const dot = path.indexOf('.');
  if (dot < 0 || !/\.[A-Za-z_$][\w$]*$/.test(path)) return null;
  return [path.slice(0, dot), path.slice(dot + 1)];
}

const isPrimitive = (v: unknown): boolean => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string';

const perturbed = (v: unknown): unknown => (typeof v === 'number' ? v + 1 : typeof v === 'boolean' ? !v : `${v as string}~`);

/** A field's primitive sites that can be changed: its own values, and the items of a collection it holds. */
function primitiveSites(sites: Map<string, FieldSite[]>, path: string): FieldSite[] {
  return [...(sites.get(path) ?? []), ...(sites.get(`${path}[]`) ?? [])].filter((site) => site.set && isPrimitive(site.value));
}

interface Survey {
  /** Every declarable field a world held → the first scenario that held it. */
  held: Map<string, string>;
  /** Keyed fields that held a primitive somewhere, and those whose change changed the hand key somewhere. */
  tried: Set<string>;
  changed: Set<string>;
  /** Constant fields whose primitive values differ between two worlds of one run → where. */
  varied: Map<string, string>;
  worlds: number;
}

/** The keyed fields of `table` perturbed one at a time on copies of `world` (only those not yet seen to change the key). */
function perturb(x: Explorer, world: World, table: Readonly<Record<string, KeyFieldUses>>, survey: Survey): void {
  x.hash(world);
  const before = `${x.key.hi}:${x.key.lo}`;
  const sites = keyFieldSites(thawCells(x.copy(world)), world.sched.clock.nowNs());
  for (const path of sites.keys()) {
    const at = declaredAs(path);
    if (!at || table[at[0]]?.[at[1]] !== 'keyed' || survey.changed.has(path) || primitiveSites(sites, path).length === 0) continue;
    survey.tried.add(path);
    const copy = thawCells(x.copy(world));
    for (const site of primitiveSites(keyFieldSites(copy, copy.sched.clock.nowNs()), path)) site.set!(perturbed(site.value));
    let after: string;
    try {
      x.hash(copy);
      after = `${x.key.hi}:${x.key.lo}`;
    } catch {
      after = 'threw'; // the key reads the field (and cannot take the changed value)
    }
    if (after !== before) survey.changed.add(path);
    x.hash(world);
    expect(`${x.key.hi}:${x.key.lo}`, `changing ${path} on a copy changed the original world`).toBe(before);
  }
}

/** Worlds along three runs of every suite scenario (first, last and middle choices), `DEPTH` steps deep. */
function survey(table: Readonly<Record<string, KeyFieldUses>>): Survey {
  const out: Survey = { held: new Map(), tried: new Set(), changed: new Set(), varied: new Map(), worlds: 0 };
  for (const [name, input] of SUITE_SCENARIOS) {
    const x = new Explorer(parseScenario(input), { liveness: false, por: false, symmetry: false });
    for (const pick of [(_: number) => 0, (n: number) => n - 1, (n: number) => n >> 1]) {
      const world = x.rebuildAlong([]);
      /** A constant field's values in the run's first world that held it. */
      const first = new Map<string, string>();
      for (let depth = 0; depth < DEPTH && world.choiceCount() > 0; depth++) {
        out.worlds++;
        for (const [path, sites] of keyFieldSites(world, world.sched.clock.nowNs())) {
          const at = declaredAs(path);
          if (!at) continue;
          if (!out.held.has(path)) out.held.set(path, name);
          if (table[at[0]]?.[at[1]] !== 'constant') continue;
          const values = JSON.stringify([...new Set(sites.map((site) => site.value).filter(isPrimitive))].sort());
          if (!first.has(path)) first.set(path, values);
          else if (first.get(path) !== values && !out.varied.has(path)) out.varied.set(path, `${name}, step ${depth}: ${first.get(path)} → ${values}`);
        }
        if (depth % PERTURB_EVERY === 1) perturb(x, world, table, out);
        world.step(pick(world.choiceCount()));
      }
    }
  }
  return out;
}

describe('the hand key declares every field the snapshot key writes (key-fields.ts)', () => {
  let found: Survey;
  beforeAll(() => {
    found = survey(KEY_FIELDS);
  }, 60_000);

  it('covers every field a suite scenario world holds', () => {
    expect(found.worlds).toBeGreaterThan(1000);
    const undeclared = [...found.held].filter(([path]) => {
      const [cls, field] = declaredAs(path)!;
      return KEY_FIELDS[cls]?.[field] === undefined;
    });
    expect(undeclared.map(([path, scenario]) => `${path} (no declaration; held in ${scenario})`)).toEqual([]);
  });

  it('declares no field that no world holds', () => {
    const stale = Object.entries(KEY_FIELDS).flatMap(([cls, fields]) => Object.keys(fields).map((field) => `${cls}.${field}`)).filter((path) => !found.held.has(path));
    expect(stale.map((path) => `${path} (declared, held by no world)`)).toEqual([]);
  });

  it('has every constant field hold the same values all along a run', () => {
    const varied = [...found.varied].map(([path, where]) => `${path} (declared constant; ${where})`);
    expect(varied).toEqual([]);
  });

  it('has every keyed field change the hand key in some world', () => {
    // Not vacuous: the fields tried include the VM state's, an EMT's, a packet's and a halt loop's.
    for (const path of ['MachineCell:vm.value', 'Emt.countedInactive', 'VmReq.status', 'OldLoop.woken']) expect(found.changed).toContain(path);
    const unread = [...found.tried].filter((path) => !found.changed.has(path));
    expect(unread.map((path) => `${path} (declared keyed; changing it never changed the hand key)`)).toEqual([]);
  });
});
