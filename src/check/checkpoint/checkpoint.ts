/**
 * Long checks survive: breadth-first search writes its visited table, the table's parent/choice links (a
 * state is the choice prefix that reaches it, so the frontier is data: the states from `head` on), counters,
 * coverage, outcomes, the cycle proviso's links and the liveness graph to `<dir>/checkpoint.bin` every so
 * often, atomically (a temporary file, fsync, rename), and a later run resumes from it, expanding from `head` on
 * exactly as the uninterrupted run would: the same states, transitions, verdict and shortest counterexample.
 * Worlds kept at frontier states (kept-worlds.ts) are a cache and are not saved: a resumed run rebuilds each
 * frontier state once from its prefix, and from there on expands from copies as the uninterrupted run does.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { FileSink, fsErrorStatus } from '../../ssm/sinks.js';
import { join } from 'node:path';
import { VBoxError } from '../../status.js';
import { VERR_FILE_NOT_FOUND, VERR_NOT_SUPPORTED, VERR_SSM_INTEGRITY, VERR_SSM_INTEGRITY_SIZE, VERR_SSM_LOAD_CONFIG_MISMATCH } from '../../status/codes.js';
import type { Explorer } from '../explorer.js';
import type { ExploreOptions } from '../explore.js';
import type { CycleProviso } from '../proviso.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointData, type CheckpointIdentity } from './format.js';

export interface CheckpointOptions {
  /** The directory holding `checkpoint.bin` (created when missing). */
  dir: string;
  /** Write one at least this often, in ms of wall time (default 60 s). */
  everyMs?: number;
  /** Also write one whenever this many states were added since the last (tests; default: by time only). */
  everyStates?: number;
}

export const CHECKPOINT_FILE = 'checkpoint.bin';
export const CHECKPOINT_EVERY_MS = 60_000;
/** Far above any table the explorer can hold in memory (2,000,000 states by default, ~40 bytes each). */
export const CHECKPOINT_BYTES_MAX = 1 << 30;

/** The search must be one a checkpoint can describe: single-threaded breadth-first. */
export function checkCheckpointOptions(options: ExploreOptions): void {
  if (!options.checkpoint && options.resume === undefined) return;
  if ((options.mode ?? 'bfs') !== 'bfs' || (options.workers ?? 1) !== 1) {
    throw new VBoxError(VERR_NOT_SUPPORTED, 'checkpoint/resume: only single-threaded breadth-first search (mode bfs, one worker) is checkpointed');
  }
}

/** The scenario and every option that shapes the graph; bounds (maxStates, time) may change between runs. */
export function identityOf(x: Explorer): CheckpointIdentity {
  const o = x.options;
  return {
    scenario: x.scenario,
    options: {
      por: x.por,
      symmetry: x.symmetry.description,
      stateKey: o.stateKey ?? 'hand',
      liveness: x.liveness !== null,
      maxDepth: x.maxDepth,
      mutant: o.mutant ?? null,
      properties: (o.properties ?? []).map((p) => p.name),
      invariants: (o.invariants ?? []).map((i) => i.name),
    },
  };
}

/** When the next checkpoint is due: by wall time, or by states added. */
export class CheckpointClock {
  #lastNs: number;
  #lastStates: number;
  constructor(
    readonly options: CheckpointOptions,
    nowNs: number,
    states: number,
  ) {
    this.#lastNs = nowNs;
    this.#lastStates = states;
  }

  due(nowNs: number, states: number): boolean {
    const every = this.options.everyStates;
    if (nowNs - this.#lastNs < (this.options.everyMs ?? CHECKPOINT_EVERY_MS) * 1e6 && !(every !== undefined && states - this.#lastStates >= every)) return false;
    this.#lastNs = nowNs;
    this.#lastStates = states;
    return true;
  }
}

/** Write the search as it stands before expanding `head`. */
export function writeCheckpoint(x: Explorer, head: number, dir: string, proviso: CycleProviso): void {
  const states = x.table.size;
  const { hi, lo } = x.table.keys();
  const liveness = x.liveness?.exportArrays(states) ?? null;
  const data: CheckpointData = {
    header: {
      ...identityOf(x),
      head,
      states,
      edges: liveness?.src.length ?? 0,
      liveness: liveness !== null,
      transitions: x.transitions,
      depthReached: x.depthReached,
      maxDepthHit: x.bound === 'maxDepth',
      seconds: x.progress().seconds,
      outcomes: [...x.outcomes],
      coverage: x.coverage.seen(),
    },
    hi,
    lo,
    parent: x.table.parent.slice(0, states),
    choice: x.table.choice.slice(0, states),
    depth: x.table.depth.slice(0, states),
    proviso: proviso.links(states),
    liveness,
  };
  const bytes = encodeCheckpoint(data);
  // A checkpoint no resume could read is refused here, not after the run that wrote it.
  if (bytes.length > CHECKPOINT_BYTES_MAX) throw new VBoxError(VERR_SSM_INTEGRITY_SIZE, `checkpoint: ${bytes.length} bytes, more than the ${CHECKPOINT_BYTES_MAX} a checkpoint can be`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new VBoxError(fsErrorStatus(e), `checkpoint: cannot create the folder ${dir}: ${(e as Error).message}`);
  }
  // The saved-state layer's crash-safe file: a temp file, fsync, rename, folder fsync; VBox statuses naming it.
  const sink = new FileSink(join(dir, CHECKPOINT_FILE));
  try {
    sink.write(bytes);
    sink.commit();
  } catch (e) {
    sink.abort();
    throw e;
  }
}

/** Read `<dir>/checkpoint.bin`, bounded by its size (never past CHECKPOINT_BYTES_MAX). */
export function readCheckpoint(dir: string): CheckpointData {
  const path = join(dir, CHECKPOINT_FILE);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const status = fsErrorStatus(e);
    throw new VBoxError(status, status === VERR_FILE_NOT_FOUND ? `checkpoint: no ${path} to resume from` : `checkpoint: cannot open ${path}: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > CHECKPOINT_BYTES_MAX) throw new VBoxError(VERR_SSM_INTEGRITY_SIZE, `checkpoint: ${size} bytes, more than the ${CHECKPOINT_BYTES_MAX} a checkpoint can be`);
    const bytes = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, bytes, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return decodeCheckpoint(bytes.subarray(0, got));
  } finally {
    closeSync(fd);
  }
}

/** Load a checkpoint into a fresh explorer and proviso; returns the state to expand next. */
export function restoreCheckpoint(x: Explorer, data: CheckpointData, proviso: CycleProviso): number {
  const { header: h } = data;
  const mine = identityOf(x);
  for (const part of ['scenario', 'options'] as const) {
    if (JSON.stringify(h[part]) !== JSON.stringify(mine[part])) {
      throw new VBoxError(VERR_SSM_LOAD_CONFIG_MISMATCH, `checkpoint: written for another ${part} (${JSON.stringify(h[part])}, this run: ${JSON.stringify(mine[part])})`);
    }
  }
  for (let i = 0; i < h.states; i++) {
    if (x.table.get(data.hi[i]!, data.lo[i]!) >= 0) throw new VBoxError(VERR_SSM_INTEGRITY, `checkpoint: state ${i}'s key appears twice`);
    x.table.add(data.hi[i]!, data.lo[i]!, data.parent[i]!, data.choice[i]!, data.depth[i]!);
  }
  proviso.restore(data.proviso);
  if (data.liveness) x.liveness?.importArrays(data.liveness);
  x.transitions = h.transitions;
  x.depthReached = h.depthReached;
  if (h.maxDepthHit) x.bound = 'maxDepth';
  for (const o of h.outcomes) x.outcomes.add(o);
  x.coverage.restore(h.coverage);
  x.resumed = { seconds: h.seconds, states: h.states, transitions: h.transitions };
  return h.head;
}

/** Breadth-first search's hooks: `tick` between expansions writes when due, `stop` when a time bound ends it. */
export function checkpointer(x: Explorer, proviso: CycleProviso): { tick: (head: number) => void; stop: (head: number) => void } | null {
  const options = x.options.checkpoint;
  if (!options) return null;
  const clock = new CheckpointClock(options, x.clock.nowNs(), x.table.size);
  return {
    tick: (head) => {
      if (clock.due(x.clock.nowNs(), x.table.size)) writeCheckpoint(x, head, options.dir, proviso);
    },
    stop: (head) => writeCheckpoint(x, head, options.dir, proviso),
  };
}

/** Where breadth-first search starts: the root when fresh, the saved head when resuming. */
export function resumeAt(x: Explorer, proviso: CycleProviso): number | null {
  return x.options.resume === undefined ? null : restoreCheckpoint(x, readCheckpoint(x.options.resume), proviso);
}

/** A resumed run whose saved choices do not replay (a forged file with a valid checksum) fails as garbage input. */
export function refuseUnreplayable(error: unknown): never {
  if (error instanceof Error && !(error instanceof VBoxError) && error.message.startsWith('world: no choice')) {
    throw new VBoxError(VERR_SSM_INTEGRITY, `checkpoint: a saved choice prefix does not replay (${error.message})`);
  }
  throw error;
}
