/**
 * The snapshot key's vCPU renaming cannot be escaped silently (issue 12, item 6): every registered class and
 * every machine says which of its fields hold CPU ids (src/check/key-cpus.ts), a field of a per-vCPU object that
 * names its vCPU is declared, and with symmetry on the walk refuses a class, a field or a plain object's field
 * that would hold a CPU id without a declaration.
 */
import { describe, expect, it } from 'vitest';
import '../../src/index.js';
import '../../src/check/index.js';
import { MACHINES } from '../../machines/index.js';
import { Explorer } from '../../src/check/explorer.js';
import { CLASS_CPU_FIELDS, MACHINE_CPU_CONTEXT, type CpuFields, type Renaming } from '../../src/check/key-cpus.js';
import { encodeCpu, haltEncoding } from '../../src/check/state-key.js';
import { KeyWriter } from '../../src/check/key-writer.js';
import { parseScenario } from '../../src/check/scenario.js';
import { encodeSnapshot } from '../../src/check/snapshot-key.js';
import type { World } from '../../src/check/world.js';
import { persistable, registeredClass, registeredClassNames } from '../../src/persist/registry.js';
import { CELL_FIELDS, MachineCell } from '../../src/sched/machine-cell.js';

/** ONCE ∥ reqCallWait(any) with halt methods on, 3 vCPUs: symmetric, and it reaches the GVMM and halt records. */
const SYMMETRIC = parseScenario({ cpus: 3, halt: 'on', config: { HaltMethod: 1 }, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'reqCallWait', target: 'any' }]] });

/** Worlds along a few runs of the scenario (first, last and middle choices). */
function worlds(): World[] {
  const x = new Explorer(SYMMETRIC, { liveness: false });
  const out: World[] = [];
  for (const pick of [(_: number) => 0, (n: number) => n - 1, (n: number) => n >> 1]) {
    const prefix: number[] = [];
    for (let world = x.replay(prefix); prefix.length < 30 && world.choiceCount() > 0; world = x.replay(prefix)) {
      out.push(world);
      prefix.push(pick(world.choiceCount()));
    }
  }
  return out;
}

/**
 * Fields of per-vCPU objects (the items of arrays a table declares by-cpu) that name their vCPU — the number i
 * on item i, or a name with `emt.i` / `cpu.i` in it — on every item, and that the table does not declare.
 */
function undeclaredCpuFields(root: object, table: Readonly<Record<string, CpuFields>>): string[] {
  const found = new Set<string>();
  const seen = new Set<object>();
  const stack: object[] = [root];
  while (stack.length > 0) {
    const obj = stack.pop()!;
    if (seen.has(obj)) continue;
    seen.add(obj);
    const values = obj instanceof Map ? [...obj.keys(), ...obj.values()] : obj instanceof Set ? [...obj] : Object.values(obj);
    for (const v of values) if (typeof v === 'object' && v !== null) stack.push(v);
    const entry = registeredClass(obj);
    if (!entry) continue;
    for (const [field, kind] of Object.entries(table[entry.name] ?? {})) {
      const items = (obj as Record<string, unknown>)[field];
      if (kind !== 'by-cpu' || !Array.isArray(items) || items.length < 2) continue;
      const first = items[0];
      if (typeof first !== 'object' || first === null) continue;
      const itemClass = registeredClass(first)?.name ?? 'object';
      // What the key leaves out needs no renaming: history, transient, a machine cell's systemId.
      const spec = registeredClass(first)?.spec;
      const unkeyed = new Set([...(spec?.history ?? []), ...(spec?.transient ?? []), ...(first instanceof MachineCell ? CELL_FIELDS : [])]);
      for (const key of Object.keys(first)) {
        if (table[itemClass]?.[key] || unkeyed.has(key)) continue;
        const names = items.every((item, i) => {
          const v = (item as Record<string, unknown>)[key];
          return v === i || (typeof v === 'string' && new RegExp(`(emt|cpu)\\.${i}(\\D|$)`).test(v));
        });
        if (names) found.add(`${itemClass}.${key}`);
      }
    }
  }
  return [...found].sort();
}

describe('vCPU renaming declarations (key-cpus.ts)', () => {
  it('cover every registered class and every machine, and name nothing else', () => {
    // Test files register classes of their own, named with a dot.
    const engine = registeredClassNames().filter((name) => !name.includes('.'));
    expect(engine.filter((name) => !CLASS_CPU_FIELDS[name])).toEqual([]);
    expect(Object.keys(CLASS_CPU_FIELDS).filter((name) => !engine.includes(name))).toEqual([]);
    const machines = Object.values(MACHINES).map((m) => m.id);
    expect(machines.filter((id) => !MACHINE_CPU_CONTEXT[id])).toEqual([]);
    expect(Object.keys(MACHINE_CPU_CONTEXT).filter((id) => !machines.includes(id))).toEqual([]);
  });

  it('declare every field of a per-vCPU object that names its vCPU', () => {
    const all = worlds();
    expect(all.length).toBeGreaterThan(30);
    for (const world of all) expect(undeclaredCpuFields(world, CLASS_CPU_FIELDS)).toEqual([]);
    // The search can fail: without Emt.cpu, CpuHalt.cpu and GvmCpu.idCpu declared, it names them.
    const { Emt, CpuHalt, GvmCpu, ...rest } = CLASS_CPU_FIELDS;
    const without = { ...rest, Emt: { ...Emt, cpu: undefined! }, CpuHalt: {}, GvmCpu: {} };
    expect(undeclaredCpuFields(all[all.length - 1]!, without as typeof CLASS_CPU_FIELDS)).toEqual(['CpuHalt.cpu', 'Emt.cpu', 'GvmCpu.idCpu']);
  });
});

/** Every renaming of n vCPUs. */
function renamings(n: number): Renaming[] {
  if (n === 0) return [{ canonical: [], position: [] }];
  return renamings(n - 1).flatMap((r) =>
    Array.from({ length: n }, (_, at) => {
      const canonical = [...r.canonical.slice(0, at), n - 1, ...r.canonical.slice(at)];
      const position: number[] = [];
      canonical.forEach((c, i) => (position[c] = i));
      return { canonical, position };
    }),
  );
}

describe('the renamed snapshot key', () => {
  it('is one key under every renaming where the vCPUs are alike', () => {
    const key = new KeyWriter();
    const keyOf = (w: World, r: Renaming) => {
      encodeSnapshot(w, key, w.sched.clock.nowNs(), r);
      key.hash();
      return `${key.hi}:${key.lo}`;
    };
    // Alike: each vCPU's own part of the hand key (state-key.ts encodeCpu) is the same, and no rendezvous or
    // timer tells them apart either (symmetry's order is then the identity).
    const cpuPart = (w: World, c: number) => {
      key.reset();
      encodeCpu(w, c, key, haltEncoding(w));
      return key.snapshot().join();
    };
    let alike = 0;
    let different = 0;
    const all = renamings(3);
    for (const w of worlds()) {
      const keys = new Set(all.map((r) => keyOf(w, r)));
      if ([1, 2].every((c) => cpuPart(w, c) === cpuPart(w, 0)) && w.core.rendezvousStack.length === 0 && w.sched.timerList().length === 0) {
        alike++;
        expect(keys.size).toBe(1);
      } else if (keys.size > 1) different++;
    }
    expect(alike).toBeGreaterThan(0);
    // …and tells vCPUs apart where they are not alike (a renaming that changed nothing would pass the above).
    expect(different).toBeGreaterThan(0);
  });
});

describe('with symmetry on, the snapshot key refuses what it cannot rename', () => {
  const key = new KeyWriter();
  const world = (): World => new Explorer(SYMMETRIC, { liveness: false }).replay([0, 0, 0]);
  const renamed = (w: World) => () => encodeSnapshot(w, key, w.sched.clock.nowNs(), { canonical: [2, 0, 1], position: [1, 2, 0] });
  const plain = (w: World) => () => encodeSnapshot(w, key, w.sched.clock.nowNs());

  it('walks an engine world renamed', () => {
    expect(renamed(world())).not.toThrow();
  });

  it('refuses a class without an entry', () => {
    class Stray {
      cpu = 1;
    }
    persistable('test.Stray', Stray); // a dot: the coverage test above leaves test classes out
    const w = world();
    (w.core as unknown as { stray: Stray }).stray = new Stray();
    expect(plain(w)).not.toThrow();
    expect(renamed(w)).toThrow(/class test\.Stray has no entry/);
  });

  it('refuses an undeclared field whose name says CPU, on a class or a plain object', () => {
    const a = world();
    (a.core.emts[0] as unknown as { lastCpu: number }).lastCpu = 1;
    expect(plain(a)).not.toThrow();
    expect(renamed(a)).toThrow(/field Emt.lastCpu/);
    const b = world();
    (b.core as unknown as { note: object }).note = { cpu: 1 };
    expect(plain(b)).not.toThrow();
    expect(renamed(b)).toThrow(/plain object's field 'cpu'/);
  });
});
