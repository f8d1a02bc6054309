/**
 * Where a saved-state stream is read from: a file (with size and positional reads, which the footer check, the
 * full CRC and SSMR3Seek need), a buffer in memory, or a push source that a socket fills chunk by chunk (teleport).
 * Reads are synchronous; a push source that has not received enough yet says so with SsmNeedMoreData, and the
 * streaming load driver waits for the bytes of a whole unit before it calls the unit.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { persistable } from '../persist/registry.js';
import { VBoxError, VERR_ACCESS_DENIED, VERR_FILE_NOT_FOUND, VERR_READ_ERROR } from '../status.js';
import { fireTimer, WakeSlot, type TimerAction } from '../sched/scheduler.js';

export interface SsmSource {
  /** Copies up to dst.length bytes from the current position; returns the count, 0 at the end of the stream. */
  read(dst: Uint8Array): number;
  /** A file: size() and readAt() work, and the footer can be peeked. */
  readonly isFile: boolean;
  /** Total size (files and memory). */
  size?(): number;
  /** Positional read that leaves the stream position alone (ssmR3StrmPeekAt). */
  readAt?(pos: number, dst: Uint8Array): number;
  /** Moves the stream position (SSMR3Seek). */
  seek?(pos: number): void;
  close(): void;
  readonly name?: string;
}

/** Thrown by a push source whose peer has not sent the bytes yet. */
export class SsmNeedMoreData extends Error {
  constructor(readonly needed: number) {
    super(`saved-state stream needs ${needed} more bytes`);
  }
}

export class MemorySource implements SsmSource {
  readonly isFile: boolean;
  readonly name: string | undefined;
  private _pos = 0;

  /** `asFile` lets a buffer stand in for a file (footer peek, seek), as the damage tests do. */
  constructor(private readonly bytes: Uint8Array, opts: { asFile?: boolean; name?: string } = {}) {
    this.isFile = opts.asFile ?? false;
    this.name = opts.name;
  }

  read(dst: Uint8Array): number {
    const n = Math.min(dst.length, this.bytes.length - this._pos);
    dst.set(this.bytes.subarray(this._pos, this._pos + n));
    this._pos += n;
    return n;
  }

  size(): number {
    return this.bytes.length;
  }

  readAt(pos: number, dst: Uint8Array): number {
    const n = Math.max(0, Math.min(dst.length, this.bytes.length - pos));
    dst.set(this.bytes.subarray(pos, pos + n));
    return n;
  }

  seek(pos: number): void {
    this._pos = pos;
  }

  close(): void {}
}

export class FileSource implements SsmSource {
  readonly isFile = true;
  readonly name: string;
  private _fd: number | null;
  private _pos = 0;
  private readonly _size: number;

  constructor(path: string) {
    this.name = resolve(path);
    try {
      this._fd = openSync(this.name, 'r');
      this._size = fstatSync(this._fd).size;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const rc = code === 'ENOENT' || code === 'ENOTDIR' ? VERR_FILE_NOT_FOUND : code === 'EACCES' || code === 'EPERM' ? VERR_ACCESS_DENIED : VERR_READ_ERROR;
      throw new VBoxError(rc, `Failed to open saved state file '${this.name}': ${(e as Error).message}`);
    }
  }

  private fdOrThrow(): number {
    if (this._fd === null) throw new VBoxError(VERR_READ_ERROR, `Saved state file '${this.name}' is closed.`);
    return this._fd;
  }

  read(dst: Uint8Array): number {
    const n = this.readAt(this._pos, dst);
    this._pos += n;
    return n;
  }

  size(): number {
    return this._size;
  }

  readAt(pos: number, dst: Uint8Array): number {
    const fd = this.fdOrThrow();
    let got = 0;
    try {
      while (got < dst.length) {
        const n = readSync(fd, dst, got, dst.length - got, pos + got);
        if (n === 0) break;
        got += n;
      }
    } catch (e) {
      throw new VBoxError(VERR_READ_ERROR, `Read from '${this.name}' failed: ${(e as Error).message}`);
    }
    return got;
  }

  seek(pos: number): void {
    this._pos = pos;
  }

  close(): void {
    if (this._fd !== null) closeSync(this._fd);
    this._fd = null;
  }
}

/** Bytes pushed by a producer (a socket); a read with nothing buffered throws SsmNeedMoreData until end() is called. */
export class PushSource implements SsmSource {
  readonly isFile = false;
  private chunks: Uint8Array[] = [];
  private _head = 0;
  private _buffered = 0;
  private _ended = false;
  private _waiters: (() => void)[] = [];
  private waker = new WakeSlot();

  push(chunk: Uint8Array): void {
    if (this._ended || chunk.length === 0) return;
    this.chunks.push(chunk);
    this._buffered += chunk.length;
    this._wake();
  }

  end(): void {
    this._ended = true;
    this._wake();
  }

  get ended(): boolean {
    return this._ended;
  }

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this._buffered;
  }

  /** Copies up to n unread bytes without consuming them (the streaming loader scans units with it). */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this._buffered));
    let at = 0;
    let head = this._head;
    for (let i = 0; at < out.length; i++) {
      const c = this.chunks[i]!;
      const take = Math.min(c.length - head, out.length - at);
      out.set(c.subarray(head, head + take), at);
      at += take;
      head = 0;
    }
    return out;
  }

  /** Resolves when more bytes arrive or the stream ends. */
  wait(): Promise<void> {
    if (this._ended) return Promise.resolve();
    return new Promise((resolveWait) => this._waiters.push(resolveWait));
  }

  /** Fires `wake` (a frame's record) when more bytes arrive or the stream ends: an EMT waits without a promise. */
  armWake(wake: TimerAction): void {
    if (this._ended) fireTimer(wake);
    else this.waker.armWake(wake);
  }

  read(dst: Uint8Array): number {
    if (this._buffered === 0 && dst.length > 0 && !this._ended) throw new SsmNeedMoreData(dst.length);
    let at = 0;
    while (at < dst.length && this.chunks.length > 0) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length - this._head, dst.length - at);
      dst.set(c.subarray(this._head, this._head + take), at);
      at += take;
      this._head += take;
      if (this._head === c.length) {
        this.chunks.shift();
        this._head = 0;
      }
    }
    this._buffered -= at;
    return at;
  }

  close(): void {
    this.chunks = [];
    this._buffered = 0;
    this._ended = true;
    this._wake();
  }

  /** After a restore or copy: nobody awaits wait() (its promises stayed with the old engine). */
  revive(): void {
    this._waiters = [];
  }

  private _wake(): void {
    const waiters = this._waiters;
    this._waiters = [];
    for (const w of waiters) w();
    this.waker.fire();
  }
}

persistable('MemorySource', MemorySource);
/** The bytes received and the armed wake are data; wait()'s resolvers are the host's. */
persistable('PushSource', PushSource, { transient: ['_waiters'], revive: (source) => source.revive() });
/**
 * A file source's descriptor is a host resource: a snapshot leaves it out, and a restored source is closed — a
 * load restored mid-way fails on its next read with VERR_READ_ERROR naming the file.
 */
persistable('FileSource', FileSource, { transient: ['_fd'], revive: (source) => void ((source as unknown as { _fd: null })._fd = null) });
