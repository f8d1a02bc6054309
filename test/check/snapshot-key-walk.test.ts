/**
 * The snapshot key's fused walk (src/check/key-walk.ts: compiled per-class writers, cells by their interned
 * snapshot) against the snapshot writer's own canonical walk (graphKey: every field by name): over every state
 * of a few suite scenarios the two keys part the states alike. And the property the hand key lacked: a field
 * nobody listed — added to an engine object, or to a class — changes the key by itself.
 */
import { describe, expect, it } from 'vitest';
import { Explorer } from '../../src/check/explorer.js';
import { KeyWriter } from '../../src/check/key-writer.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { encodeSnapshot } from '../../src/check/snapshot-key.js';
import type { World } from '../../src/check/world.js';
import { graphKey } from '../../src/persist/graph-key.js';
import { persistable } from '../../src/persist/registry.js';
import { MachineCell } from '../../src/sched/machine-cell.js';

const SCENARIOS: [string, Scenario][] = [
  ['race powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['powerOn→save ∥ powerOff (timers any), 2 vCPUs', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] }],
  ['halt on, GLOBAL_1: powerOn→reqCallWait(1) ∥ powerOff, 2 vCPUs', { cpus: 2, halt: 'on', guest: 'halt', config: { HaltMethod: 5 }, clients: [['powerOn', { call: 'reqCallWait', target: 1 }], ['powerOff']] }],
  ['ONCE ∥ ONE_BY_ONE, 3 vCPUs', { cpus: 3, clients: [[{ call: 'emtRendezvous', type: 'once' }], [{ call: 'emtRendezvous', type: 'one-by-one' }]] }],
];

function fastKey(world: object, now = (world as World).sched.clock.nowNs()): string {
  const key = new KeyWriter();
  encodeSnapshot(world, key, now);
  key.hash();
  return `${key.hi}:${key.lo}`;
}

const slowKey = (world: World): string => graphKey(world, { now: world.sched.clock.nowNs() });

/** Every state breadth-first (up to `max` prefixes): the world at each. */
function* states(input: Scenario, max: number): Generator<World> {
  const x = new Explorer(parseScenario(input), { liveness: false, por: false, symmetry: false });
  const queue: number[][] = [[]];
  const seen = new Set<string>();
  for (let q = 0; q < queue.length && q < max; q++) {
    const world = x.rebuildAlong(queue[q]!);
    const k = slowKey(world);
    yield world;
    if (seen.has(k)) continue;
    seen.add(k);
    for (let c = 0; c < world.choiceCount(); c++) queue.push([...queue[q]!, c]);
  }
}

describe('the fused snapshot key walk', () => {
  it.each(SCENARIOS)('parts the states of %s as the snapshot writer’s walk does', (_, input) => {
    const fastOfSlow = new Map<string, string>();
    const slowOfFast = new Map<string, string>();
    let n = 0;
    for (const world of states(input, input.timers ? 600 : 1500)) {
      const f = fastKey(world);
      const s = slowKey(world);
      expect(fastOfSlow.get(s) ?? f).toBe(f);
      expect(slowOfFast.get(f) ?? s).toBe(s);
      fastOfSlow.set(s, f);
      slowOfFast.set(f, s);
      n++;
    }
    expect(fastOfSlow.size).toBeGreaterThan(50);
    expect(n).toBeGreaterThan(fastOfSlow.size);
  }, 120_000);

  it('tells apart a field added to an engine object that no key lists', () => {
    const [world] = states(SCENARIOS[0]![1], 1);
    const before = fastKey(world!);
    const targets: [string, (w: World) => object][] = [
      ['an EMT', (w) => w.core.emts[0]!],
      // A held cell is frozen and replaced at each transition: a writable twin in its place takes the field.
      ["an EMT's loop cell", (w) => (w.core.emts[1]!.cell = Object.assign(new MachineCell(w.core.emts[1]!.cell.machine, 'twin'), { snapshot: w.core.emts[1]!.cell.snapshot }))],
      ['the VM core', (w) => w.core],
      ['a client', (w) => w.clients[1]!],
    ];
    for (const [what, target] of targets) {
      const [a] = states(SCENARIOS[0]![1], 1);
      const [b] = states(SCENARIOS[0]![1], 1);
      (target(a!) as Record<string, unknown>).addedLater = 1;
      (target(b!) as Record<string, unknown>).addedLater = 2;
      expect(fastKey(a!), what).not.toBe(before);
      expect(fastKey(a!), what).not.toBe(fastKey(b!));
    }
  });

  it('tells apart a field a class declares that no key lists, and leaves out its history', () => {
    class Probe {
      state = 0;
      seen = 0;
      next: Probe | null = null;
    }
    persistable('SnapshotKeyWalkTest.Probe', Probe, { history: ['seen'] });
    const chain = (state: number, seen: number): Probe => {
      const p = new Probe();
      p.next = new Probe();
      p.next.state = state;
      p.next.seen = seen;
      return p;
    };
    expect(fastKey(chain(1, 0), 0)).toBe(fastKey(chain(1, 9), 0));
    expect(fastKey(chain(1, 0), 0)).not.toBe(fastKey(chain(2, 0), 0));
    const odd = chain(1, 0);
    (odd.next as unknown as Record<string, unknown>).extra = true; // not the class's usual fields: the generic path
    expect(fastKey(odd, 0)).not.toBe(fastKey(chain(1, 0), 0));
  });
});
