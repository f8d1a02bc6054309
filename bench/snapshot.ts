/**
 * What a world snapshot costs (issue 12 "Performance"): for the race's mid-run world on 4 vCPUs (A: powerOn →
 * suspend, B: powerOff; half-way through a run on choice 0) and an idle 4-vCPU VM (powered on, run to its end):
 * - copy: µs per copyGraph (the checker's world copy; target ≤ 20 µs), each copy dropped at once; copyKept: the
 *   same with the last 256 copies kept alive (a frontier). V8's allocation-site pretenuring, triggered by revive
 *   hooks' closures, moves dropped copies to old space: compare `node --no-allocation-site-pretenuring`;
 * - key: µs per graphKey (the canonical walk as a string, history left out); hash: the same walk into a
 *   32-bit FNV-1a sink (what a hashed state key costs); keyChars: the key's length;
 * - write: µs per writeGraph + JSON.stringify; read: µs per JSON.parse + readGraph; bytes of the JSON;
 * - pack / unpack: µs per packGraph / unpackGraph (the binary format frontier states travel in); packBytes;
 * - objects: how many objects the graph holds; rebuildUs: World.build + replaying the prefix (what a copy saves).
 * Times are CPU µs (process.cpuUsage), medians of batches: the machine is shared, wall time is noisy.
 *
 * Classes the engine has not registered yet are registered here (`bench:<name>`, all own fields) and functions
 * outside the code table are named one by one (as if the embedder had), so the figures cover the whole graph
 * as it is today; `unregistered` and `closures` say how many that took (0 and 0 once issue 12 is done).
 *
 * Run: `npx tsx bench/snapshot.ts [rounds] [root]` (root: world | vmm; default world).
 */
import { parseScenario } from '../src/check/scenario.js';
import { World } from '../src/check/world.js';
import { copyGraph, encodeGraph, graphKey, packGraph, readGraph, unpackGraph, writeGraph, type GraphSink } from '../src/persist/graph.js';
import { codeStamp, constantName, persistable, registeredClass } from '../src/persist/registry.js';
import { MachineCell } from '../src/sched/machine-cell.js';

const rounds = Number(process.argv[2] ?? 2000);
const rootKind = process.argv[3] ?? 'world';

const names = new Map<Function, string>();
const byName = new Map<string, Function>();
const userName = (fn: Function): string | undefined => names.get(fn);
const userFunction = (name: string): Function | undefined => byName.get(name);
let unregistered = 0;

/** Register every class reachable from `root` that is not yet, and name every function outside the code table. */
function adopt(root: unknown): void {
  const seen = new Set<unknown>();
  const queue: unknown[] = [root];
  const push = (v: unknown): void => {
    if ((typeof v === 'object' && v !== null) || typeof v === 'function') if (!seen.has(v)) (seen.add(v), queue.push(v));
  };
  while (queue.length) {
    const v = queue.pop()!;
    if (typeof v === 'function') {
      const stamp = codeStamp(v);
      if (stamp) stamp.args?.forEach(push);
      else if (!names.has(v)) (names.set(v, `fn#${names.size}`), byName.set(`fn#${names.size - 1}`, v));
      continue;
    }
    const obj = v as object;
    if (constantName(obj) !== undefined || ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) continue;
    if (obj instanceof Map) for (const [k, x] of obj) (push(k), push(x));
    else if (obj instanceof Set) for (const x of obj) push(x);
    const proto = Object.getPrototypeOf(obj) as { constructor?: Function } | null;
    const plain = proto === null || proto === Object.prototype || proto === Array.prototype || proto === Map.prototype || proto === Set.prototype;
    if (!plain && !registeredClass(obj)) {
      persistable(`bench:${proto?.constructor?.name}#${unregistered++}`, proto!.constructor as new () => object);
    }
    const transient = registeredClass(obj)?.spec.transient;
    for (const key of Object.keys(obj)) {
      if (obj instanceof MachineCell && (key === 'memo' || key === 'node')) continue;
      if (!transient?.includes(key)) push((obj as Record<string, unknown>)[key]);
    }
  }
}

/** A 32-bit FNV-1a over the stream: what a state key costs without building JSON. */
class HashSink implements GraphSink {
  h = 0x811c9dc5;
  private mix(s: string): void {
    let h = this.h;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    this.h = h;
  }
  begin(id: number, kind: string, name: string | undefined): void {
    this.mix(kind);
    if (name !== undefined) this.mix(name);
  }
  key(key: string): void {
    this.mix(key);
  }
  value(v: unknown): void {
    this.mix(typeof v === 'string' ? v : String(v));
  }
  ref(id: number): void {
    this.h = Math.imul(this.h ^ (id + 0x9e3779b9), 0x01000193);
  }
  named(tag: string, name: string): void {
    this.mix(name);
  }
  hole(): void {
    this.mix('hole');
  }
  bytes(b: Uint8Array): void {
    for (const x of b) this.h = Math.imul(this.h ^ x, 0x01000193);
  }
  end(): void {
    this.h = Math.imul(this.h ^ 0x3b, 0x01000193);
  }
}

/** CPU time of this process in µs (user + system): steadier than wall time on a shared machine. */
const cpuUs = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** Median µs of CPU time per call, over batches of calls. */
function medianUs(fn: () => unknown, n: number): number {
  const samples: number[] = [];
  const batch = 20;
  // Warm up first (compiled code, settled inline caches): else the first measure is mostly the JIT's.
  for (let i = 0; i < Math.min(n, 500); i++) fn();
  for (let r = 0; r < Math.max(5, Math.floor(n / batch)); r++) {
    const t0 = cpuUs();
    for (let i = 0; i < batch; i++) fn();
    samples.push((cpuUs() - t0) / batch);
  }
  samples.sort((a, b) => a - b);
  return Math.round(samples[samples.length >> 1] * 10) / 10;
}

/** Copies kept alive a while, as an explorer's frontier keeps them (V8 tenures what survives: GC differs). */
const kept: unknown[] = [];
let keptAt = 0;

function measure(label: string, world: World, rebuild: () => World): void {
  const root: unknown = rootKind === 'vmm' ? world.vmm : world;
  adopt(root);
  const graph = writeGraph(root, { userName });
  const json = JSON.stringify(graph);
  const packed = packGraph(root, { userName });
  const figures = {
    objects: graph.objects.length,
    bytes: json.length,
    copyUs: medianUs(() => copyGraph(root, { userName }), rounds),
    copyKeptUs: medianUs(() => (kept[keptAt++ & 255] = copyGraph(root, { userName })), rounds),
    keyUs: medianUs(() => graphKey(root, { userName }), rounds),
    hashUs: medianUs(() => encodeGraph(root, new HashSink(), { userName, skipHistory: true }), rounds),
    keyChars: graphKey(root, { userName }).length,
    writeUs: medianUs(() => JSON.stringify(writeGraph(root, { userName })), rounds / 4),
    readUs: medianUs(() => readGraph(JSON.parse(json), { userFunction }), rounds / 4),
    packUs: medianUs(() => packGraph(root, { userName }), rounds / 4),
    unpackUs: medianUs(() => unpackGraph(packed, { userFunction }), rounds / 4),
    packBytes: packed.length,
    rebuildUs: medianUs(rebuild, rounds / 20),
    unregistered,
    closures: names.size,
  };
  console.log(label, JSON.stringify(figures));
}

/** A world `stepsWanted(total)` steps into a run on choice 0, and how to rebuild it (World.build + replay: what a copy replaces). */
function runTo(scenario: string, stepsWanted: (total: number) => number): [World, () => World] {
  const spec = parseScenario(JSON.parse(scenario));
  let total = 0;
  for (const w = World.build(spec, { properties: [] }); !w.terminal; total++) w.step(0);
  const n = stepsWanted(total);
  const rebuild = (): World => {
    const world = World.build(spec, { properties: [] });
    for (let i = 0; i < n; i++) world.step(0);
    return world;
  };
  return [rebuild(), rebuild];
}

measure(`race 4 vCPUs mid-run (${rootKind})`, ...runTo('{"cpus":4,"clients":[["powerOn","suspend"],["powerOff"]]}', (t) => t >> 1));
measure(`idle 4-vCPU VM (${rootKind})`, ...runTo('{"cpus":4,"clients":[["powerOn"]]}', (t) => t));
