/**
 * vmm.listenForTeleport(): the target side (Console's teleporterTrg around VMR3LoadFromStream, §1.4 / §7.6). It
 * creates the target VM (CREATED), listens on TCP (127.0.0.1 unless told otherwise) and runs handshakes side by
 * side, each under one deadline (admission.ts): TLS-PSK by default (secure.ts), then the welcome and the source's
 * "load" command. A wrong password, a vCPU-count mismatch or a bad command only costs that connection and is
 * logged (onRefused); the target keeps listening, as VirtualBox's does. Once a source has said "load", the target
 * commits to it — it stops listening, enters LOADING and loads the stream as it arrives (receive.ts), then waits
 * for the source's "done". It resolves with the VM SUSPENDED and fTeleportedAndNotFullyResumedYet set, ready to
 * resume. Any failure after "load" leaves the VM in LOAD_FAILURE (or SUSPENDED if the load itself worked), then
 * powers it off and destroys it; the server and every socket are closed on every path.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  VBoxError, VERR_ACCESS_DENIED, VERR_AUTHENTICATION_FAILURE, VERR_CANCELLED, VERR_INVALID_PARAMETER,
  VERR_NET_CONNECTION_RESET_BY_PEER, VERR_RESOURCE_BUSY, VERR_SSM_LOAD_CONFIG_MISMATCH, VERR_TIMEOUT,
} from '../status.js';
import type { GuestRamOptions } from '../ssm/live/guest-ram.js';
import type { VmConfigInput } from '../vmm/config.js';
import type { VM } from '../api/vm.js';
import type { Vmm } from '../api/vmm.js';
import { type AdmissionOptions, type Attempt, TeleportAdmission } from './admission.js';
import { TELEPORTER_WELCOME, TeleportChannel } from './channel.js';
import { checkPassword, checkPort, checkPositive, nackLine, parseCommand, TELEPORTER_DEFAULT_HOST } from './handshake.js';
import { defaultMaxUnitBytes, teleportInto } from './receive.js';
import { isKeyMismatch, passwordMatches, securityOf, serverTls, targetKey, tlsFailureStatus, type TargetKey } from './secure.js';

export interface TeleportListenOptions extends AdmissionOptions {
  /** TCP port; 0 picks a free one (see onListening). */
  port: number;
  password: string;
  host?: string;
  cpus: number;
  config?: VmConfigInput;
  /** Must match the source's RAM size. */
  ram?: GuestRamOptions;
  stallTimeoutMs?: number;
  maxFrameBytes?: number;
  /**
   * 'plain': no TLS — the password and the guest RAM cross the network in clear. Only for a trusted network or
   * a peer that cannot do TLS-PSK; the source must ask for it too.
   */
  insecure?: 'plain';
  /** Largest saved-state unit accepted (default: the VM's RAM + 1/16 + 4 MiB); larger ones VERR_TOO_MUCH_DATA. */
  maxUnitBytes?: number;
  /** Called once the server listens, with the port actually bound. */
  onListening?: (address: { host: string; port: number }) => void;
  /** Called with the target VM right after it is created (to watch it). */
  onVm?: (vm: VM) => void;
  /** Stop listening: rejects with VERR_CANCELLED (only before a source has said "load"). */
  signal?: AbortSignal;
}

const WHO = 'teleport target';

/** Listen for one teleport into a new VM. Rejects with VBoxError after cleaning up. */
export async function listenForTeleport(vmm: Vmm, options: TeleportListenOptions): Promise<VM> {
  if (typeof options !== 'object' || options === null) throw new VBoxError(VERR_INVALID_PARAMETER, 'listenForTeleport options must be an object');
  const password = checkPassword(options.password);
  const port = checkPort(options.port, true);
  for (const name of ['stallTimeoutMs', 'maxFrameBytes', 'handshakeTimeoutMs', 'maxPendingHandshakes', 'backoffBaseMs', 'backoffMaxMs', 'maxUnitBytes'] as const) {
    checkPositive(name, options[name]);
  }
  if (options.onRefused !== undefined && typeof options.onRefused !== 'function') throw new VBoxError(VERR_INVALID_PARAMETER, 'teleport: onRefused must be a function');
  const security = securityOf(options.insecure);
  const host = options.host ?? TELEPORTER_DEFAULT_HOST;
  options.signal?.throwIfAborted();
  const key = security === 'tls-psk' ? await targetKey(password) : null;
  const vm = await vmm.create({ cpus: options.cpus, ...(options.config ? { config: options.config } : {}), ...(options.ram ? { ram: options.ram } : {}) });
  options.onVm?.(vm);
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  try {
    await listen(server, port, host);
    options.onListening?.({ host, port: (server.address() as AddressInfo).port });
    return await accept(vm, server, key, password, options);
  } catch (error) {
    await cleanUp(vm);
    throw error;
  } finally {
    server.close();
    for (const socket of sockets) socket.destroy();
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const rc = error.code === 'EADDRINUSE' ? VERR_RESOURCE_BUSY : VERR_ACCESS_DENIED;
      reject(new VBoxError(rc, `${WHO}: cannot listen on ${host}:${port}: ${error.message}`));
    });
    server.listen(port, host, () => resolve());
  });
}

/** Handshakes side by side (admission.ts) until one source says "load"; then that teleport alone. */
function accept(vm: VM, server: Server, key: TargetKey | null, password: string, options: TeleportListenOptions): Promise<VM> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let committed = false;
    const admission = new TeleportAdmission(options, VERR_TIMEOUT);
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      server.off('connection', onConnection);
      options.signal?.removeEventListener('abort', onAbort);
      admission.close(VERR_CANCELLED);
      fn();
    };
    const onAbort = () => {
      if (!committed) settle(() => reject(new VBoxError(VERR_CANCELLED, `${WHO}: stopped listening`)));
    };
    const commit = (): boolean => {
      if (committed || settled) return false;
      committed = true;
      server.off('connection', onConnection);
      server.close(); // committed to this source: no other peer, no abort
      admission.close(VERR_RESOURCE_BUSY);
      return true;
    };
    const onConnection = (socket: Socket) => {
      if (committed || settled) return void socket.destroy();
      admission.admit(socket, VERR_RESOURCE_BUSY, (attempt) => {
        handshake(vm, attempt, key, password, options, admission).then(async (channel) => {
          if (!channel) return;
          if (!commit()) {
            channel.writeLine(nackLine(VERR_RESOURCE_BUSY, 'another source is teleporting here'));
            channel.close();
            return;
          }
          const name = `teleport stream from ${attempt.peer}`;
          try {
            const arrived = await teleportInto(vm, channel, name, options.maxUnitBytes ?? defaultMaxUnitBytes(vm.ram.sizeBytes));
            settle(() => resolve(arrived));
          } catch (error) {
            settle(() => reject(error));
          } finally {
            channel.destroy();
          }
        }, (error: unknown) => settle(() => reject(error)));
      });
    };
    server.on('connection', onConnection);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One handshake, cheap to refuse: TLS-PSK (or the plain password), the welcome, the "load" command with the
 * source's vCPU count. Resolves with the channel ready for the stream, or null after logging the refusal.
 */
async function handshake(
  vm: VM, attempt: Attempt, key: TargetKey | null, password: string, options: TeleportListenOptions, admission: TeleportAdmission,
): Promise<TeleportChannel | null> {
  let channel: TeleportChannel | null = null;
  const refuse = (rc: number, reason: string, wrongPassword = false) => {
    if (channel && !channel.failure) channel.writeLine(nackLine(rc, reason));
    channel?.close();
    admission.refused(attempt, reason, rc, wrongPassword);
    return null;
  };
  try {
    const socket = key ? await tlsAccepted(serverTls(attempt.socket, key)) : attempt.socket;
    channel = new TeleportChannel(socket, {
      who: WHO, ...(options.stallTimeoutMs ? { stallTimeoutMs: options.stallTimeoutMs } : {}), ...(options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {}),
    });
    channel.writeLine(TELEPORTER_WELCOME);
    if (!key) {
      if (!passwordMatches(await channel.readLine('the password'), password)) return refuse(VERR_AUTHENTICATION_FAILURE, 'wrong password', true);
      channel.writeLine('ACK');
    }
    const command = parseCommand(await channel.readLine('a command'));
    if (!command) return refuse(VERR_INVALID_PARAMETER, 'unknown command');
    if (command.cpus !== null && command.cpus !== vm.core.cCpus) {
      return refuse(VERR_SSM_LOAD_CONFIG_MISMATCH, `vCPU count mismatch: the source VM has ${command.cpus} vCPUs, this one ${vm.core.cCpus}`);
    }
    admission.done(attempt);
    return channel;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { rc?: number };
    channel?.destroy();
    attempt.socket.destroySoon(); // let a TLS alert already queued reach the peer (it names the key mismatch)
    if (failure.rc === undefined && isKeyMismatch(failure)) return refuse(VERR_AUTHENTICATION_FAILURE, 'wrong password (TLS-PSK key mismatch)', true);
    return refuse(failure.rc ?? tlsFailureStatus(failure), failure.message.split('\n')[0]!.slice(0, 200));
  }
}

/** The TLS handshake on an accepted socket: resolves once the peer proved the key, rejects with its error. */
function tlsAccepted(socket: TLSSocket): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    socket.once('secure', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new VBoxError(VERR_NET_CONNECTION_RESET_BY_PEER, `${WHO}: the peer left during the TLS handshake`)));
  });
}

/** A failed teleport leaves nothing behind: power the target off (from LOAD_FAILURE, CREATED …) and destroy it. */
async function cleanUp(vm: VM): Promise<void> {
  try {
    if (vm.state !== 'OFF' && vm.state !== 'TERMINATED') await vm.powerOff();
    if (vm.state === 'OFF') await vm.destroy();
  } catch {
    // The VM is in a state power-off does not take; nothing more we can do for it here.
  }
}
