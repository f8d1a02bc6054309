/**
 * Do two worlds have the same future? Settles a split between two keys (key-split.ts): where one key merges two
 * states and the other keeps them apart, the merge is sound exactly when the futures agree. The check is a
 * bisimulation over the product of both state spaces, exhaustive up to a bound: from the pair (a, b) every
 * choice of `a` is taken on both sides by the same actor (named by who it is, not by its index), and after every
 * step both sides must show the same observable state — VM state, vCPU states, each client's script position
 * and the statuses its calls returned, the violation, the outcome where a run ends. A pair whose snapshot keys
 * are equal has one future (the snapshot is the whole state); a pair met before is not walked again.
 */
import { copyGraph } from '../persist/graph.js';
import { endOfRun } from './explorer.js';
import { KeyWriter } from './key-writer.js';
import { encodeSnapshot } from './snapshot-key.js';
import type { World } from './world.js';

export interface FuturesVerdict {
  readonly same: boolean;
  /** Pairs of states compared. */
  readonly pairs: number;
  /** True when the bound cut the comparison short (`same` then covers what was compared). */
  readonly bounded: boolean;
  /** Where they part: the actors stepped from the start pair, and what each side shows there. */
  readonly parted?: { readonly path: readonly string[]; readonly a: string; readonly b: string };
}

const key = new KeyWriter();
function snapshotKey(world: World): string {
  encodeSnapshot(world, key, world.sched.clock.nowNs());
  key.hash();
  return `${key.hi}:${key.lo}`;
}

/** What an observer sees of a world (not its ids, not its history). */
export function observable(world: World): string {
  const core = world.core;
  const cpus = Array.from({ length: core.cCpus }, (_, c) => core.cpuState(c));
  const clients = world.clients.map((c) => [c.position, ...c.results]);
  return JSON.stringify([core.vmState, cpus, clients, world.violation?.property ?? null, endOfRun(world)]);
}

/**
 * The world's choices named by who takes them (an EMT by its vCPU — `position[cpu]` with symmetry's canonical
 * order —, a client, a call's thread, the timer): the same in two worlds of a merge.
 */
export function choiceTags(world: World, position?: readonly number[]): string[] {
  const tags = world.ready().map((actor) => {
    const cpu = world.core.emts.indexOf(actor as never);
    if (cpu >= 0) return `emt.${position?.[cpu] ?? cpu}`;
    const client = world.clients.indexOf(actor as never);
    if (client >= 0) return `client.${client}`;
    return world.labels.threadCall.get(actor as never)?.label ?? String(actor.id);
  });
  return world.timerChoice() ? [...tags, 'timer'] : tags;
}

/** Compare the futures of `a` and `b` (neither is stepped: both are copied) over at most `maxPairs` pairs. */
export function sameFutures(a: World, b: World, maxPairs = 20_000): FuturesVerdict {
  const seen = new Set<string>();
  const queue: { a: World; b: World; path: string[] }[] = [{ a, b, path: [] }];
  const first = [observable(a), observable(b)];
  if (first[0] !== first[1]) return { same: false, pairs: 0, bounded: false, parted: { path: [], a: first[0]!, b: first[1]! } };
  for (let q = 0; q < queue.length; q++) {
    const pair = queue[q]!;
    const ka = snapshotKey(pair.a);
    const kb = snapshotKey(pair.b);
    if (ka === kb || seen.has(`${ka}|${kb}`)) continue;
    if (seen.size >= maxPairs) return { same: true, pairs: seen.size, bounded: true };
    seen.add(`${ka}|${kb}`);
    if (pair.a.violation) continue;
    const tagsA = choiceTags(pair.a);
    const tagsB = choiceTags(pair.b);
    if ([...tagsA].sort().join() !== [...tagsB].sort().join()) {
      return { same: false, pairs: seen.size, bounded: false, parted: { path: pair.path, a: `can step ${tagsA.join(' ')}`, b: `can step ${tagsB.join(' ')}` } };
    }
    for (let i = 0; i < tagsA.length; i++) {
      const na = copyGraph(pair.a);
      const nb = copyGraph(pair.b);
      na.step(i);
      nb.step(tagsB.indexOf(tagsA[i]!));
      const path = [...pair.path, tagsA[i]!];
      const oa = observable(na);
      const ob = observable(nb);
      if (oa !== ob) return { same: false, pairs: seen.size, bounded: false, parted: { path, a: oa, b: ob } };
      queue.push({ a: na, b: nb, path });
    }
  }
  return { same: true, pairs: seen.size, bounded: false };
}
