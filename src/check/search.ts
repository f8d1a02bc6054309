/**
 * The search strategies over an Explorer: breadth-first (default; the first counterexample is a shortest one;
 * worlds are parked at states waiting to be expanded, so expanding them needs no rebuild: parked.ts),
 * depth-first (steps the live world and rebuilds only when it backtracks), and seeded random walks. All apply
 * partial-order reduction through Explorer.choices() with the cycle proviso: a reduced state whose one successor
 * was already known is expanded fully.
 */
import { Prng } from '../sched/prng.js';
import type { Explorer } from './explorer.js';
import { checkpointer, resumeAt } from './checkpoint/checkpoint.js';
import { ParkedWorlds } from './parked.js';
import { showsViolation } from './explorer.js';
import { World } from './world.js';

export const DEFAULTS = { maxStates: 2_000_000, maxDepth: 5_000, walks: 1_000 };
/** Breadth-first search parks at most this many worlds at frontier states by default (about 30 KB each). */
export const PARKED_WORLDS_MAX = 4096;
/**
 * From this depth on, breadth-first search expands a state's further choices from copies of its world
 * (copyGraph) rather than rebuilding and replaying its prefix. Nearer the root a rebuild is cheaper than a copy
 * and the garbage it leaves (measured, no reductions: the 5- and 6-vCPU race lose 0–10 % with 48, up to 50 % with
 * 16; Save ∥ Suspend ∥ PowerOff on 2 vCPUs, timers any, gains 30 %: 22.4 → 15.7 s, rebuilds 6,559 → 4,606).
 */
export const COPY_DEPTH_MIN = 48;

export async function breadthFirst(x: Explorer): Promise<void> {
  const parked = new ParkedWorlds(x.options.parkedWorlds ?? PARKED_WORLDS_MAX, !x.symmetry.active);
  const copyDepth = x.options.copyDepth ?? COPY_DEPTH_MIN;
  const start = resumeAt(x); // a checkpoint's head: parked worlds are a cache, rebuilt from prefixes
  if (start === null) {
    const root = World.build(x.scenario, { ...x.worldOptions, observeCreation: true });
    x.discover(root, -1, 0, 0);
    if (x.check(root, () => [])) return;
    parked.park(0, root);
  }
  const saver = checkpointer(x);
  for (let head = start ?? 0; head < x.table.size; head++) {
    x.frontier = x.table.size - head;
    if (await x.pause()) return saver?.stop(head);
    saver?.tick(head);
    const depth = x.table.depth[head]!;
    if (depth >= x.maxDepth) {
      parked.drop(head);
      x.bound ??= 'maxDepth';
      continue;
    }
    let taken = parked.take(head);
    let world: World | undefined = taken?.world ?? x.rebuild(head);
    let spare: World | undefined;
    const choices = x.choices(world);
    const all = world.choiceCount();
    for (let k = 0; k < choices.length; k++) {
      const choice = choices[k]!;
      if (choice === -1) break;
      if (!world) {
        taken = parked.take(head);
        world = taken?.world ?? x.rebuild(head);
      }
      const own = world === taken?.world ? taken.own : undefined; // the world came by another path
      // The state's next choice starts from a copy of this world (taking the same path), not from a rebuild.
      if (depth >= copyDepth && k + 1 < choices.length && choices[k + 1] !== -1) {
        const copy = x.copy(world);
        taken = { world: copy, own };
        spare = copy;
      }
      world.step(choice);
      x.transitions++;
      const found = x.discover(world, head, choice, depth + 1);
      if (own && world.violation && !x.violation) reportExactly(x, world, head, choice, [...x.table.prefix(own.base), ...own.tail, choice]);
      if (x.check(world, () => [...x.table.prefix(head), choice])) return;
      const next = own ? { base: own.base, tail: [...own.tail, choice] } : undefined;
      if (found >= 0) parked.park(found, world, next);
      else if (-1 - found > head) parked.parkAnother(-1 - found, world, next ?? { base: head, tail: [choice] });
      world = spare;
      spare = undefined;
      // Proviso: a reduced state whose one successor is already known is expanded fully.
      if (choices[1] === -1 && k === 0 && found < 0) {
        choices.length = 0;
        for (let i = 0; i < all; i++) if (i !== choice) choices.push(i);
        k = -1;
      }
      if (x.table.size >= x.maxStates) {
        x.bound = 'maxStates';
        return;
      }
    }
    parked.drop(head);
  }
}

/**
 * A violation in a world that came by another path: the table's path (as short) is reported when it shows the
 * same violation, as it must when the state key is complete; otherwise the world's own path, which replays.
 */
function reportExactly(x: Explorer, world: World, head: number, choice: number, own: number[]): void {
  if (!showsViolation(x.rebuild(head), choice, world.violation!)) x.violation = { violation: world.violation!, choices: own };
}

export async function depthFirst(x: Explorer): Promise<void> {
  let live = World.build(x.scenario, { ...x.worldOptions, observeCreation: true });
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
    if (await x.pause()) return;
    const top = stack[stack.length - 1]!;
    if (top.next >= top.choices.length) {
      stack.pop();
      continue;
    }
    const choice = top.choices[top.next++]!;
    if (liveAt !== top.index) live = x.rebuild(top.index);
    const all = live.choiceCount();
    live.step(choice);
    x.transitions++;
    const found = x.discover(live, top.index, choice, x.table.depth[top.index]! + 1);
    if (x.check(live, () => [...path(), choice])) return;
    if (top.reduced && found < 0) {
      top.reduced = false;
      for (let i = 0; i < all; i++) if (i !== choice) top.choices.push(i);
    }
    if (x.table.size >= x.maxStates) {
      x.bound = 'maxStates';
      return;
    }
    liveAt = found;
    if (found >= 0) push(found, live);
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
      if (await x.pause()) return;
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
