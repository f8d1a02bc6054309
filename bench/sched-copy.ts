/**
 * The scheduler's share of a world copy: copyGraph and a JSON round trip of a DeterministicScheduler holding
 * 4 ready actors (registered records), 3 pending timers (one cancelled entry in the heap), a hold and a seeded
 * PRNG — about what a checker world's scheduler holds mid-run.
 *
 * Run: npx tsx bench/sched-copy.ts
 */
import { copyGraph, readGraph, writeGraph } from '../src/persist/graph.js';
import { persistable } from '../src/persist/registry.js';
import { DeterministicScheduler } from '../src/sched/deterministic.js';
import type { Steppable, TimerTarget } from '../src/sched/scheduler.js';

class Actor implements Steppable, TimerTarget {
  constructor(readonly id: string) {}
  step(): void {}
  timerFired(): void {}
}
persistable('bench.sched.Actor', Actor);

const sched = new DeterministicScheduler({ autoRun: false, record: false, policy: { kind: 'seeded', seed: 1 } });
const actors = [0, 1, 2, 3].map((i) => new Actor(`emt.${i}`));
for (const a of actors) sched.ready(a);
const root = { sched, actors, release: sched.hold() };
sched.clearTimer(sched.setTimer(5, 'emt.0/halt', { target: actors[0]!, event: 'halt' }));
for (const [i, a] of actors.slice(1).entries()) sched.setTimer(10 * (i + 1), `${a.id}/slice`, { target: a, event: 'slice' });

function usPer(n: number, once: () => unknown): number {
  for (let i = 0; i < 2000; i++) once();
  let best = Number.POSITIVE_INFINITY;
  for (let batch = 0; batch < 5; batch++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) once();
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / n);
  }
  return best;
}

const json = JSON.stringify(writeGraph(root));
console.log(`copyGraph            ${usPer(20_000, () => copyGraph(root)).toFixed(2)} µs CPU/op`);
console.log(`write+JSON+read      ${usPer(5_000, () => readGraph(JSON.parse(JSON.stringify(writeGraph(root))))).toFixed(2)} µs CPU/op`);
console.log(`snapshot bytes       ${json.length}`);
