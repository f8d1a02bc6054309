/**
 * Which events a world asks the engine for (monitor-routes.ts): the engine emits a rendezvous member's and a
 * request call's every edge only to a listener that wants detail. A world wants them for its trace (record) or
 * for a monitor that asks for those kinds (or for every kind); nothing else in a world reads them. Each monitor
 * hears exactly the kinds it asks for, in a world and in its copies.
 */
import { describe, expect, it } from 'vitest';
import { Explorer } from '../../src/check/explorer.js';
import { BUILT_IN_PROPERTIES } from '../../src/check/invariants/index.js';
import type { PropertyDef } from '../../src/check/property.js';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import type { VmTraceEvent } from '../../src/vmm/vm-core.js';

type Kind = VmTraceEvent['kind'];

const scenario = parseScenario({ cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] });

/** A monitor that notes the kinds it hears (`events` undefined: every kind). */
function spy(events: readonly Kind[] | undefined, heard: Kind[]): PropertyDef {
  return { name: 'spy', description: 'notes kinds', create: () => ({ name: 'spy', ...(events ? { events } : {}), onEvent: (event: VmTraceEvent) => void heard.push(event.kind) }) };
}

/** Run the world to the end by first choices. */
function runOut(world: World): void {
  for (let i = 0; i < 500 && !world.terminal && !world.violation; i++) world.step(0);
}

describe('detail events: only for a trace or a monitor that asks', () => {
  it.each<[string, readonly Kind[] | undefined, boolean, boolean]>([
    // [case, spy's kinds, record, wants detail]
    ['state changes only', ['state'], false, false],
    ['requests and rendezvous', ['request', 'rendezvous'], false, false],
    ['member edges', ['rendezvous-member'], false, true],
    ['machine edges', ['machine'], false, true],
    ['every kind', undefined, false, true],
    ['state changes, recording a trace', ['state'], true, true],
  ])('%s', (_case, events, record, detail) => {
    const heard: Kind[] = [];
    const world = World.build(scenario, { properties: [...BUILT_IN_PROPERTIES, spy(events, heard)], record });
    expect(world.core.wantsDetail()).toBe(detail);
    runOut(world);
    // The spy hears only what it asked for, and the race's rendezvous moves members whenever detail is on.
    if (events) expect(heard.filter((k) => !events.includes(k))).toEqual([]);
    if (detail && (!events || events.includes('rendezvous-member'))) expect(heard).toContain('rendezvous-member');
    expect(heard.length).toBeGreaterThan(0);
    if (record) expect(world.records!.some((r) => r.type === 'event' && r.event.kind === 'rendezvous-member')).toBe(true);
  });

  it("an explorer's world and its copies want none, and its monitors still hear their kinds", () => {
    const x = new Explorer(scenario, { por: false, symmetry: false });
    const world = World.build(x.scenario, x.worldOptions);
    expect(world.core.wantsDetail()).toBe(false);
    while (world.choiceCount() < 2) world.step(0);
    const copy = x.copy(world);
    expect(copy.core.wantsDetail()).toBe(false);
    // Both run out alike: the monitors (rendezvous order, status merge …) keep the same state in both.
    runOut(world);
    runOut(copy);
    expect(copy.violation).toEqual(world.violation);
    const key = (w: World): [number, number] => (x.hash(w), [x.key.hi, x.key.lo]);
    expect(key(copy)).toEqual(key(world));
  });
});
