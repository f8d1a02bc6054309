/**
 * The state key's own cost per world, hand (state-key.ts) against snapshot (snapshot-key.ts): worlds of a
 * scenario's first states (breadth-first, copied with copyGraph), each keyed many times, alternating, CPU time.
 * `floor`: the least any generic walk of those objects does — the objects the snapshot walk writes, each put in
 * an identity Map and its fields read (for…in, Map and Set entries) with a type test each, nothing written.
 *
 * Run: `npx tsx bench/snapshot-key-cost.ts [worlds] [rounds]`.
 */
import { Explorer } from '../src/check/explorer.js';
import { parseScenario, type Scenario } from '../src/check/scenario.js';
import { copyGraph } from '../src/persist/graph.js';
import type { World } from '../src/check/world.js';
import { AUDITED } from './check-key-audit.js';
import { KeyWalk } from '../src/check/key-walk.js';
import { KeyWriter } from '../src/check/key-writer.js';

const maxWorlds = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 20);
const SCENARIOS: [string, Scenario][] = [
  ['race powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['race powerOn→suspend ∥ powerOff, 6 vCPUs', { cpus: 6, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['Save ∥ Suspend ∥ PowerOff (timers any), 2 vCPUs', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] }],
  ...AUDITED,
];

function worldsOf(input: Scenario): World[] {
  const x = new Explorer(parseScenario(input), { symmetry: false, liveness: false, por: false });
  const worlds: World[] = [];
  const queue: number[][] = [[]];
  const seen = new Set<string>();
  for (let q = 0; q < queue.length && worlds.length < maxWorlds; q++) {
    const world = x.rebuildAlong(queue[q]!);
    x.hash(world);
    const k = `${x.key.hi}:${x.key.lo}`;
    if (seen.has(k)) continue;
    seen.add(k);
    worlds.push(copyGraph(world));
    for (let c = 0; c < world.choiceCount(); c++) queue.push([...queue[q]!, c]);
  }
  return worlds;
}

/** The objects the snapshot walk writes for `world`, in its order. */
function objectsOf(world: World): object[] {
  const walk = new KeyWalk();
  walk.starts = [];
  walk.encode(world, new KeyWriter(), world.sched.clock.nowNs());
  return walk.starts.map((s) => s.obj);
}

const table = new Map<object, number>();
/** The floor's walk of one world's objects: a table entry each, every field read and tested; a checksum. */
function floor(objects: readonly object[]): number {
  let sum = 0;
  const see = (v: unknown) => (typeof v === 'object' && v !== null ? (table.get(v) ?? -1) : typeof v === 'number' ? v : 1);
  for (let i = 0; i < objects.length; i++) table.set(objects[i]!, i);
  for (const o of objects) {
    if (o instanceof Map) for (const [k, v] of o) sum += see(k) + see(v);
    else if (o instanceof Set) for (const k of o) sum += see(k);
    else for (const key in o) sum += see((o as Record<string, unknown>)[key]);
  }
  table.clear();
  return sum;
}

const cpuUs = (): number => process.cpuUsage().user + process.cpuUsage().system;

for (const [name, input] of SCENARIOS) {
  const scenario = parseScenario(input);
  const worlds = worldsOf(input);
  const hand = new Explorer(scenario, { symmetry: false, liveness: false, por: false });
  const snap = new Explorer(scenario, { stateKey: 'snapshot', symmetry: false, liveness: false, por: false });
  const time = { hand: 0, snapshot: 0, floor: 0 };
  const objects = worlds.map(objectsOf);
  for (let r = 0; r < rounds; r++) {
    for (const [which, x] of (r % 2 ? [['hand', hand], ['snapshot', snap]] : [['snapshot', snap], ['hand', hand]]) as [keyof typeof time, Explorer][]) {
      const t = cpuUs();
      for (const w of worlds) x.hash(w);
      time[which] += cpuUs() - t;
    }
    const t = cpuUs();
    for (const o of objects) floor(o);
    time.floor += cpuUs() - t;
  }
  const per = (us: number) => (us / rounds / worlds.length).toFixed(2);
  console.log(`${name.padEnd(60)} ${worlds.length} worlds  hand ${per(time.hand)} µs  snapshot ${per(time.snapshot)} µs  ×${(time.snapshot / time.hand).toFixed(2)}  floor ${per(time.floor)} µs (${(objects.reduce((n, o) => n + o.length, 0) / objects.length).toFixed(0)} objects)`);
}
