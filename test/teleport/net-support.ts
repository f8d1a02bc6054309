/**
 * Loopback helpers for the teleport tests: a target that reports its port, scripted fake peers speaking (or
 * breaking) the wire protocol, and a leak check over Node's active TCP handles.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, beforeEach, expect } from 'vitest';
import type { VM, Vmm } from '../../src/index.js';
import { TeleportChannel } from '../../src/teleport/channel.js';
import { clientTlsOptions, serverTls, targetKey } from '../../src/teleport/secure.js';
import type { TeleportListenOptions } from '../../src/teleport/target.js';

export const PASSWORD = 'sesame';

/** TCP handles alive now (sockets and servers). */
export const tcpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;

/** Wait (event-loop turns, no clock) until the TCP handles are back to `baseline`, then assert it. */
export async function expectNoLeaks(baseline: number): Promise<void> {
  for (let i = 0; i < 2000 && tcpHandles() > baseline; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(tcpHandles()).toBe(baseline);
}

/** Every test of the calling file must leave no TCP handle behind (servers, sockets, TLS). */
export function checkNoTcpLeaks(): void {
  let baseline = 0;
  beforeEach(() => {
    baseline = tcpHandles();
  });
  afterEach(async () => {
    await expectNoLeaks(baseline);
  });
}

export interface Listening {
  port: number;
  target: Promise<VM>;
  /** The target VM's state changes ("FROM>TO"). */
  states: string[];
  vm: () => VM;
}

/** vmm.listenForTeleport on port 0; resolves once it listens. */
export async function listen(vmm: Vmm, options: Partial<TeleportListenOptions> = {}): Promise<Listening> {
  const states: string[] = [];
  let vm: VM | undefined;
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => (listening = resolve));
  const target = vmm.listenForTeleport({
    port: 0, password: PASSWORD, cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: 256 * 1024 }, ...options,
    onVm: (created) => {
      vm = created;
      created.events$.subscribe((e) => {
        if (e.kind === 'state') states.push(`${e.from}>${e.to}`);
      });
    },
    onListening: (address) => listening(address.port),
  });
  const port = await Promise.race([bound, target.then(() => -1)]);
  return { port, target, states, vm: () => vm! };
}

/** A fake source: connects (TLS-PSK with `password` unless it is null: plain TCP) and hands a channel to the script. */
export async function fakeSource(port: number, password: string | null = PASSWORD): Promise<{ channel: TeleportChannel; socket: Socket }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s: Socket = password === null
      ? connect({ host: '127.0.0.1', port }, () => resolve(s))
      : tlsConnect({ host: '127.0.0.1', port, ...clientTlsOptions(password, () => {}) }, () => resolve(s));
    s.once('error', reject);
  });
  return { channel: new TeleportChannel(socket, { who: 'fake source' }), socket };
}

/** A fake target: every connection (TLS-PSK with `password` unless null) runs `script`; close() drops them all. */
export async function fakeTarget(
  script: (channel: TeleportChannel, socket: Socket) => Promise<void>, password: string | null = PASSWORD,
): Promise<{ port: number; close(): Promise<void> }> {
  const key = password === null ? null : await targetKey(password);
  const sockets = new Set<Socket>();
  const server: Server = createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    const socket = key ? serverTls(raw, key) : raw;
    const run = () => script(new TeleportChannel(socket, { who: 'fake target' }), socket).catch(() => socket.destroy());
    if (key) socket.once('secure', run).once('error', () => raw.destroy());
    else void run();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A fake target's handshake (inside TLS): welcome, load ACK. */
export async function acceptLoad(channel: TeleportChannel): Promise<void> {
  channel.writeLine('VirtualBox-Teleporter-1.0');
  await channel.readLine('a command');
  channel.writeLine('ACK');
}
