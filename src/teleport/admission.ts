/**
 * Who may talk to a teleport target, and for how long, before a source commits (issue 13): every handshake has
 * one deadline for the whole of it (not a stall timer a byte resets); up to maxPending handshakes run side by
 * side and a new connection evicts the oldest pending one of the address with the most pending rather than wait
 * behind it, so silent or flooding peers cannot shut out a real source from another address; a peer whose password failed waits before its next handshake starts, the wait
 * doubling per failure (reserved per attempt, so parallel connections queue up behind each other); every
 * refusal is reported to onRefused. All timers are real time (the peer is real).
 */
import type { Socket } from 'node:net';
import type { TimerHandle } from '../sched/scheduler.js';
import { NS_PER_MS } from '../time/clock.js';
import { realTime } from './channel.js';

/** Default deadline for a whole handshake (TCP accept to "load"). */
export const TELEPORTER_HANDSHAKE_MS = 10_000;
/** Default most handshakes pending at once. */
export const TELEPORTER_MAX_PENDING = 16;
/** Default backoff after a failed password: base · 2^(failures-1), capped. */
export const TELEPORTER_BACKOFF_BASE_MS = 500;
export const TELEPORTER_BACKOFF_MAX_MS = 8_000;

/** One refused attempt, as the target logs it. */
export interface TeleportRefusal {
  /** "address:port" of the peer. */
  peer: string;
  /** Why: "wrong password", "handshake deadline", "evicted", "vCPU count mismatch", … */
  reason: string;
  /** The VBox status of the refusal. */
  rc: number;
  /** Failed passwords from this address so far. */
  failures: number;
  /** How long this address's next handshake waits (ms). */
  backoffMs: number;
}

export interface AdmissionOptions {
  handshakeTimeoutMs?: number;
  maxPendingHandshakes?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  onRefused?: (refusal: TeleportRefusal) => void;
}

/** One pending handshake. */
export interface Attempt {
  readonly socket: Socket;
  readonly peer: string;
  readonly address: string;
  /** Set when the deadline or an eviction ended it (the handshake's own error is then secondary). */
  endedBy: { reason: string; rc: number } | null;
  timer: TimerHandle | undefined;
}

interface PeerRecord {
  failures: number;
  /** Real-time ms before which this address's next handshake does not start. */
  notBeforeMs: number;
}

export class TeleportAdmission {
  readonly #deadlineMs: number;
  readonly #maxPending: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #onRefused: ((refusal: TeleportRefusal) => void) | undefined;
  /** Insertion order is age: the first entry is the oldest. */
  readonly #pending = new Set<Attempt>();
  readonly #peers = new Map<string, PeerRecord>();

  readonly #timeoutRc: number;

  constructor(options: AdmissionOptions, timeoutRc: number) {
    this.#timeoutRc = timeoutRc;
    this.#deadlineMs = options.handshakeTimeoutMs ?? TELEPORTER_HANDSHAKE_MS;
    this.#maxPending = options.maxPendingHandshakes ?? TELEPORTER_MAX_PENDING;
    this.#baseMs = options.backoffBaseMs ?? TELEPORTER_BACKOFF_BASE_MS;
    this.#maxMs = options.backoffMaxMs ?? TELEPORTER_BACKOFF_MAX_MS;
    this.#onRefused = options.onRefused;
  }

  /**
   * Take a new connection: evict one if full (#victim), wait out the peer's backoff, then call `start`
   * with the deadline armed. `start` must call done() or refused() on its attempt.
   */
  admit(socket: Socket, evictedRc: number, start: (attempt: Attempt) => void): void {
    const address = socket.remoteAddress ?? '?';
    const attempt: Attempt = { socket, peer: `${address}:${socket.remotePort ?? '?'}`, address, endedBy: null, timer: undefined };
    this.#pending.add(attempt);
    if (this.#pending.size > this.#maxPending) this.#end(this.#victim(), `evicted: ${this.#maxPending} handshakes pending`, evictedRc);
    if (attempt.endedBy) return;
    const record = this.#peers.get(address);
    const nowMs = realTime.clock.nowNs() / NS_PER_MS;
    const waitMs = record && record.failures > 0 ? Math.max(0, record.notBeforeMs - nowMs) : 0;
    if (record && record.failures > 0) record.notBeforeMs = nowMs + waitMs + this.backoffMs(record.failures); // queue the next one
    const go = () => {
      if (attempt.endedBy || socket.destroyed) return this.#forget(attempt);
      attempt.timer = realTime.setTimer(realTime.clock.nowNs() + this.#deadlineMs * NS_PER_MS, 'teleport/handshake-deadline', () =>
        this.#end(attempt, `handshake deadline (${this.#deadlineMs} ms)`, this.#timeoutRc),
      );
      start(attempt);
    };
    if (waitMs > 0) attempt.timer = realTime.setTimer(realTime.clock.nowNs() + waitMs * NS_PER_MS, 'teleport/backoff', go);
    else go();
  }

  backoffMs(failures: number): number {
    return failures <= 0 ? 0 : Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(failures - 1, 30));
  }

  /** The handshake finished (the source committed): no deadline any more, the address's failures forgiven. */
  done(attempt: Attempt): void {
    this.#forget(attempt);
    this.#peers.delete(attempt.address);
  }

  /** The handshake failed: report it once; a wrong password also counts against the address. */
  refused(attempt: Attempt, reason: string, rc: number, wrongPassword = false): void {
    this.#forget(attempt);
    const ended = attempt.endedBy;
    if (ended) return; // already reported by the deadline or the eviction
    let record = this.#peers.get(attempt.address);
    if (wrongPassword) {
      record ??= { failures: 0, notBeforeMs: 0 };
      record.failures++;
      const nowMs = realTime.clock.nowNs() / NS_PER_MS;
      record.notBeforeMs = Math.max(record.notBeforeMs, nowMs + this.backoffMs(record.failures));
      this.#peers.set(attempt.address, record);
    }
    this.#report(attempt, reason, rc);
  }

  /** Stop every pending handshake (the target committed or stopped listening). */
  close(rc: number): void {
    for (const attempt of [...this.#pending]) this.#end(attempt, 'the target stopped listening', rc);
  }

  #end(attempt: Attempt, reason: string, rc: number): void {
    if (attempt.endedBy) return;
    attempt.endedBy = { reason, rc };
    this.#forget(attempt);
    attempt.socket.destroy();
    this.#report(attempt, reason, rc);
  }

  /**
   * Whom a full table evicts: the oldest attempt of the address with the most pending (the newcomer counted), so
   * a peer flooding connections evicts its own, never a real source from another address.
   */
  #victim(): Attempt {
    const count = new Map<string, number>();
    for (const { address } of this.#pending) count.set(address, (count.get(address) ?? 0) + 1);
    const most = Math.max(...count.values());
    return [...this.#pending].find((a) => count.get(a.address) === most)!;
  }

  #forget(attempt: Attempt): void {
    realTime.clearTimer(attempt.timer);
    attempt.timer = undefined;
    this.#pending.delete(attempt);
  }

  #report(attempt: Attempt, reason: string, rc: number): void {
    const record = this.#peers.get(attempt.address);
    const nowMs = realTime.clock.nowNs() / NS_PER_MS;
    const refusal: TeleportRefusal = {
      peer: attempt.peer, reason, rc, failures: record?.failures ?? 0, backoffMs: record ? Math.max(0, Math.round(record.notBeforeMs - nowMs)) : 0,
    };
    try {
      this.#onRefused?.(refusal);
    } catch {
      // A throwing logger must not take the listener down.
    }
  }
}
