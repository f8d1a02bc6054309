/**
 * Where a saved-state stream is read from: a file (with size and positional reads, which the footer check, the
 * full CRC and SSMR3Seek need), a buffer in memory, or a push source that a socket fills chunk by chunk (teleport).
 * Reads are synchronous; a push source that has not received enough yet says so with SsmNeedMoreData, and the
 * streaming load driver waits for the bytes of a whole unit before it calls the unit.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
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
  #pos = 0;

  /** `asFile` lets a buffer stand in for a file (footer peek, seek), as the damage tests do. */
  constructor(private readonly bytes: Uint8Array, opts: { asFile?: boolean; name?: string } = {}) {
    this.isFile = opts.asFile ?? false;
    this.name = opts.name;
  }

  read(dst: Uint8Array): number {
    const n = Math.min(dst.length, this.bytes.length - this.#pos);
    dst.set(this.bytes.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
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
    this.#pos = pos;
  }

  close(): void {}
}

export class FileSource implements SsmSource {
  readonly isFile = true;
  readonly name: string;
  #fd: number | null;
  #pos = 0;
  readonly #size: number;

  constructor(path: string) {
    this.name = resolve(path);
    try {
      this.#fd = openSync(this.name, 'r');
      this.#size = fstatSync(this.#fd).size;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const rc = code === 'ENOENT' || code === 'ENOTDIR' ? VERR_FILE_NOT_FOUND : code === 'EACCES' || code === 'EPERM' ? VERR_ACCESS_DENIED : VERR_READ_ERROR;
      throw new VBoxError(rc, `Failed to open saved state file '${this.name}': ${(e as Error).message}`);
    }
  }

  #fdOrThrow(): number {
    if (this.#fd === null) throw new VBoxError(VERR_READ_ERROR, `Saved state file '${this.name}' is closed.`);
    return this.#fd;
  }

  read(dst: Uint8Array): number {
    const n = this.readAt(this.#pos, dst);
    this.#pos += n;
    return n;
  }

  size(): number {
    return this.#size;
  }

  readAt(pos: number, dst: Uint8Array): number {
    const fd = this.#fdOrThrow();
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
    this.#pos = pos;
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}

/** Bytes pushed by a producer (a socket); a read with nothing buffered throws SsmNeedMoreData until end() is called. */
export class PushSource implements SsmSource {
  readonly isFile = false;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #buffered = 0;
  #ended = false;
  #waiters: (() => void)[] = [];
  #waker = new WakeSlot();

  push(chunk: Uint8Array): void {
    if (this.#ended || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Copies up to n unread bytes without consuming them (the streaming loader scans units with it). */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.#buffered));
    let at = 0;
    let head = this.#head;
    for (let i = 0; at < out.length; i++) {
      const c = this.#chunks[i]!;
      const take = Math.min(c.length - head, out.length - at);
      out.set(c.subarray(head, head + take), at);
      at += take;
      head = 0;
    }
    return out;
  }

  /** Resolves when more bytes arrive or the stream ends. */
  wait(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return new Promise((resolveWait) => this.#waiters.push(resolveWait));
  }

  /** Fires `wake` (a frame's record) when more bytes arrive or the stream ends: an EMT waits without a promise. */
  armWake(wake: TimerAction): void {
    if (this.#ended) fireTimer(wake);
    else this.#waker.armWake(wake);
  }

  read(dst: Uint8Array): number {
    if (this.#buffered === 0 && dst.length > 0 && !this.#ended) throw new SsmNeedMoreData(dst.length);
    let at = 0;
    while (at < dst.length && this.#chunks.length > 0) {
      const c = this.#chunks[0]!;
      const take = Math.min(c.length - this.#head, dst.length - at);
      dst.set(c.subarray(this.#head, this.#head + take), at);
      at += take;
      this.#head += take;
      if (this.#head === c.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#buffered -= at;
    return at;
  }

  close(): void {
    this.#chunks = [];
    this.#buffered = 0;
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    this.#waker.fire();
  }
}
