/**
 * Goal: a copied VM copies no function per saved-state unit (issue 17: a checker world copied mid-save copies its
 * registry): the engine's units ("vm", "vmm", "vcpu", "gvmm", "pgm") find what they work on as the unit's owner
 * (SSMUNIT's pVM / pvUser), so their callbacks are code shared by every VM — and the copy's units still work on the
 * copy's VM, not the original's.
 *
 * Method: a checker world stepped into its live save, copied with copyGraph; the callbacks compared by identity,
 * the owners by what they belong to; then the copy's save runs to its end and its VM is the one suspended.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { copyGraph, writeGraph } from '../../src/persist/graph.js';
import { attachedSavedState } from '../../src/ssm/vm-units.js';
import { SsmUnitRegistry, type SsmUnit } from '../../src/ssm/units.js';

const ENGINE_UNITS = ['vm', 'vmm', 'vcpu', 'gvmm', 'pgm'];

/** Client A (powerOn, save) first; the others only when nothing else is ready, timers last. */
function step(world: World): void {
  const ids = world.ready().map((actor) => (actor as { id?: string }).id ?? '');
  const next = ids.findIndex((id) => id !== 'client.B' && id !== 'client.C');
  world.step(next >= 0 ? next : ids.length < world.choiceCount() ? ids.length : 0);
}

const unitsOf = (world: World): readonly SsmUnit[] => attachedSavedState(world.core)!.registry.units;

describe('the engine units of a copied VM', () => {
  it('share their callbacks with the original, and each is owned by the copy (its VM, its RAM)', () => {
    const spec = parseScenario({ cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] });
    const world = World.build(spec, { properties: [] });
    for (let i = 0; i < 300 && world.core.vmState !== 'RUNNING_LS'; i++) step(world);
    step(world);
    step(world);
    expect(world.core.vmState).toBe('RUNNING_LS');
    const copy = copyGraph(world);
    const original = unitsOf(world).filter((u) => ENGINE_UNITS.includes(u.name));
    const copied = unitsOf(copy).filter((u) => ENGINE_UNITS.includes(u.name));
    expect(copied.map((u) => `${u.name}#${u.instance}`)).toEqual(['vm#0', 'vmm#0', 'vcpu#0', 'vcpu#1', 'gvmm#0', 'pgm#0']);
    copied.forEach((unit, i) => {
      const callbacks = Object.entries(unit.callbacks).filter(([, fn]) => fn !== undefined);
      expect(callbacks.length).toBeGreaterThan(0);
      for (const [name, fn] of callbacks) expect(fn, `${unit.name}.${name}`).toBe(original[i]!.callbacks[name as keyof SsmUnit['callbacks']]);
      const owner = unit.owner as { ram?: unknown };
      if (unit.name === 'pgm') expect(owner.ram).toBe(attachedSavedState(copy.core)!.ram);
      else expect(owner).toBe(copy.core);
    });
    // The copy's save writes the copy's VM: it ends suspended (SSMAFTER_CONTINUE resumes it), the original stays put.
    for (let i = 0; i < 300 && !copy.terminal; i++) step(copy);
    expect(copy.violation).toBeNull();
    expect(world.core.vmState).toBe('RUNNING_LS');
  });
});

describe('the callback tables the engine units share', () => {
  const midSave = (): World => {
    const world = World.build(parseScenario({ cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] }), { properties: [] });
    for (let i = 0; i < 300 && world.core.vmState !== 'RUNNING_LS'; i++) step(world);
    return world;
  };

  it('are the same object in a world and its copy (a copied registry makes no table per engine unit)', () => {
    const world = midSave();
    const copy = copyGraph(world);
    // SSM's own units too: every unit of a checker world is one of the engine's.
    const tables = (w: World) => unitsOf(w).map((u) => u.callbacks);
    expect(unitsOf(world).map((u) => u.name)).toEqual(['SSM', 'SSMLiveControl', ...ENGINE_UNITS.flatMap((n) => (n === 'vcpu' ? [n, n] : [n]))]);
    tables(copy).forEach((table, i) => {
      expect(table, unitsOf(copy)[i]!.name).toBeDefined();
      expect(table, unitsOf(copy)[i]!.name).toBe(tables(world)[i]);
    });
  });

  it('are never changed through a unit: setting one of its callbacks changes that unit only', () => {
    const [a, b] = [new SsmUnitRegistry(), new SsmUnitRegistry()];
    const replaced = () => undefined;
    a.find('SSM', 0)!.setCallback('saveExec', replaced);
    expect(a.find('SSM', 0)!.callbacks.saveExec).toBe(replaced);
    expect(b.find('SSM', 0)!.callbacks.saveExec).not.toBe(replaced);
    expect(new SsmUnitRegistry().find('SSM', 0)!.callbacks.saveExec).toBe(b.find('SSM', 0)!.callbacks.saveExec);
  });

  it('are read in place: reading a unit\'s callbacks copies no table (only setCallback makes the unit its own)', () => {
    const [a, b] = [new SsmUnitRegistry(), new SsmUnitRegistry()];
    const [unitA, unitB] = [a.find('SSM', 0)!, b.find('SSM', 0)!];
    expect(unitA.callbacks).toBe(unitB.callbacks); // the shared table, read twice
    unitA.setCallback('saveExec', () => undefined);
    expect(unitA.callbacks).not.toBe(unitB.callbacks);
    expect(Object.isFrozen(unitB.callbacks)).toBe(true);
  });

  it('are written only by setCallback (the table field is private) and saved under their field name `_callbacks`', () => {
    const unit = new SsmUnitRegistry().find('SSM', 0)!;
    // @ts-expect-error the table is private: writing past setCallback's copy-on-write does not compile
    const writePast = (u: SsmUnit): void => void (u._callbacks = {}); // checked by the typecheck only
    void writePast;
    // The snapshot's name for the table (a restore of an earlier snapshot reads the same field).
    const entry = writeGraph(unit).objects.find((e) => e.kind === 'class' && e.name === 'SsmUnit')!;
    expect(Object.keys(entry.fields!)).toContain('_callbacks');
    expect(entry.fields!._callbacks).toEqual(['constant', 'ssm.callbacks.SSM']);
  });
});
