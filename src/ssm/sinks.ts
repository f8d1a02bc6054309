/**
 * Where a saved-state stream goes. The writer hands a sink whole chunks (the sink owns each chunk from then on),
 * then either commits (the footer is written: make it durable and visible) or aborts (discard everything).
 * A file sink is crash-safe: it writes a temp file in the target's folder, fsyncs it, renames it over the
 * target and fsyncs the folder, so the target path only ever holds the earlier file or the complete new one;
 * an abort deletes the temp file, and a later save of the same target sweeps the temp files that killed processes
 * left. Teleport wraps a socket in a callback sink.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  VBoxError, VERR_ACCESS_DENIED, VERR_ALREADY_EXISTS, VERR_FILE_NOT_FOUND, VERR_IS_A_DIRECTORY, VERR_SSM_LOW_ON_DISK_SPACE,
  VERR_WRITE_ERROR,
} from '../status.js';
import { persistable } from '../persist/registry.js';
import type { SaveSink } from '../vmm/save/ports.js';

/** The stream sink the engine's save flow writes through (its port, src/vmm/save/ports.ts). */
export type SsmSink = SaveSink;

/** Keeps the stream in memory (tests, teleport buffers, the damage test's template). */
export class MemorySink implements SsmSink {
  readonly isFile = false;
  readonly chunks: Uint8Array[] = [];
  committed = false;
  aborted = false;

  write(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }

  commit(): void {
    this.committed = true;
  }

  abort(): void {
    this.aborted = true;
    this.chunks.length = 0;
  }

  /** The whole stream as one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

persistable('MemorySink', MemorySink);

/** Counts the stream's bytes and drops them: a save whose bytes nobody reads (the model checker's). */
export class CountingSink implements SsmSink {
  readonly isFile = false;
  bytes = 0;
  committed = false;
  aborted = false;

  write(chunk: Uint8Array): void {
    this.bytes += chunk.length;
  }

  commit(): void {
    this.committed = true;
  }

  abort(): void {
    this.aborted = true;
  }
}
persistable('CountingSink', CountingSink);

/** Forwards chunks to callbacks (a socket writer, a hash, a test probe). */
export class CallbackSink implements SsmSink {
  readonly isFile = false;
  constructor(
    private readonly onChunk: (chunk: Uint8Array) => void,
    private readonly onEnd: (ok: boolean, cancelled: boolean) => void = () => {},
  ) {}

  write(chunk: Uint8Array): void {
    this.onChunk(chunk);
  }

  commit(): void {
    this.onEnd(true, false);
  }

  abort(cancelled: boolean): void {
    try {
      this.onEnd(false, cancelled);
    } catch {
      // An abort never fails the caller twice.
    }
  }
}

/** The callbacks are the embedder's own functions (a snapshot names them through createVMM's `functions`). */
persistable('CallbackSink', CallbackSink);

/** SSM_MIN_DISK_FREE: ssmR3FileIsOk gives up below 10 MiB free. */
const SSM_MIN_DISK_FREE = 10 * 1024 * 1024;
/** How often (in bytes written) the free space is checked. */
const DISK_CHECK_EVERY = 64 * 1024 * 1024;

let tempCounter = 0;

export function fsErrorStatus(e: unknown): number {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return VERR_FILE_NOT_FOUND;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return VERR_ACCESS_DENIED;
  if (code === 'EEXIST') return VERR_ALREADY_EXISTS;
  if (code === 'EISDIR') return VERR_IS_A_DIRECTORY;
  if (code === 'ENOSPC' || code === 'EDQUOT') return VERR_SSM_LOW_ON_DISK_SPACE;
  return VERR_WRITE_ERROR;
}

function fsError(e: unknown, what: string): VBoxError {
  return e instanceof VBoxError ? e : new VBoxError(fsErrorStatus(e), `${what}: ${(e as Error).message}`);
}

/** `.<target name>.<pid>.<n>.ssm-tmp`: hidden, beside the target, and naming the process that writes it. */
const tempName = (base: string, pid: number, n: number) => `.${base}.${pid}.${n}.ssm-tmp`;
const TEMP_SUFFIX = '.ssm-tmp';

/** process.kill(pid, 0): ESRCH means no such process; EPERM means one exists that we may not signal. */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Remove the temp files that saves of `target` left when their process died (kill -9, a crash): those whose pid
 * names no living process. A pid reused by a live process keeps its file until that process is gone; files of
 * other targets, of this process and names not of our making are left alone. Best effort: a file that cannot be
 * listed or removed stays. Returns the names removed.
 */
export function sweepStaleTempFiles(target: string): string[] {
  const folder = dirname(resolve(target));
  const prefix = `.${basename(resolve(target))}.`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const match = /^(\d{1,10})\.\d{1,16}$/.exec(name.slice(prefix.length, -TEMP_SUFFIX.length));
    const pid = match ? Number(match[1]) : 0;
    if (pid < 1 || pid > 0x7fffffff || pid === process.pid || processExists(pid)) continue;
    try {
      unlinkSync(join(folder, name));
      removed.push(name);
    } catch {
      // Gone already (another save swept it), or not ours to remove.
    }
  }
  return removed;
}

/**
 * A crash-safe file sink for `target`, opened at once (SSMR3LiveSave opens its stream before the first pass): a
 * target that is a directory, or a folder where the temp file cannot be created, fails here, not at the rename.
 * Every error it throws names the target.
 */
export class FileSink implements SsmSink {
  readonly isFile = true;
  readonly name: string;
  readonly tempPath: string;
  failure: VBoxError | null = null;
  private _fd: number | null;
  /** Set by a restore: the descriptor stayed with the engine the snapshot came from. */
  private restored = false;
  private _written = 0;
  private nextDiskCheck = DISK_CHECK_EVERY;
  private done = false;

  constructor(target: string) {
    this.name = resolve(target);
    this.tempPath = join(dirname(this.name), tempName(basename(this.name), process.pid, ++tempCounter));
    const what = `Failed to create save state file '${this.name}'`;
    if (statSync(this.name, { throwIfNoEntry: false })?.isDirectory()) throw new VBoxError(VERR_IS_A_DIRECTORY, `${what}: it is a directory`);
    sweepStaleTempFiles(this.name);
    try {
      this._fd = openSync(this.tempPath, 'wx', 0o644);
    } catch (e) {
      throw fsError(e, what);
    }
  }

  /** Remember the first failure (the save reports it with its message), then throw it. */
  private fail(e: unknown, what: string): never {
    const error = fsError(e, what);
    this.failure ??= error;
    throw error;
  }

  write(chunk: Uint8Array): void {
    if (this._fd === null) this.fail(this.closedError(), '');
    try {
      for (let off = 0; off < chunk.length;) off += writeSync(this._fd!, chunk, off, chunk.length - off);
    } catch (e) {
      this.fail(e, `Write to '${this.tempPath}' (saving '${this.name}') failed`);
    }
    this._written += chunk.length;
    if (this._written >= this.nextDiskCheck) {
      this.nextDiskCheck = this._written + DISK_CHECK_EVERY;
      this.checkDiskSpace();
    }
  }

  /** ssmR3FileIsOk: VERR_SSM_LOW_ON_DISK_SPACE below 10 MiB free (skipped where statfs is not supported). */
  private checkDiskSpace(): void {
    let free: number;
    try {
      const st = statfsSync(dirname(this.tempPath));
      free = Number(st.bavail) * Number(st.bsize);
    } catch {
      return;
    }
    if (free < SSM_MIN_DISK_FREE) {
      this.fail(new VBoxError(VERR_SSM_LOW_ON_DISK_SPACE, `Giving up saving '${this.name}': low on disk space (${free} bytes free).`), '');
    }
  }

  /**
   * A file this engine does not hold open: closed by the save's end, or by a restore — a snapshot carries no
   * file descriptor, so a save restored mid-way fails on its next write with this error naming the file.
   */
  private closedError(): VBoxError {
    return new VBoxError(VERR_WRITE_ERROR, this.restored
      ? `Saved state file '${this.name}' was being written by the engine this one was restored from; a restored save cannot write it.`
      : `Saved state file '${this.name}' is closed.`);
  }

  commit(): void {
    if (this._fd === null || this.done) this.fail(this.closedError(), '');
    try {
      fsyncSync(this._fd!);
      closeSync(this._fd!);
      this._fd = null;
      renameSync(this.tempPath, this.name);
      this.done = true;
    } catch (e) {
      this.abort(false);
      this.fail(e, `Failed to commit saved state file '${this.name}'`);
    }
    syncDirectory(dirname(this.name));
  }

  abort(_cancelled = false): void {
    if (this.done) return;
    this.done = true;
    if (this._fd !== null) {
      try {
        closeSync(this._fd);
      } catch {
        // Already closed by the failure that brought us here.
      }
      this._fd = null;
    }
    try {
      unlinkSync(this.tempPath);
    } catch {
      // Nothing to delete.
    }
  }
}

/** fsync the folder so the rename itself survives a power loss (best effort; not every platform allows it). */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows and some file systems refuse directory fsync.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * A file sink's descriptor is a host resource: a snapshot leaves it out, and a restored sink is closed (its
 * next write or commit fails with VERR_WRITE_ERROR naming the file) and leaves the temp file alone — it belongs
 * to the engine the snapshot was taken from.
 */
persistable('FileSink', FileSink, {
  transient: ['_fd'],
  revive: (sink) => Object.assign(sink as unknown as { _fd: null; restored: boolean; done: boolean }, { _fd: null, restored: true, done: true }),
});
