/**
 * The heap a kept world holds of its own against the estimate kept-worlds.ts budgets with (its packed length ×
 * LIVE_PER_PACKED, world-snapshot.ts). Per scenario: 300 worlds at random depths, each copied 10 times and the
 * copies kept (as a search keeps frontier worlds: copies share with their sources what is immutable); the heap
 * after full collections, per copy, against the packed length. Run: `npm run build && node --expose-gc
 * dist/bench/kept-bytes.js`.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseScenario } from '../src/check/scenario.js';
import { World } from '../src/check/world.js';
import { LIVE_PER_PACKED } from '../src/check/world-snapshot.js';
import { copyGraph, packGraph } from '../src/persist/graph.js';
import { Prng } from '../src/sched/prng.js';

const SCENARIOS = [
  { cpus: 4, clients: [['powerOn', 'suspend'], ['powerOff']] },
  { cpus: 6, clients: [['powerOn', 'suspend'], ['powerOff']] },
  { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] },
  { cpus: 3, clients: [['powerOn', 'suspend'], ['resume'], ['powerOff']] },
];
const WORLDS = 300;
const COPIES = 10;

/** Every scenario, each in a process of its own (with --expose-gc). */
export async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  for (let i = 0; i < SCENARIOS.length; i++) process.stdout.write(execFileSync(process.execPath, ['--expose-gc', self, String(i)], { encoding: 'utf8' }));
}

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('kept-bytes: measure with node --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const only = process.argv[2];
  if (only === undefined) await main();
  else measure(SCENARIOS[Number(only)]!);
}

function measure(scenario: (typeof SCENARIOS)[number]): void {
  const spec = parseScenario(scenario);
  const prng = new Prng(7);
  const worlds: World[] = [];
  for (let i = 0; i < WORLDS; i++) {
    const world = World.build(spec, { properties: [] });
    for (let k = 5 + prng.int(40); k > 0 && world.choiceCount() > 0; k--) world.step(prng.int(world.choiceCount()));
    worlds.push(world);
  }
  const packed = worlds.reduce((sum, world) => sum + packGraph(world).length, 0) / WORLDS;
  for (const world of worlds) copyGraph(world); // compiled copiers warm, their caches made
  const before = collect();
  const kept: World[] = [];
  for (let r = 0; r < COPIES; r++) for (const world of worlds) kept.push(copyGraph(world));
  const heap = (collect() - before) / kept.length;
  console.log(JSON.stringify({ scenario, heapPerWorld: Math.round(heap), packedPerWorld: Math.round(packed), heapPerPacked: Math.round((heap / packed) * 100) / 100, estimate: LIVE_PER_PACKED }));
}
