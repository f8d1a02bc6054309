/**
 * vmm.listenForTeleport(): the target side (Console's teleporterTrg around VMR3LoadFromStream, §1.4 / §7.6). It
 * creates the target VM (CREATED), listens on TCP (127.0.0.1 unless told otherwise) and serves connections one
 * at a time: a wrong password or a bad command only costs that connection (the target keeps listening, as
 * VirtualBox's does); once a source has said "load", the target commits to it — it stops listening, enters
 * LOADING, buffers the stream, loads it on EMT(0) with teleport semantics and waits for the source's "done".
 * It resolves with the VM SUSPENDED and fTeleportedAndNotFullyResumedYet set, ready to resume. Any failure after
 * "load" leaves the VM in LOAD_FAILURE (or SUSPENDED if the load itself worked), then powers it off and
 * destroys it; the server and every socket are closed on every path.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  RT_FAILURE, VBoxError, VERR_AUTHENTICATION_FAILURE, VERR_CANCELLED, VERR_INVALID_MAGIC, VERR_INVALID_PARAMETER,
  VERR_RESOURCE_BUSY, VERR_SSM_CANCELLED, VERR_ACCESS_DENIED,
} from '../status.js';
import type { GuestRamOptions } from '../ssm/live/guest-ram.js';
import { vmR3LoadBegin, vmR3LoadFailed, vmR3LoadFinish } from '../ssm/live/vm-load.js';
import { MemorySource } from '../ssm/sources.js';
import type { VmConfigInput } from '../vmm/config.js';
import { reqCallOp, runOperation } from '../vmm/external.js';
import type { EmtContext } from '../vmm/types.js';
import type { VM } from '../vmm/vm.js';
import type { Vmm } from '../vmm/vmm.js';
import { TELEPORTER_WELCOME, TeleportChannel } from './channel.js';
import { checkPassword, checkPort, checkPositive, nackLine, TELEPORTER_DEFAULT_HOST } from './handshake.js';

export interface TeleportListenOptions {
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
  /** Called once the server listens, with the port actually bound. */
  onListening?: (address: { host: string; port: number }) => void;
  /** Called with the target VM right after it is created (to watch it). */
  onVm?: (vm: VM) => void;
  /** Stop listening: rejects with VERR_CANCELLED (only before a source has said "load"). */
  signal?: AbortSignal;
}

const WHO = 'teleport target';

type Served = { kind: 'retry' } | { kind: 'done'; vm: VM };

/** Listen for one teleport into a new VM. Rejects with VBoxError after cleaning up. */
export async function listenForTeleport(vmm: Vmm, options: TeleportListenOptions): Promise<VM> {
  if (typeof options !== 'object' || options === null) throw new VBoxError(VERR_INVALID_PARAMETER, 'listenForTeleport options must be an object');
  const password = checkPassword(options.password);
  const port = checkPort(options.port, true);
  checkPositive('stallTimeoutMs', options.stallTimeoutMs);
  checkPositive('maxFrameBytes', options.maxFrameBytes);
  const host = options.host ?? TELEPORTER_DEFAULT_HOST;
  options.signal?.throwIfAborted();
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
    return await accept(vm, server, password, options);
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

/** Serve connections one at a time until one teleport finishes (or fails after "load"). */
function accept(vm: VM, server: Server, password: string, options: TeleportListenOptions): Promise<VM> {
  return new Promise((resolve, reject) => {
    let busy = false;
    let settled = false;
    let committed = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      server.off('connection', onConnection);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      if (!committed) settle(() => reject(new VBoxError(VERR_CANCELLED, `${WHO}: stopped listening`)));
    };
    const onConnection = (socket: Socket) => {
      if (busy || settled) return void socket.destroy();
      busy = true;
      serve(vm, server, socket, password, options, () => (committed = true)).then(
        (served) => {
          busy = false;
          if (served.kind === 'done') settle(() => resolve(served.vm));
        },
        (error: unknown) => settle(() => reject(error)),
      );
    };
    server.on('connection', onConnection);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One connection: handshake (cheap to refuse), then the committed teleport. */
async function serve(
  vm: VM, server: Server, socket: Socket, password: string, options: TeleportListenOptions, commit: () => void,
): Promise<Served> {
  const channel = new TeleportChannel(socket, {
    who: WHO, ...(options.stallTimeoutMs ? { stallTimeoutMs: options.stallTimeoutMs } : {}), ...(options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {}),
  });
  try {
    channel.writeLine(TELEPORTER_WELCOME);
    if ((await channel.readLine('the password')) !== password) {
      channel.writeLine(nackLine(VERR_AUTHENTICATION_FAILURE, 'wrong password'));
      channel.close();
      return { kind: 'retry' };
    }
    channel.writeLine('ACK');
    const command = await channel.readLine('a command');
    if (command !== 'load') {
      channel.writeLine(nackLine(VERR_INVALID_PARAMETER, `unknown command '${command.slice(0, 32)}'`));
      channel.close();
      return { kind: 'retry' };
    }
  } catch {
    channel.destroy(); // nothing flowed yet: drop this peer and keep listening
    return { kind: 'retry' };
  }
  commit();
  server.close(); // committed to this source: no other peer, no abort
  const name = `teleport stream from ${socket.remoteAddress}:${socket.remotePort}`;
  try {
    return { kind: 'done', vm: await teleportInto(vm, channel, name) };
  } finally {
    channel.destroy();
  }
}

async function onEmt0(vm: VM, fn: (ctx: EmtContext) => number): Promise<number> {
  return runOperation(vm.core, reqCallOp(vm.pool, { target: 0 }, fn, []));
}

/** LOADING, the stream, the load, the hand-over. */
async function teleportInto(vm: VM, channel: TeleportChannel, name: string): Promise<VM> {
  const begin = await onEmt0(vm, ({ vm: core }) => vmR3LoadBegin(core, 'VMR3LoadFromStream', true));
  if (RT_FAILURE(begin)) {
    const message = vm.core.lastError?.message ?? `the target VM is ${vm.state}`;
    channel.writeLine(nackLine(begin, message));
    throw new VBoxError(begin, `${WHO}: ${message}`);
  }
  channel.writeLine('ACK');
  const chunks: Buffer[] = [];
  try {
    for (;;) {
      const frame = await channel.readFrame();
      if (frame.kind === 'end') break;
      if (frame.kind === 'cancel') throw new VBoxError(VERR_SSM_CANCELLED, `${WHO}: the source cancelled the teleport`);
      chunks.push(frame.bytes);
    }
  } catch (error) {
    const failure = error instanceof VBoxError ? error : new VBoxError(VERR_INVALID_MAGIC, String(error));
    await onEmt0(vm, ({ vm: core }) => vmR3LoadFailed(core, failure.rc, failure.message, name));
    throw failure;
  }
  const rc = await onEmt0(vm, ({ vm: core }) => vmR3LoadFinish(core, new MemorySource(Buffer.concat(chunks)), name, true, {}));
  if (RT_FAILURE(rc)) {
    const message = vm.core.lastError?.message ?? 'the load failed';
    if (!channel.failure) channel.writeLine(nackLine(rc, message));
    throw new VBoxError(rc, `${WHO}: ${message}`);
  }
  channel.writeLine('ACK');
  const done = await channel.readLine('the hand-over');
  if (done !== 'done') throw channel.abort(new VBoxError(VERR_INVALID_MAGIC, `${WHO}: garbled hand-over`));
  channel.writeLine('ACK');
  channel.close();
  return vm;
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
