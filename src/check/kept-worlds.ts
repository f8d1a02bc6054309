/**
 * Worlds kept at states for later expansion: breadth-first search keeps the world that discovered each frontier
 * state, depth-first search a copy at each stack frame with choices left. A kept world stays live while the live
 * ones fit the memory budget (bytes; estimated per world from its snapshot's size, sampled now and then), and
 * beyond it is kept as a compact snapshot (world-snapshot.ts) and revived when taken. A search may instead let a
 * world go when rebuilding it is cheaper (`rebuildable`: nearer the root than ExploreOptions.copyDepth).
 *
 * Spares (breadth-first): a world that steps into a known state still waiting to be expanded is kept there too
 * when its choice signature is the state's (parked.ts), and serves one more of the state's choices in place of a
 * copy or a rebuild (so a state keeps fewer spares than it has choices). Such a world took another path than the
 * table's: it carries that path (a base state's table prefix and the choices after it), for reporting a violation
 * exactly. No spares under symmetry (a world reaching a state through a renaming numbers its vCPUs differently),
 * none beyond the budget.
 */
import type { Explorer } from './explorer.js';
import { OwnSteps } from './own-steps.js';
import { sameChoices } from './parked.js';
import type { World } from './world.js';
import { WorldSnapshots } from './world-snapshot.js';

/**
 * Live worlds kept by default: 512 MiB (about 45,000 worlds of the 4-vCPU race, estimated as world-snapshot.ts
 * does); snapshots beyond (packing and unpacking a world costs ~10 copies of it, and beyond the budget no spares are
 * kept). Race on 7 vCPUs, reductions off (85,477 states), on the search thread, with the estimate of stop 16 (3×
 * the packed length, ~2.5× the heap a world holds): 128 MiB 44 s (25,350 snapshots, 149,176 copies), 256 MiB
 * 17.8 s, 512 MiB 12.9 s (none, 101,854 copies); on the main thread 34.2 → 13.9 CPU s. Stop 19 (1.5×, and faster
 * packing): 128 MiB 27.1 → 16.7 s cold (24,151 → 7,072 snapshots; peak RSS 994 → 1,136 MB). At most a quarter of
 * the heap (keptWorldBudget).
 */
export const KEPT_WORLD_BYTES = 512 << 20;

/**
 * The default budget on a heap of `heapLimit` bytes (v8.getHeapStatistics().heap_size_limit of the thread that
 * searches): KEPT_WORLD_BYTES, or a quarter of the heap where that is less (a small --max-old-space-size or worker
 * resourceLimits), leaving the rest to the tables, the frontier and the garbage of copying.
 */
export function keptWorldBudget(heapLimit: number): number {
  return Math.min(KEPT_WORLD_BYTES, Math.floor(heapLimit / 4));
}
/**
 * Re-estimate a live world's size at live worlds kept number 0, 1, 4, 16, 64 … (powers of 4: every power of 2
 * made the estimates 4 % of the race on 5 vCPUs with reductions), then every this many (worlds grow as runs go on;
 * an estimate costs ~2 ms, 1.5 % of the race on 6 vCPUs without reductions when taken every 1,024).
 */
const SAMPLE_EVERY = 8192;
const sampling = (n: number): boolean => (n < SAMPLE_EVERY ? (n & (n - 1)) === 0 && (n & 0x2aaa) === 0 : n % SAMPLE_EVERY === 0);

/** Whether one more live world fits a budget of bytes: a world's size (`liveBytes`) re-estimated now and then (sampling). */
export class WorldBudget {
  #asked = 0;
  /** The largest live world estimated so far. */
  worldBytes = 0;

  constructor(
    readonly bytes: number,
    readonly liveBytes: (world: World) => number,
  ) {}

  fits(live: number, world: World): boolean {
    if (sampling(this.#asked++)) this.worldBytes = Math.max(this.worldBytes, this.liveBytes(world));
    return (live + 1) * this.worldBytes <= this.bytes;
  }
}

/** A world's path when it is not the table's: the table prefix of `base`, then `tail`. */
export interface OwnPath {
  base: number;
  tail: number[];
}

/** A kept world: live or a snapshot, and its path when not the table's. */
interface Kept {
  world: World | Uint8Array;
  own: OwnPath | undefined;
}

export class KeptWorlds {
  readonly #at = new Map<number, Kept>();
  readonly #spares = new Map<number, Kept[]>();
  #live = 0;
  readonly #budget: WorldBudget;
  #snapshotBytes = 0;
  readonly #snapshots: WorldSnapshots;

  constructor(
    readonly x: Explorer,
    readonly budget: number,
    readonly spares: boolean,
  ) {
    this.#snapshots = new WorldSnapshots(x.userFunctions);
    this.#budget = new WorldBudget(budget, (world) => this.#snapshots.liveBytes(world));
  }

  /** Keep `world` for state `index` (`own`: its path, when not the table's); `rebuildable`: let it go rather than snapshot it. */
  keep(index: number, world: World, rebuildable: boolean, own?: OwnPath): void {
    if (this.#fits(world)) {
      this.#at.set(index, { world, own });
      this.#live++;
    } else if (!rebuildable) {
      const bytes = this.#snapshots.freeze(world);
      this.#at.set(index, { world: bytes, own });
      this.#snapshotBytes += bytes.length;
      this.x.snapshots++;
    } else return;
    this.#peak();
  }

  /**
   * A world at known state `index`, by its own path (`own`, or the table's prefix of `base`, then `choice`): kept
   * as a spare when the state waits with a live world of the same choice signature.
   */
  keepSpare(index: number, world: World, own: OwnPath | undefined, base: number, choice: number): void {
    const first = this.#at.get(index)?.world;
    if (!this.spares || first === undefined || first instanceof Uint8Array) return;
    // Enough: the state's other choices have a world each (beyond, a spare would only wait to be dropped: 26,265 of
    // 59,841 at the race on 6 vCPUs without reductions, each a live world that survives into the old generation).
    const list = this.#spares.get(index);
    if ((list?.length ?? 0) + 1 >= first.choiceCount() || !this.#fits(world)) return;
    if (!sameChoices(first, world)) return;
    const kept = { world, own: OwnSteps.extend(own, base, choice) };
    if (list) list.push(kept);
    else this.#spares.set(index, [kept]);
    this.#live++;
    this.#peak();
  }

  /** Whether a world is kept for `index`. */
  has(index: number): boolean {
    return this.#at.has(index) || this.#spares.has(index);
  }

  /** A world kept for `index` (revived from its snapshot if need be) and its path when not the table's; no longer kept. */
  take(index: number): { world: World; own: OwnPath | undefined } | undefined {
    const kept = this.#remove(index);
    if (kept === undefined || !(kept.world instanceof Uint8Array)) return kept as { world: World; own: OwnPath | undefined } | undefined;
    const world = this.#snapshots.thaw(kept.world);
    world.attachCoverage(this.x.coverage);
    return { world, own: kept.own };
  }

  /** Let every world kept for `index` go. */
  drop(index: number): void {
    while (this.#remove(index) !== undefined);
  }

  /** What the kept worlds hold now: live ones by estimate, snapshots by size. */
  get bytes(): number {
    return this.#live * this.#budget.worldBytes + this.#snapshotBytes;
  }

  #remove(index: number): Kept | undefined {
    let kept = this.#at.get(index);
    if (kept !== undefined) this.#at.delete(index);
    else {
      const list = this.#spares.get(index);
      kept = list?.pop();
      if (list?.length === 0) this.#spares.delete(index);
    }
    if (kept?.world instanceof Uint8Array) this.#snapshotBytes -= kept.world.length;
    else if (kept !== undefined) this.#live--;
    return kept;
  }

  #fits(world: World): boolean {
    return this.#budget.fits(this.#live, world);
  }

  #peak(): void {
    this.x.keptBytesPeak = Math.max(this.x.keptBytesPeak, this.bytes);
  }
}
