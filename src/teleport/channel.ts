/**
 * One teleport connection over TCP (the wire of ConsoleImplTeleporter.cpp, in our own words): text lines for
 * the handshake and the commands, length-prefixed frames for the saved-state stream. Everything read has a
 * limit (line length, frame size) and every wait has a stall deadline on the real clock, because the peer is
 * real: a peer that stops sending, sends too much or sends garbage fails the read with a clear VBoxError and
 * the socket is destroyed — nothing is left open.
 */
import type { Socket } from 'node:net';
import { RealTimeScheduler } from '../sched/real-time.js';
import type { TimerHandle } from '../sched/scheduler.js';
import {
  VBoxError, VERR_INVALID_MAGIC, VERR_NET_CONNECTION_RESET_BY_PEER, VERR_TIMEOUT, VERR_TOO_MUCH_DATA,
} from '../status.js';
import { NS_PER_MS } from '../time/clock.js';

/** The first line the target sends; a source that reads anything else hangs up. */
export const TELEPORTER_WELCOME = 'VirtualBox-Teleporter-1.0';
/** TELEPORTERTCPHDR.u32Magic: every stream frame starts with it. */
export const TELEPORTER_FRAME_MAGIC = 0x19471205;
/** Frame size (cb) 0 ends the stream; this one says the source gave up (its save failed). */
export const TELEPORTER_FRAME_CANCEL = 0xffffffff;
/** Default largest frame payload either side accepts. */
export const TELEPORTER_FRAME_MAX = 1024 * 1024;
/** Longest line (command, password, ACK/NACK) either side accepts, newline excluded. */
export const TELEPORTER_LINE_MAX = 1024;
/** Default stall deadline: no byte from the peer for this long fails the read. */
export const TELEPORTER_STALL_MS = 30_000;

export interface ChannelOptions {
  stallTimeoutMs?: number;
  maxFrameBytes?: number;
  /** Shown in error messages ("teleport source", "teleport target"). */
  who: string;
}

export type Frame = { kind: 'data'; bytes: Buffer } | { kind: 'end' } | { kind: 'cancel' };

/** Network deadlines are real time even when the VMM runs on the virtual clock: the peer lives in real time. */
export const realTime = new RealTimeScheduler();

export class TeleportChannel {
  readonly #socket: Socket;
  readonly #who: string;
  readonly #stallMs: number;
  readonly maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #failure: VBoxError | null = null;
  #wake: (() => void) | null = null;
  /** What the current read waits for, for messages ("the password", "a stream frame"). */
  #phase = 'connecting';
  bytesIn = 0;
  bytesOut = 0;
  #pendingWrites = 0;
  #flushWaiters: (() => void)[] = [];
  /** Most bytes held unread before the socket is paused: one frame and its header, twice over. */
  readonly #highWater: number;

  constructor(socket: Socket, options: ChannelOptions) {
    this.#socket = socket;
    this.#who = options.who;
    this.#stallMs = options.stallTimeoutMs ?? TELEPORTER_STALL_MS;
    this.maxFrameBytes = options.maxFrameBytes ?? TELEPORTER_FRAME_MAX;
    this.#highWater = 2 * (this.maxFrameBytes + 8) + TELEPORTER_LINE_MAX;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      this.bytesIn += chunk.length;
      // Backpressure: a peer that sends faster than we read waits in TCP, not in our memory.
      if (this.#buffered > this.#highWater) socket.pause();
      this.#wake?.();
    });
    const dropped = () => this.#fail(new VBoxError(VERR_NET_CONNECTION_RESET_BY_PEER, `${this.#who}: the connection dropped while waiting for ${this.#phase}`));
    socket.on('end', dropped);
    socket.on('close', dropped);
    socket.on('error', (error) => this.#fail(new VBoxError(VERR_NET_CONNECTION_RESET_BY_PEER, `${this.#who}: ${error.message} while waiting for ${this.#phase}`)));
  }

  /** The first failure (drop, timeout, bad data), or null while the connection is healthy. */
  get failure(): VBoxError | null {
    return this.#failure;
  }

  /** Bytes the peer sent that nobody read yet (teleporterTcpOpIsOk takes any as a cancellation NACK). */
  get unread(): number {
    return this.#buffered;
  }

  get closed(): boolean {
    return this.#socket.destroyed;
  }

  /** Fail the connection with `error` (the first failure sticks) and destroy the socket. */
  abort(error: VBoxError): VBoxError {
    return this.#fail(error);
  }

  /** Close our side: pending writes are flushed first. */
  close(): void {
    this.#failure ??= new VBoxError(VERR_NET_CONNECTION_RESET_BY_PEER, `${this.#who}: the connection is closed`);
    this.#socket.end();
    this.#socket.destroySoon();
  }

  /** Destroy the socket at once (errors, cleanup). */
  destroy(): void {
    this.#failure ??= new VBoxError(VERR_NET_CONNECTION_RESET_BY_PEER, `${this.#who}: the connection is closed`);
    this.#socket.destroy();
  }

  writeLine(line: string): void {
    this.#write(Buffer.from(`${line}\n`, 'utf8'));
  }

  /** One stream frame: magic, size, payload. Empty payloads are not frames (size 0 ends the stream). */
  writeFrame(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (bytes.length > this.maxFrameBytes) throw new VBoxError(VERR_TOO_MUCH_DATA, `${this.#who}: a ${bytes.length} byte frame is over the ${this.maxFrameBytes} byte limit`);
    this.#write(frameHeader(bytes.length));
    this.#write(bytes);
  }

  writeEnd(): void {
    this.#write(frameHeader(0));
  }

  writeCancel(): void {
    this.#write(frameHeader(TELEPORTER_FRAME_CANCEL));
  }

  /** A line of at most TELEPORTER_LINE_MAX bytes of printable UTF-8. */
  async readLine(phase: string): Promise<string> {
    this.#phase = phase;
    for (;;) {
      const at = this.#indexOfNewline();
      if (at >= 0) {
        const line = this.#take(at + 1).subarray(0, at).toString('utf8');
        if (/[\u0000-\u001f\u007f\ufffd]/.test(line)) throw this.#fail(new VBoxError(VERR_INVALID_MAGIC, `${this.#who}: garbled line while waiting for ${phase}`));
        return line;
      }
      if (this.#buffered > TELEPORTER_LINE_MAX) {
        throw this.#fail(new VBoxError(VERR_TOO_MUCH_DATA, `${this.#who}: a line longer than ${TELEPORTER_LINE_MAX} bytes while waiting for ${phase}`));
      }
      await this.#waitForData();
    }
  }

  /** The next stream frame; a bad magic or a size over the limit fails the connection. */
  async readFrame(): Promise<Frame> {
    this.#phase = 'a stream frame';
    const header = await this.#readExactly(8);
    const magic = header.readUInt32LE(0);
    const cb = header.readUInt32LE(4);
    if (magic !== TELEPORTER_FRAME_MAGIC) {
      throw this.#fail(new VBoxError(VERR_INVALID_MAGIC, `${this.#who}: garbled stream frame (magic 0x${magic.toString(16).padStart(8, '0')})`));
    }
    if (cb === 0) return { kind: 'end' };
    if (cb === TELEPORTER_FRAME_CANCEL) return { kind: 'cancel' };
    if (cb > this.maxFrameBytes) {
      throw this.#fail(new VBoxError(VERR_TOO_MUCH_DATA, `${this.#who}: a ${cb} byte stream frame is over the ${this.maxFrameBytes} byte limit`));
    }
    return { kind: 'data', bytes: await this.#readExactly(cb) };
  }

  async #readExactly(cb: number): Promise<Buffer> {
    while (this.#buffered < cb) await this.#waitForData();
    return this.#take(cb);
  }

  /** Wait for more bytes, a failure, or the stall deadline (which rechecks once after pending I/O ran). */
  #waitForData(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<void>((resolve, reject) => {
      const before = this.bytesIn;
      let timer: TimerHandle | undefined;
      const arm = () => {
        timer = realTime.setTimer(realTime.clock.nowNs() + this.#stallMs * NS_PER_MS, `${this.#who}/stall`, () =>
          // Timers run before the poll phase: let bytes already on the socket arrive before calling it a stall.
          setImmediate(() => {
            if (this.#wake === null) return;
            if (this.bytesIn !== before || this.#failure) return this.#wake();
            this.#fail(new VBoxError(VERR_TIMEOUT, `${this.#who}: the peer sent nothing for ${this.#stallMs} ms while we waited for ${this.#phase}`));
          }),
        );
      };
      this.#wake = () => {
        this.#wake = null;
        realTime.clearTimer(timer);
        if (this.#failure && this.bytesIn === before) reject(this.#failure);
        else resolve();
      };
      arm();
    });
  }

  #indexOfNewline(): number {
    let offset = 0;
    for (const chunk of this.#chunks) {
      const at = chunk.indexOf(0x0a);
      if (at >= 0) return offset + at;
      offset += chunk.length;
      if (offset > TELEPORTER_LINE_MAX) return -1;
    }
    return -1;
  }

  /** Take cb bytes off the front, touching only the chunks they span. */
  #take(cb: number): Buffer {
    const parts: Buffer[] = [];
    let left = cb;
    while (left > 0) {
      const chunk = this.#chunks[0]!;
      if (chunk.length <= left) {
        parts.push(chunk);
        this.#chunks.shift();
        left -= chunk.length;
      } else {
        parts.push(chunk.subarray(0, left));
        this.#chunks[0] = chunk.subarray(left);
        left = 0;
      }
    }
    this.#buffered -= cb;
    if (this.#buffered <= this.#highWater && this.#socket.isPaused()) this.#socket.resume();
    return parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts, cb);
  }

  /**
   * Call `then` once everything written so far has left for the kernel (or the connection failed), never in the
   * same tick: a writer that waits here sees a dropped connection before it writes again.
   */
  whenFlushed(then: () => void): void {
    if (this.#pendingWrites === 0 || this.#failure) {
      setImmediate(then);
      return;
    }
    this.#flushWaiters.push(then);
  }

  /** whenFlushed as a promise: before closing after a last line (TLS writes leave later than plain ones). */
  flushed(): Promise<void> {
    return new Promise((resolve) => this.whenFlushed(resolve));
  }

  #write(bytes: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    this.bytesOut += bytes.length;
    this.#pendingWrites++;
    this.#socket.write(bytes, () => {
      if (--this.#pendingWrites === 0) this.#flushed();
    });
  }

  #flushed(): void {
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #fail(error: VBoxError): VBoxError {
    if (!this.#failure) {
      this.#failure = error;
      this.#socket.destroy();
    }
    this.#wake?.();
    this.#flushed();
    return this.#failure;
  }
}

function frameHeader(cb: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(TELEPORTER_FRAME_MAGIC, 0);
  header.writeUInt32LE(cb >>> 0, 4);
  return header;
}
