/**
 * CPU µs per world copy (copyGraph) over many copies, GC included: the race's mid-run world on 4 vCPUs (A:
 * powerOn → suspend, B: powerOff; half-way along choice 0). bench/snapshot.ts takes medians of small batches,
 * which mostly leave the collector out; this one divides the whole run's CPU time. `drop`: each copy is garbage
 * at once; `keep`: the last 256 stay alive (a frontier); `chain`: each copy is copied next, as the checker copies
 * worlds it has just made (their objects are new to the copier's identity table: no identity hash yet; its first
 * ~2,000 copies are V8's warm-up for the Shells' shapes, shorter since compiled copiers are primed, stop 17); `cold`:
 * copies of 8,192 different worlds in turn (~75 MB), as breadth-first search copies a frontier world kept since the
 * last level, long out of the cache (a copy chases ~100 pointers: each miss is waited for). Compare with and without
 * `node --no-allocation-site-pretenuring` (the checker CLI's setting, src/check/gc-tuning.ts).
 *
 * objectsPerCopy: the objects and functions a copy makes (reachable from it, not from the original). `alloc`: copies
 * as `chain` does under V8's sampling heap profiler (every 256 bytes, collected objects included) and prints the
 * bytes allocated per copy and by allocation site (a function and line, run from dist/ for true lines; `set :0` is
 * Map.prototype.set's growth).
 *
 * Run: npx tsx bench/copy-world.ts [copies] [drop|keep|chain|cold|alloc] [scenario json]
 */
import { Session } from 'node:inspector/promises';
import { parseScenario } from '../src/check/scenario.js';
import { World } from '../src/check/world.js';
import { copyGraph } from '../src/persist/graph.js';
import { reachable } from '../src/persist/reachable.js';

const copies = Number(process.argv[2] ?? 20_000);
const mode = process.argv[3] ?? 'drop';
const spec = parseScenario(JSON.parse(process.argv[4] ?? '{"cpus":4,"clients":[["powerOn","suspend"],["powerOff"]]}'));
let total = 0;
for (const w = World.build(spec, { properties: [] }); !w.terminal; total++) w.step(0);
const world = World.build(spec, { properties: [] });
for (let i = 0; i < total >> 1; i++) world.step(0);

const before = reachable(world);
let objectsPerCopy = 0;
for (const v of reachable(copyGraph(world)).keys()) if (!before.has(v)) objectsPerCopy++;

const cpuUs = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};
const kept: unknown[] = [];
/** `cold`: this many worlds copied in turn (each a copy of the last, so each lies together in memory, as a copy does). */
const COLD_WORLDS = 8_192;
const pool: World[] = [];
if (mode === 'cold') for (let i = 0, w = world; i < COLD_WORLDS; i++) pool.push((w = copyGraph(w)));
for (let i = 0; i < 2_000; i++) copyGraph(world); // warm up
const t0 = cpuUs();
if (mode === 'cold') for (let i = 0; i < copies; i++) copyGraph(pool[i % COLD_WORLDS]!);
else if (mode === 'keep') for (let i = 0; i < copies; i++) kept[i & 255] = copyGraph(world);
else if (mode === 'alloc') await allocation();
else if (mode === 'chain') for (let i = 0, w = world; i < copies; i++) w = copyGraph(w);
else for (let i = 0; i < copies; i++) copyGraph(world);
if (mode !== 'alloc') console.log(JSON.stringify({ mode, copies, cpuUsPerCopy: Math.round(((cpuUs() - t0) / copies) * 10) / 10, objectsPerCopy }));

/** `alloc`: bytes allocated per copy, by site (the top 12). */
async function allocation(): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let i = 0, w = world; i < copies; i++) w = copyGraph(w);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  const sites = new Map<string, number>();
  const walk = (node: (typeof profile)['head']): void => {
    const site = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber + 1}`;
    if (node.selfSize) sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
  const perCopy = (bytes: number): number => Math.round(bytes / copies);
  const top = [...sites].sort((a, b) => b[1] - a[1]).slice(0, 12);
  console.log(JSON.stringify({ bytesPerCopy: perCopy([...sites.values()].reduce((a, b) => a + b, 0)), bySite: Object.fromEntries(top.map(([site, bytes]) => [site, perCopy(bytes)])) }));
}
