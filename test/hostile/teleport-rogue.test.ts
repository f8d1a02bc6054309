/**
 * Who can read a teleport (issue 13 item 2): by default the password never crosses the wire, the source only
 * talks to a target that proves it knows the password, and the stream is confidential.
 *
 * Goal: a rogue listener that speaks the old clear-text wire (welcome, ACK to everything, read the frames) —
 * which today captures the password and the guest RAM while the source reports success — gets neither and the
 * source fails with its VM still RUNNING; a rogue that speaks TLS-PSK with another password fails the handshake
 * (VERR_AUTHENTICATION_FAILURE) before any plaintext; a wiretap on a successful teleport sees no password and no
 * RAM. With insecure: 'plain' on both ends the wiretap does see the password: the option means what it says.
 * Method: real sockets on loopback; a capturing TCP server, a TLS-PSK fake target, and a recording TCP proxy;
 * the captured bytes are searched for the password and for 32-byte slices of every guest RAM page.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { VERR_AUTHENTICATION_FAILURE, VERR_INVALID_MAGIC, VINF_SUCCESS, type VM } from '../../src/index.js';
import { checkNoTcpLeaks, fakeTarget, listen } from '../teleport/net-support.js';
import { engine, MiB, newVm, realEngine, watchStates } from '../teleport/support.js';

checkNoTcpLeaks();

const SECRET = 'correct horse battery staple';

async function runningSource(): Promise<VM> {
  const { vm } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 4 * MiB } }, realEngine());
  return vm;
}

/** Pages of guest RAM whose first 32 bytes occur in `bytes`. */
function ramPagesIn(vm: VM, bytes: Buffer): number {
  let found = 0;
  for (let page = 0; page < vm.ram.pageCount; page++) if (bytes.indexOf(vm.ram.page(page).subarray(0, 32)) >= 0) found++;
  return found;
}

/** A TCP server with a script per connection; every byte received is kept. */
async function capturingServer(script: (socket: Socket) => void): Promise<{ port: number; captured: () => Buffer; close(): Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    script(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    captured: () => Buffer.concat(chunks),
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A TCP proxy to `port` that records both directions. */
function wiretap(port: number) {
  return capturingServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port });
    upstream.on('error', () => client.destroy());
    const upChunks: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => upChunks.push(chunk));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
}

describe('a rogue teleport target', () => {
  it('speaking the clear-text wire (welcome, ACK to every line): captures no password and no RAM; the source fails, still RUNNING', async () => {
    const rogue = await capturingServer((socket) => {
      socket.write('VirtualBox-Teleporter-1.0\n');
      socket.on('data', (chunk: Buffer) => {
        for (const byte of chunk) if (byte === 0x0a) socket.write('ACK\n');
      });
    });
    const source = await runningSource();
    const states = watchStates(source);
    await expect(source.teleport({ port: rogue.port, password: SECRET, stallTimeoutMs: 2000 })).rejects.toMatchObject({ rc: VERR_INVALID_MAGIC });
    for (let i = 0; i < 2000 && rogue.captured().length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    const captured = rogue.captured();
    expect(captured.length).toBeGreaterThan(0); // it did hear the source (a TLS ClientHello)
    expect(captured.includes(SECRET)).toBe(false);
    expect(ramPagesIn(source, captured)).toBe(0);
    expect(states).toEqual([]);
    expect(source.state).toBe('RUNNING');
    await rogue.close();
  });

  it('speaking TLS-PSK without the password: the handshake fails (VERR_AUTHENTICATION_FAILURE), no line ever flows', async () => {
    let talked = false;
    const rogue = await fakeTarget(async () => {
      talked = true;
    }, 'a guess');
    const source = await runningSource();
    await expect(source.teleport({ port: rogue.port, password: SECRET })).rejects.toMatchObject({ rc: VERR_AUTHENTICATION_FAILURE });
    expect(talked).toBe(false);
    expect(source.state).toBe('RUNNING');
    await rogue.close();
  });
});

describe('a wiretap between source and target', () => {
  it.each([
    ['TLS-PSK (default)', false, {}],
    ["insecure: 'plain'", true, { insecure: 'plain' as const }],
  ] as const)('%s: the teleport works; the tap sees the password and RAM: %s', async (_mode, visible, security) => {
    const listening = await listen(engine(), { ...security, password: SECRET });
    const tap = await wiretap(listening.port);
    const source = await runningSource();
    const result = await source.teleport({ port: tap.port, password: SECRET, ...security });
    expect(result.rc).toBe(VINF_SUCCESS);
    expect((await listening.target).ram.digest()).toBe(source.ram.digest());
    const captured = tap.captured();
    expect(captured.length).toBeGreaterThan(result.bytes); // everything the source sent went through the tap
    expect(captured.includes(SECRET)).toBe(visible);
    expect(ramPagesIn(source, captured) > 0).toBe(visible);
    await tap.close();
  });
});
