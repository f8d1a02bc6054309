/**
 * vm.teleport(): the source side (Console's teleporterSrc around VMR3Teleport, §1.4 / §7.1). It connects over
 * TLS-PSK (secure.ts: the target proves it knows the password before anything is sent; plain mode sends the
 * password line instead), says "load cpus=<n>", then runs VMR3Teleport with the stream going out as frames;
 * between live passes the sink's isOk sees a NACK the target sent mid-stream (teleporterTcpOpIsOk →
 * VERR_SSM_CANCELLED), and the teleport rejects with the target's answer. After the final pass it waits for the
 * load result and says "done". The VM ends SUSPENDED with fTeleportedAndNotFullyResumedYet set, ready to be
 * destroyed. Any failure leaves it where §7.1 puts it: RUNNING when step 1 failed (cleanup); after the suspend
 * it is resumed with reason TELEPORT_FAILED, as Main does (unless resumeOnFailure: false).
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  RT_FAILURE, VBoxError, VERR_AUTHENTICATION_FAILURE, VERR_INVALID_MAGIC, VERR_INVALID_PARAMETER, VERR_NET_CONNECTION_REFUSED,
  VERR_NET_CONNECTION_RESET_BY_PEER, VERR_SSM_CANCELLED, VERR_TIMEOUT, VINF_SUCCESS,
} from '../status.js';
import { persistable } from '../persist/registry.js';
import type { DrainableSink, SaveOptions, SaveResult } from '../vmm/save/save-flow.js';
import { NS_PER_MS } from '../time/clock.js';
import { runOperation, statusToResult } from '../vmm/external.js';
import { vmOps } from '../vmm/operations.js';
import type { VM } from '../api/vm.js';
import { TELEPORTER_HANDSHAKE_MS } from './admission.js';
import { realTime, TELEPORTER_WELCOME, TeleportChannel } from './channel.js';
import { checkPassword, checkPort, checkPositive, expectAck, loadCommand, TELEPORTER_DEFAULT_HOST } from './handshake.js';
import { clientTlsOptions, securityOf, tlsFailureStatus, type TeleportSecurity } from './secure.js';

export interface TeleportOptions {
  port: number;
  password: string;
  host?: string;
  /** cMsMaxDowntime for the units' votes (default 250). */
  maxDowntimeMs?: number;
  bandwidthBytesPerSec?: number;
  onProgress?: (percent: number) => void;
  /** No byte from the target for this long fails the teleport (real time, default 30 s). */
  stallTimeoutMs?: number;
  /** Largest frame payload sent (default 1 MiB; the target must accept it). */
  maxFrameBytes?: number;
  /**
   * Resume the VM (reason TELEPORT_FAILED) when the teleport fails after it suspended it, as Main's
   * teleporterSrcThreadWrapper does (default true).
   */
  resumeOnFailure?: boolean;
  /** Deadline for the TCP connect and the TLS handshake (real time, default 10 s). */
  handshakeTimeoutMs?: number;
  /** 'plain': no TLS — the password and the guest RAM cross the network in clear (trusted networks only). */
  insecure?: 'plain';
}

export interface TeleportResult extends SaveResult {
  /** Bytes sent on the connection (handshake and frames). */
  readonly bytesSent: number;
}

const WHO = 'teleport source';

/** TCP, then TLS-PSK unless plain: resolves once the target proved the key; one deadline for the whole of it. */
function open(host: string, port: number, security: TeleportSecurity, password: string, deadlineMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let badHint = false;
    const socket: Socket = security === 'plain'
      ? connect({ host, port })
      : tlsConnect({ host, port, ...clientTlsOptions(password, () => (badHint = true)) });
    const fail = (error: NodeJS.ErrnoException) => {
      realTime.clearTimer(timer);
      socket.destroy();
      const rc = error.code === 'ECONNREFUSED' ? VERR_NET_CONNECTION_REFUSED
        : error.code === 'ECONNRESET' || error.code === 'EPIPE' ? VERR_NET_CONNECTION_RESET_BY_PEER
        : badHint ? VERR_INVALID_MAGIC : (error as { rc?: number }).rc ?? tlsFailureStatus(error);
      const why = rc === VERR_INVALID_MAGIC ? ' (not a teleport target, or it does not speak TLS-PSK)' : '';
      // A key mismatch surfaces as OpenSSL's alert text: say what it means.
      const what = rc === VERR_AUTHENTICATION_FAILURE ? 'wrong password (the TLS-PSK keys differ)' : error.message.split('\n')[0];
      reject(new VBoxError(rc, `${WHO}: cannot connect to ${host}:${port}: ${what}${why}`));
    };
    const timer = realTime.setTimer(realTime.clock.nowNs() + deadlineMs * NS_PER_MS, `${WHO}/connect`, () =>
      fail(Object.assign(new Error(`no answer in ${deadlineMs} ms`), { rc: VERR_TIMEOUT })),
    );
    const closed = () => fail(Object.assign(new Error('the connection closed during the handshake'), { code: 'ECONNRESET' }));
    socket.once('error', fail);
    socket.once('close', closed);
    socket.once(security === 'plain' ? 'connect' : 'secureConnect', () => {
      realTime.clearTimer(timer);
      socket.off('error', fail).off('close', closed);
      resolve(socket);
    });
  });
}

/** VMR3Teleport over TCP. Rejects with VBoxError; the socket is closed on every path. */
export async function teleportSource(vm: VM, options: TeleportOptions): Promise<TeleportResult> {
  if (typeof options !== 'object' || options === null) throw new VBoxError(VERR_INVALID_PARAMETER, 'teleport options must be an object');
  const password = checkPassword(options.password);
  const port = checkPort(options.port, false);
  checkPositive('stallTimeoutMs', options.stallTimeoutMs);
  checkPositive('maxFrameBytes', options.maxFrameBytes);
  checkPositive('handshakeTimeoutMs', options.handshakeTimeoutMs);
  const security = securityOf(options.insecure);
  const host = options.host ?? TELEPORTER_DEFAULT_HOST;
  const saveOptions: SaveOptions = {
    ...(options.maxDowntimeMs !== undefined ? { maxDowntimeMs: options.maxDowntimeMs } : {}),
    ...(options.bandwidthBytesPerSec !== undefined ? { bandwidthBytesPerSec: options.bandwidthBytesPerSec } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  const out: { result?: SaveResult } = {};
  const sink = new TeleportFrameSink();
  const op = vmOps.teleport(vm.pool, sink, saveOptions, out); // checks the save options first
  const channel = sink.channel = new TeleportChannel(await open(host, port, security, password, options.handshakeTimeoutMs ?? TELEPORTER_HANDSHAKE_MS), {
    who: WHO, ...(options.stallTimeoutMs ? { stallTimeoutMs: options.stallTimeoutMs } : {}), ...(options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {}),
  });
  try {
    const welcome = await channel.readLine('the welcome').catch((error: VBoxError) => {
      // A TLS-PSK target waits for a TLS hello that a plain source never sends.
      throw security === 'plain' ? new VBoxError(error.rc, `${error.message} (a TLS-PSK target? plain mode needs insecure: 'plain' on both ends)`) : error;
    });
    if (welcome !== TELEPORTER_WELCOME) throw channel.abort(new VBoxError(VERR_INVALID_MAGIC, `${WHO}: ${host}:${port} is not a teleport target`));
    if (security === 'plain') {
      channel.writeLine(password);
      await expectAck(channel, 'the password', WHO);
    }
    channel.writeLine(loadCommand(vm.core.cCpus));
    await expectAck(channel, 'the load command', WHO);

    const errorsBefore = vm.core.cErrors;
    const rc = await runOperation(vm.core, op);
    try {
      if (RT_FAILURE(rc)) {
        // teleporterSrc: a cancelled save with the target's answer waiting is that answer (its NACK).
        if (rc === VERR_SSM_CANCELLED && channel.unread > 0) await expectAck(channel, 'the load result', WHO);
        // The save failed: the stream was aborted (a cancel frame went out if the line was still up).
        throw channel.failure && rc === channel.failure.rc ? channel.failure : errorOf(() => statusToResult(vm.core, rc, errorsBefore));
      }
      await expectAck(channel, 'the load result', WHO);
      channel.writeLine('done');
      await expectAck(channel, 'the hand-over', WHO);
    } catch (error) {
      if (out.result?.suspended && (options.resumeOnFailure ?? true) && vm.state === 'SUSPENDED') await vm.resume('TELEPORT_FAILED');
      throw error;
    }
    return { ...out.result!, bytesSent: channel.bytesOut };
  } finally {
    channel.destroy();
  }
}

/**
 * The saved-state sink: chunks become frames; the commit sends the end frame, an abort the cancel frame. The
 * connection is a host resource a snapshot cannot carry: a restored sink has none, and the teleport fails at its
 * next pass as a dropped connection does (VERR_NET_CONNECTION_RESET_BY_PEER, step 1's cleanup: the VM runs on).
 */
export class TeleportFrameSink implements DrainableSink {
  readonly isFile = false;
  channel: TeleportChannel | null = null;

  /** What the line says: the channel's failure, or a restore's lost connection. */
  private get lineFailure(): VBoxError | null {
    return this.channel ? this.channel.failure : new VBoxError(VERR_NET_CONNECTION_RESET_BY_PEER, `${WHO}: the connection did not survive a restore of the engine`);
  }

  write(chunk: Uint8Array): void {
    const failure = this.lineFailure;
    if (failure) throw new VBoxError(failure.rc, failure.message);
    const channel = this.channel!;
    for (let at = 0; at < chunk.length; at += channel.maxFrameBytes) channel.writeFrame(chunk.subarray(at, at + channel.maxFrameBytes));
  }

  commit(): void {
    const failure = this.lineFailure;
    if (failure) throw new VBoxError(failure.rc, failure.message);
    this.channel!.writeEnd();
  }

  abort(): void {
    try {
      if (!this.lineFailure) this.channel!.writeCancel();
    } catch {
      // An abort never fails the caller twice.
    }
  }

  whenDrained(then: () => void): void {
    if (this.channel) this.channel.whenFlushed(then);
    else then();
  }

  isOk(): number {
    const failure = this.lineFailure;
    return failure ? failure.rc : this.channel!.unread > 0 ? VERR_SSM_CANCELLED : VINF_SUCCESS;
  }
}
persistable('TeleportFrameSink', TeleportFrameSink, { transient: ['channel'], revive: (sink) => void (sink.channel = null) });

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
    return new VBoxError(-1);
  } catch (error) {
    return error;
  }
}
