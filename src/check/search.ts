/**
 * The search strategies over an Explorer: breadth-first (default; the first counterexample is a shortest one),
 * depth-first, and seeded random walks. A state is expanded from the world that discovered it, each of its
 * choices but the last taken by a fresh copy of that world (copyGraph), so no world is rebuilt and no prefix replayed:
 * breadth-first search keeps the discovering world at each frontier state, depth-first search a copy at each
 * stack frame with choices left (kept-worlds.ts: live within a memory budget, snapshots beyond). Every world
 * therefore took the table's own path, and the table's choices mean at a state what they mean to the world
 * expanded there. `copyDepth` makes the trade explicit: nearer the root than it, a state's further choices
 * rebuild and replay their prefix instead (cheaper while a copy costs more than a short replay). All apply
 * partial-order reduction through Explorer.choices() with a cycle proviso. Breadth-first search's (proviso.ts)
 * is decided from the table and never needs a reduced state's world after its one step (but on a cycle of reduced
 * steps alone, rebuilt), so nothing is copied ahead of it. Depth-first search's expands fully a reduced state whose
 * one successor was already known, from a copy taken before its one choice or from a rebuild, whichever the
 * proviso's rate so far says is cheaper (CopyAhead, with provisoRebuilds; by default always the copy). Breadth-first
 * search also keeps spare worlds that step into a waiting state (kept-worlds.ts), used in place of copies.
 */
import { getHeapStatistics } from 'node:v8';
import { Prng } from '../sched/prng.js';
import type { Explorer } from './explorer.js';
import { checkpointer, resumeAt } from './checkpoint/checkpoint.js';
import { KeptWorlds, keptWorldBudget, type OwnPath } from './kept-worlds.js';
import { showsViolation } from './explorer.js';
import { OwnSteps } from './own-steps.js';
import { CycleProviso } from './proviso.js';
import { World } from './world.js';

export const DEFAULTS = { maxStates: 2_000_000, maxDepth: 5_000, walks: 1_000 };
/** The workers' parked worlds (parallel.ts): at most this many by default (about 30 KB each). */
export const PARKED_WORLDS_MAX = 4096;
/**
 * From this depth on, a state's further choices start from copies of its world (copyGraph) rather than from a
 * rebuild that replays its prefix, and a kept world beyond the memory budget is snapshotted rather than let go.
 * Default 0: never replay. Since copies cost ~45 µs (bench/copy-world.ts; 23–30 µs since stop 15) no-replay is as
 * fast or faster than copying only from depth 48 on every case of bench/check-copies.ts (race N = 6 without
 * reductions 10.1 → 8.9 CPU s; Save ∥ Suspend ∥ PowerOff on 2 vCPUs, timers any, 6.1 → 4.4 s); a larger depth
 * trades replays for memory.
 */
export const COPY_DEPTH = 0;

/**
 * A copy costs about as much as replaying this many steps: in the race's CPU profile a copy took 60–90 µs and a
 * replayed step 4–6 µs (a rebuild starts from a copy of a root world: Explorer.rebuildAlong). Race N = 4 / 5 / 6
 * with reductions, warm CPU s: 0.10 / 0.17 / 0.27 at 5, 0.07 / 0.12 / 0.18 at 10, 0.06 / 0.09 / 0.18 at 20.
 */
export const REPLAY_STEPS_PER_COPY = 16;

/**
 * Depth-first search: whether a reduced state's world is copied before its one choice, in case the cycle proviso
 * asks for the rest: a copy at every reduced state, or a rebuild (a copy and `depth` replayed steps) at those where
 * the proviso asks. The rate it asks at, counted over this search's reduced states so far, decides (the race on 5
 * vCPUs asked at 304 of 1,502; Save ∥ Suspend ∥ PowerOff about half). Only the copies and rebuilds counts depend on it.
 */
export class CopyAhead {
  #reduced = 0;
  #asked = 0;
  constructor(readonly always: boolean) {}
  wanted(depth: number): boolean {
    return this.always || ((this.#asked + 1) / (this.#reduced + 2)) * (1 + depth / REPLAY_STEPS_PER_COPY) > 1;
  }
  /** A reduced state was expanded; `asked`: its one successor was known, so the proviso asked for the rest. */
  met(asked: boolean): void {
    this.#reduced++;
    if (asked) this.#asked++;
  }
}

/** The worlds a search keeps, and from which depth it copies rather than rebuilds. */
function keeping(x: Explorer, spares: boolean): { kept: KeptWorlds; copyDepth: number } {
  // The heap of the thread searching here (a search thread's or a worker's may differ from the main thread's).
  const budget = x.options.keptWorldBytes ?? keptWorldBudget(getHeapStatistics().heap_size_limit);
  return { kept: new KeptWorlds(x, budget, spares), copyDepth: x.copyDepth };
}

export async function breadthFirst(x: Explorer): Promise<void> {
  const { kept, copyDepth } = keeping(x, !x.symmetry.active);
  const proviso = new CycleProviso();
  // A checkpoint's head: kept worlds are not saved, so a resumed run rebuilds each frontier state once.
  const start = resumeAt(x, proviso);
  if (start === null) {
    const root = World.build(x.scenario, { ...x.worldOptions, observeCreation: true });
    x.discover(root, -1, 0, 0);
    if (x.check(root, () => [])) return;
    kept.keep(0, root, 0 < copyDepth);
  }
  const saver = checkpointer(x, proviso);
  for (let head = start ?? 0; head < x.table.size; head++) {
    x.frontier = x.table.size - head;
    if (x.pauseDue() && (await x.pause())) return saver?.stop(head);
    saver?.tick(head);
    const depth = x.table.depth[head]!;
    if (depth >= x.maxDepth) {
      kept.drop(head);
      x.bound ??= 'maxDepth';
      continue;
    }
    const copying = depth >= copyDepth;
    // A kept world (the discovering one first), or one rebuilt: nearer the root than copyDepth, or resumed.
    const worldAt = (): { world: World; own: OwnPath | undefined } => kept.take(head) ?? { world: x.rebuild(head), own: undefined };
    let { world, own }: { world: World | undefined; own: OwnPath | undefined } = worldAt(); // own: a spare's path
    const choices = x.choices(world);
    const all = world.choiceCount();
    const reduced = choices[1] === -1;
    if (!reduced) proviso.expandedFully(head);
    const call = reduced && CycleProviso.callStep(world.actorSlot(choices[0]!), world.core.cCpus); // copied ahead
    for (let k = 0; k < choices.length; k++) {
      const choice = choices[k]!;
      if (choice === -1) break;
      if (!world) ({ world, own } = worldAt());
      // The next choice starts from a spare or a copy of this world; a reduced state's one choice, but a call's, is
      // taken by the world itself (CycleProviso: the rest is wanted only where it closes a cycle of reduced steps).
      const further = k + 1 < choices.length && (choices[k + 1] !== -1 || call);
      // A fresh copy takes this choice and the older world waits for the next: the step and the key then read
      // objects the copy has just written, still in the cache (race N = 6 reductions off: ~8 % less CPU).
      let spare: World | undefined;
      if (copying && further && !kept.has(head)) {
        spare = world;
        world = x.copy(world);
      }
      world.step(choice);
      x.transitions++;
      const found = x.discover(world, head, choice, depth + 1);
      if (own && world.violation && !x.violation) reportExactly(x, world, head, choice, [...x.table.prefix(own.base), ...own.tail, choice]);
      if ((world.violation || x.violation) && x.check(world, () => [...x.table.prefix(head), choice])) return;
      if (found >= 0) kept.keep(found, world, depth + 1 < copyDepth, own ? OwnSteps.extend(own, head, choice) : undefined);
      else if (-1 - found > head) kept.keepSpare(-1 - found, world, own, head, choice);
      world = spare;
      // Proviso: a reduced state whose one step closes a cycle of reduced steps, or a call's into a known state.
      if (k === 0 && choices[1] === -1 && proviso.reducedStep(head, found < 0 ? -1 - found : found, found < 0, call)) {
        choices.length = 0;
        for (let i = 0; i < all; i++) if (i !== choice) choices.push(i);
        k = -1;
      }
      if (x.table.size >= x.maxStates) {
        x.bound = 'maxStates';
        return;
      }
    }
    kept.drop(head);
  }
}

/**
 * A violation in a spare world (another path): the table's path (as short) is reported when it shows the same
 * violation, as it must when the state key is complete; otherwise the world's own path. Reporting, not search:
 * the check replays the table's path as a counterexample trace would, uncounted.
 */
function reportExactly(x: Explorer, world: World, head: number, choice: number, own: number[]): void {
  if (!showsViolation(x.replay(x.table.prefix(head)), choice, world.violation!)) x.violation = { violation: world.violation!, choices: own };
}

export async function depthFirst(x: Explorer): Promise<void> {
  const { kept, copyDepth } = keeping(x, false);
  const ahead = new CopyAhead(x.provisoCopies);
  let live: World | undefined = World.build(x.scenario, { ...x.worldOptions, observeCreation: true });
  let liveAt = x.discover(live, -1, 0, 0);
  if (x.check(live, () => [])) return;
  const stack: { index: number; choices: number[]; next: number; reduced: boolean }[] = [];
  const push = (index: number, world: World) => {
    const choices = x.table.depth[index]! >= x.maxDepth ? [] : x.choices(world);
    if (choices.length === 0 && x.table.depth[index]! >= x.maxDepth) x.bound ??= 'maxDepth';
    const reduced = choices[1] === -1;
    if (reduced) choices.length = 1;
    stack.push({ index, choices, next: 0, reduced });
  };
  push(0, live);
  const path = (): number[] => x.table.prefix(stack[stack.length - 1]!.index);
  while (stack.length > 0) {
    x.frontier = stack.length;
    if (x.pauseDue() && (await x.pause())) return;
    const top = stack[stack.length - 1]!;
    if (top.next >= top.choices.length) {
      kept.drop(top.index);
      stack.pop();
      continue;
    }
    const choice = top.choices[top.next++]!;
    let world: World = liveAt === top.index && live ? live : kept.take(top.index)?.world ?? x.rebuild(top.index);
    const depth = x.table.depth[top.index]!;
    // The frame keeps a world for its next choice (a reduced one: in case the proviso asks, unless CopyAhead says a
    // rebuild is cheaper); nearer the root than copyDepth, backtracking rebuilds instead. As in breadthFirst, the
    // fresh copy takes the step and the older world is kept.
    if (depth >= copyDepth && (top.next < top.choices.length || (top.reduced && ahead.wanted(depth)))) {
      const copy = x.copy(world);
      kept.keep(top.index, world, false);
      world = copy;
    }
    const all = world.choiceCount();
    world.step(choice);
    x.transitions++;
    const found = x.discover(world, top.index, choice, depth + 1);
    if (x.check(world, () => [...path(), choice])) return;
    if (top.reduced) {
      ahead.met(found < 0);
      top.reduced = false;
      if (found >= 0) kept.drop(top.index);
      else for (let i = 0; i < all; i++) if (i !== choice) top.choices.push(i);
    }
    if (x.table.size >= x.maxStates) {
      x.bound = 'maxStates';
      return;
    }
    live = world;
    liveAt = found;
    if (found >= 0) push(found, world);
  }
}

export async function randomWalks(x: Explorer): Promise<void> {
  const prng = new Prng(x.options.seed ?? 1);
  const walks = x.options.walks ?? DEFAULTS.walks;
  for (let walk = 0; walk < walks; walk++) {
    const world = World.build(x.scenario, { ...x.worldOptions, observeCreation: walk === 0 });
    let at = x.discover(world, -1, 0, 0);
    at = at < 0 ? -1 - at : at;
    const choices: number[] = [];
    if (x.check(world, () => [])) return;
    while (world.depth < x.maxDepth) {
      if (x.pauseDue() && (await x.pause())) return;
      const n = world.choiceCount();
      if (n === 0) break;
      const choice = prng.int(n);
      world.step(choice);
      choices.push(choice);
      x.transitions++;
      const found = x.discover(world, at, choice, world.depth);
      at = found < 0 ? -1 - found : found;
      if (x.check(world, () => [...choices])) return;
      if (x.table.size >= x.maxStates) {
        x.bound = 'maxStates';
        return;
      }
    }
    if (world.depth >= x.maxDepth) x.bound ??= 'maxDepth';
  }
  x.bound ??= 'walks';
}
