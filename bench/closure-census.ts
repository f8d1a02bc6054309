/**
 * Which closures and unregistered classes a checker world holds, step by step (npx tsx bench/closure-census.ts [scenario-json]).
 * The snapshot work (issue 12) drives this to empty.
 */
import { World } from '../src/check/world.js';
import { parseScenario } from '../src/check/scenario.js';
import { census } from '../src/persist/walk.js';
const spec = parseScenario(JSON.parse(process.argv[2] ?? '{"cpus":2,"timers":"any","clients":[["powerOn","save"],["suspend"],["powerOff"]]}'));
const world = World.build(spec, { properties: [] });
const closures = new Map<string, number>(); const classes = new Map<string,string>();
let steps = 0;
for (let i = 0; i < 200 && !world.terminal; i++) {
  world.step(i % world.choiceCount()); steps++;
  const c = census(world.vmm.gvmm ? (world.vmm as any) : world);
  for (const p of c.closures.filter(x=>!process.env.NOCL)) { const k = p.replace(/\d+/g, 'N'); closures.set(k, (closures.get(k) ?? 0) + 1); }
  for (const [n, p] of c.classes) if (!classes.has(n)) classes.set(n, p);
}
console.log('steps', steps);
console.log('CLOSURES'); for (const [k, n] of [...closures].sort()) console.log(n, k);
console.log('CLASSES'); for (const [k, p] of classes) console.log(k, p);
