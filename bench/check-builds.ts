/**
 * Two builds of this project side by side in one process, alternating, so the machine's other load weighs on both
 * alike (on a shared 2-core machine single runs move by 1.5×): whole breadth-first runs of the race (A: powerOn →
 * suspend ∥ B: powerOff on N vCPUs, reductions off, pretenuring off as `vmm-actors check` runs), CPU seconds per
 * run after two untimed warm-ups each, and the hand state key's µs per world over the race's first distinct states
 * (copied worlds, keyed many times: a warm figure, the key alone). Each build is a checkout built with
 * `npx tsc -p tsconfig.build.json` (its dist/); for example the branch against its base:
 * `git worktree add /tmp/base <commit> && ln -s $PWD/node_modules /tmp/base/ && (cd /tmp/base && npx tsc -p tsconfig.build.json)`.
 *
 * Run: `npm run build && node dist/bench/check-builds.js <checkout A> <checkout B> [N=6] [rounds=4] [worlds=200]`.
 */
import { resolve } from 'node:path';
import { disablePretenuring } from '../src/check/gc-tuning.js';

interface Build {
  name: string;
  explore: (scenario: unknown, options: object) => Promise<{ states: number }>;
  keyWorlds: () => { key: () => void; worlds: number };
  cpu: number[];
  keyUs: number[];
  states: number;
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

async function load(dir: string, cpus: number, maxWorlds: number): Promise<Build> {
  const dist = resolve(dir, 'dist/src/check');
  const { explore } = await import(`${dist}/explore.js`);
  const { Explorer } = await import(`${dist}/explorer.js`);
  const { parseScenario } = await import(`${dist}/scenario.js`);
  const { World } = await import(`${dist}/world.js`);
  const keyWorlds = () => {
    const x = new Explorer(parseScenario(race(cpus)), { symmetry: false, por: false, liveness: false });
    const seen = new Set<string>();
    const worlds = [World.build(x.scenario, x.worldOptions)];
    for (let q = 0; q < worlds.length && worlds.length < maxWorlds; q++) {
      for (let c = 0; c < worlds[q].choiceCount(); c++) {
        const next = x.copy(worlds[q]);
        next.step(c);
        x.hash(next);
        const key = `${x.key.hi}:${x.key.lo}`;
        if (seen.has(key)) continue;
        seen.add(key);
        worlds.push(next);
      }
    }
    return { key: () => worlds.forEach((w: unknown) => x.hash(w)), worlds: worlds.length };
  };
  return { name: dir, explore, keyWorlds, cpu: [], keyUs: [], states: 0 };
}

const race = (cpus: number) => ({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });

export async function main(): Promise<void> {
  const [a, b, n = '6', r = '4', w = '200'] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: check-builds <checkout A> <checkout B> [N] [rounds] [worlds]');
  const cpus = Number(n);
  disablePretenuring();
  const builds = [await load(a, cpus, Number(w)), await load(b, cpus, Number(w))];
  const options = { por: false, symmetry: false };
  for (const build of builds) for (let i = 0; i < 2; i++) await build.explore(race(cpus), options);
  const keyed = builds.map((build) => build.keyWorlds());
  for (let round = 0; round < Number(r); round++) {
    for (const i of round % 2 ? [1, 0] : [0, 1]) {
      const build = builds[i]!;
      const start = process.cpuUsage();
      build.states = (await build.explore(race(cpus), options)).states;
      build.cpu.push(cpuSeconds(start));
      const keyStart = process.cpuUsage();
      for (let k = 0; k < 50; k++) keyed[i]!.key();
      build.keyUs.push((cpuSeconds(keyStart) * 1e6) / (50 * keyed[i]!.worlds));
    }
  }
  const spread = (xs: number[], digits: number) => {
    const sorted = [...xs].sort((p, q) => p - q);
    return `${sorted[0]!.toFixed(digits)}–${sorted[sorted.length - 1]!.toFixed(digits)} (median ${sorted[sorted.length >> 1]!.toFixed(digits)})`;
  };
  for (const build of builds) {
    console.log(`${build.name}: race N = ${cpus}, ${build.states.toLocaleString('en-US')} states: CPU s per run ${spread(build.cpu, 3)}; hand key µs per world ${spread(build.keyUs, 2)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
