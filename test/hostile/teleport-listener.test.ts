/**
 * Hostile peers at a teleport target's door (issue 13 item 2).
 *
 * Goal: one deadline covers the whole handshake, so a peer that dribbles a byte at a time is dropped at the
 * deadline (today the stall timer restarts on every byte); silent peers do not shut out a real source (today the
 * first one holds the only slot); failed passwords back off per peer, doubling, and every refusal is reported
 * to onRefused with its reason, status, failure count and wait.
 * Method: raw TCP and TLS-PSK peers on loopback against vmm.listenForTeleport with short configured deadlines
 * and backoffs; only lower bounds of time are asserted (a loaded machine is only slower).
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { VERR_AUTHENTICATION_FAILURE, VERR_CANCELLED, VERR_RESOURCE_BUSY, VERR_TIMEOUT } from '../../src/index.js';
import type { TeleportRefusal } from '../../src/teleport/admission.js';
import { checkNoTcpLeaks, fakeSource, listen, PASSWORD } from '../teleport/net-support.js';
import { engine, MiB, newVm, realEngine } from '../teleport/support.js';

checkNoTcpLeaks();

function rawClient(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('teleport listener: deadlines and pending connections', () => {
  // TLS: a record header announcing 16 KiB, then its body a byte at a time; plain: a password line that never ends.
  it.each([
    ['TLS-PSK', {}, [0x16, 0x03, 0x01, 0x40, 0x00]],
    ['plain', { insecure: 'plain' as const }, []],
  ] as const)('%s: a peer dribbling one byte every 50 ms is dropped at the handshake deadline (300 ms), though the stall timer never fires', async (_mode, security, prefix) => {
    const refusals: TeleportRefusal[] = [];
    const abort = new AbortController();
    const listening = await listen(engine(), { ...security, handshakeTimeoutMs: 300, stallTimeoutMs: 60_000, signal: abort.signal, onRefused: (r) => refusals.push(r) });
    const socket = await rawClient(listening.port);
    socket.on('error', () => {});
    socket.write(Buffer.from(prefix));
    const started = performance.now();
    let sent = 0;
    const dribble = setInterval(() => {
      if (!socket.destroyed && sent < 200) socket.write(Buffer.of(0x61)), sent++;
    }, 50);
    await closed(socket);
    clearInterval(dribble);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100); // not refused at once: it waited for the deadline
    expect(sent).toBeLessThan(200); // closed while it was still dribbling
    expect(refusals).toEqual([expect.objectContaining({ rc: VERR_TIMEOUT, reason: 'handshake deadline (300 ms)' })]);
    abort.abort();
    await expect(listening.target).rejects.toMatchObject({ rc: VERR_CANCELLED });
  });

  it('silent peers holding connections, more than may be pending, do not shut out a real source', async () => {
    const refusals: TeleportRefusal[] = [];
    const listening = await listen(engine(), { maxPendingHandshakes: 2, onRefused: (r) => refusals.push(r) });
    const silent = await Promise.all([1, 2, 3].map(() => rawClient(listening.port)));
    for (const socket of silent) socket.on('error', () => {});
    const { vm: source } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 4 * MiB } }, realEngine());
    await source.teleport({ port: listening.port, password: PASSWORD });
    expect((await listening.target).state).toBe('SUSPENDED');
    await Promise.all(silent.map(closed)); // evicted, or dropped when the target committed
    expect(refusals.filter((r) => r.reason.startsWith('evicted'))).not.toHaveLength(0);
    expect(refusals.every((r) => r.rc === VERR_RESOURCE_BUSY || r.rc === VERR_CANCELLED)).toBe(true);
    expect(refusals).toHaveLength(3);
  });

  it('a flood of connections from one address evicts its own, not a real source from another address', async () => {
    // The flooder: another process (so the source's scrypt does not pause it) opening a silent connection from
    // 127.0.0.2 every millisecond, far more than maxPendingHandshakes within one real handshake.
    const refusals: TeleportRefusal[] = [];
    const listening = await listen(engine(), { maxPendingHandshakes: 4, onRefused: (r) => refusals.push(r) });
    const flooder = spawn(process.execPath, ['-e', `
      const net = require('node:net'); const held = [];
      setInterval(() => { const s = net.connect({ host: '127.0.0.1', port: ${listening.port}, localAddress: '127.0.0.2' }); s.on('error', () => {}); held.push(s); }, 1);
      process.stdout.write('flooding\\n');`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => flooder.stdout.once('data', resolve));
      while (refusals.length < 8) await new Promise((resolve) => setTimeout(resolve, 5)); // the slots are full
      const { vm: source } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 4 * MiB } }, realEngine());
      const sent = await source.teleport({ port: listening.port, password: PASSWORD });
      expect(sent.rc).toBe(0);
      expect((await listening.target).state).toBe('SUSPENDED');
    } finally {
      flooder.kill();
    }
    const evicted = refusals.filter((r) => r.reason.startsWith('evicted'));
    expect(evicted.length).toBeGreaterThan(0);
    expect(evicted.filter((r) => !r.peer.startsWith('127.0.0.2:'))).toEqual([]);
  });
});

describe('teleport listener: failed passwords', () => {
  it('back off per peer (100, 200, 400, 400 ms), each refusal logged; the right password still gets in', async () => {
    const refusals: TeleportRefusal[] = [];
    const listening = await listen(engine(), { backoffBaseMs: 100, backoffMaxMs: 400, onRefused: (r) => refusals.push(r) });
    const waited: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await expect(fakeSource(listening.port, `wrong-${i}`)).rejects.toThrow();
      waited.push(performance.now() - started);
    }
    const expected = [0, 100, 200, 400, 400];
    waited.forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual(expected[i]! * 0.75)); // lower bounds only: load only slows
    expect(refusals.map((r) => [r.rc, r.failures, r.backoffMs > 0])).toEqual([1, 2, 3, 4, 5].map((n) => [VERR_AUTHENTICATION_FAILURE, n, true]));
    expect(refusals.every((r) => /wrong password/.test(r.reason) && /^127\.0\.0\.1:\d+$/.test(r.peer))).toBe(true);
    const { vm: source } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true } }, realEngine());
    await source.teleport({ port: listening.port, password: PASSWORD });
    expect((await listening.target).state).toBe('SUSPENDED');
  });

  it("in plain mode too: a wrong password line is NACKed, logged and backed off", async () => {
    const refusals: TeleportRefusal[] = [];
    const abort = new AbortController();
    const listening = await listen(engine(), { insecure: 'plain', backoffBaseMs: 150, signal: abort.signal, onRefused: (r) => refusals.push(r) });
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const peer = await fakeSource(listening.port, null);
      expect(await peer.channel.readLine('the welcome')).toBe('VirtualBox-Teleporter-1.0');
      peer.channel.writeLine('open barley');
      expect(await peer.channel.readLine('the answer')).toMatch(new RegExp(`^NACK=${VERR_AUTHENTICATION_FAILURE};`));
      times.push(performance.now() - started);
      peer.channel.destroy();
    }
    expect(times[1]).toBeGreaterThanOrEqual(150 * 0.75);
    expect(refusals.map((r) => [r.reason, r.failures])).toEqual([['wrong password', 1], ['wrong password', 2]]);
    abort.abort();
    await expect(listening.target).rejects.toMatchObject({ rc: VERR_CANCELLED });
  });
});
