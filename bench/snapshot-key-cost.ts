/**
 * The state key's own cost per world, hand (state-key.ts) against snapshot (snapshot-key.ts): worlds of a
 * scenario's first states (breadth-first, copied with copyGraph), each keyed many times, alternating, CPU time.
 *
 * Run: `npx tsx bench/snapshot-key-cost.ts [worlds] [rounds]`.
 */
import { Explorer } from '../src/check/explorer.js';
import { parseScenario, type Scenario } from '../src/check/scenario.js';
import { copyGraph } from '../src/persist/graph.js';
import type { World } from '../src/check/world.js';
import { AUDITED } from './check-key-audit.js';

const maxWorlds = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 20);
const SCENARIOS: [string, Scenario][] = [['race powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }], ...AUDITED];

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

const cpuUs = (): number => process.cpuUsage().user + process.cpuUsage().system;

for (const [name, input] of SCENARIOS) {
  const scenario = parseScenario(input);
  const worlds = worldsOf(input);
  const hand = new Explorer(scenario, { symmetry: false, liveness: false, por: false });
  const snap = new Explorer(scenario, { stateKey: 'snapshot', symmetry: false, liveness: false, por: false });
  const time = { hand: 0, snapshot: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const [which, x] of (r % 2 ? [['hand', hand], ['snapshot', snap]] : [['snapshot', snap], ['hand', hand]]) as [keyof typeof time, Explorer][]) {
      const t = cpuUs();
      for (const w of worlds) x.hash(w);
      time[which] += cpuUs() - t;
    }
  }
  const per = (us: number) => (us / rounds / worlds.length).toFixed(2);
  console.log(`${name.padEnd(60)} ${worlds.length} worlds  hand ${per(time.hand)} µs  snapshot ${per(time.snapshot)} µs  ×${(time.snapshot / time.hand).toFixed(2)}`);
}
