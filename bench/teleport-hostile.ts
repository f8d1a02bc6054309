/**
 * Figures for the teleport listener under hostile peers (issue 13 item 2), all on loopback with the defaults:
 *  - junk flood: an authenticated source sends a real saved-state header, then a unit of endless 1 MiB records
 *    (up to 800 MiB) into a target VM of 4 MiB RAM: bytes it got out before the refusal, the status, peak RSS;
 *  - handshake deadline: how long a silent TCP peer keeps its connection;
 *  - failed passwords: wrong-password attempts one peer completes in 20 s, one after the other.
 *
 * `npx tsx bench/teleport-hostile.ts [flood MiB]` (default 800).
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { demoGuest } from '../src/guest/demo-guest.js';
import { createVMM, statusName } from '../src/index.js';
import { MemorySink } from '../src/ssm/sinks.js';
import type { TeleportRefusal } from '../src/teleport/admission.js';
import { TeleportChannel } from '../src/teleport/channel.js';
import { clientTlsOptions } from '../src/teleport/secure.js';

const MiB = 1024 * 1024;
const PASSWORD = 'bench-password';

async function target(extra: { onRefused?: (r: TeleportRefusal) => void; signal?: AbortSignal } = {}) {
  const vmm = createVMM({ clock: 'real', hooks: demoGuest() });
  let port = 0;
  const bound = new Promise<void>((resolve) => {
    const arrived = vmm.listenForTeleport({
      port: 0, password: PASSWORD, cpus: 1, ram: { sizeBytes: 4 * MiB }, ...extra,
      onListening: (address) => {
        port = address.port;
        resolve();
      },
    });
    target.last = arrived.then(() => 'arrived', (error: { rc?: number }) => statusName(error.rc ?? -1));
  });
  await bound;
  return { vmm, port };
}
target.last = Promise.resolve('');

function tlsChannel(port: number, password: string): Promise<TeleportChannel> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...clientTlsOptions(password, () => {}) }, () => resolve(new TeleportChannel(socket, { who: 'bench' })));
    socket.once('error', reject);
  });
}

async function headers(): Promise<Buffer> {
  const vmm = createVMM({ hooks: demoGuest() });
  const vm = await vmm.create({ cpus: 1, ram: { sizeBytes: 64 * 1024 } });
  await vm.powerOn();
  await vm.suspend();
  const sink = new MemorySink();
  await vm.save(sink);
  vmm.dispose();
  const bytes = Buffer.concat(sink.chunks);
  return bytes.subarray(0, 64 + 44 + bytes.readUInt32LE(64 + 40));
}

async function junkFlood(limitMiB: number): Promise<void> {
  const { vmm, port } = await target();
  const channel = await tlsChannel(port, PASSWORD);
  await channel.readLine('welcome');
  channel.writeLine('load');
  await channel.readLine('ack');
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = performance.now();
  const cb = MiB - 5;
  const record = Buffer.concat([Buffer.of(0x82, 0xf0 | (cb >>> 18), 0x80 | ((cb >>> 12) & 0x3f), 0x80 | ((cb >>> 6) & 0x3f), 0x80 | (cb & 0x3f)), Buffer.alloc(cb, 0x5a)]);
  channel.writeFrame(await headers());
  while (channel.bytesOut < limitMiB * MiB && !channel.failure && channel.unread === 0) {
    channel.writeFrame(record);
    await new Promise<void>((resolve) => channel.whenFlushed(resolve));
  }
  const answer = channel.failure ? channel.failure.message : await channel.readLine('answer');
  clearInterval(sampler);
  console.log(`junk flood (${limitMiB} MiB offered, 4 MiB VM): ${(channel.bytesOut / MiB).toFixed(1)} MiB sent before the answer "${answer.slice(0, 60)}" in ${(performance.now() - started).toFixed(0)} ms; target ${await target.last}; peak RSS ${(peak / MiB).toFixed(0)} MiB (${(before / MiB).toFixed(0)} MiB before)`);
  channel.destroy();
  vmm.dispose();
}

async function deadline(): Promise<void> {
  const abort = new AbortController();
  const { vmm, port } = await target({ signal: abort.signal });
  const started = performance.now();
  const socket: Socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('close', resolve));
  console.log(`handshake deadline: a silent peer was dropped after ${(performance.now() - started).toFixed(0)} ms`);
  abort.abort();
  await target.last;
  vmm.dispose();
}

async function passwords(windowMs: number): Promise<void> {
  const refusals: TeleportRefusal[] = [];
  const abort = new AbortController();
  const { vmm, port } = await target({ onRefused: (r) => refusals.push(r), signal: abort.signal });
  const started = performance.now();
  let attempts = 0;
  while (performance.now() - started < windowMs) {
    await tlsChannel(port, `guess-${attempts}`).then((channel) => channel.destroy(), () => {});
    attempts++;
  }
  const waits = refusals.map((r) => r.backoffMs).join(', ');
  console.log(`failed passwords: ${attempts} attempts in ${windowMs / 1000} s from one peer (${(attempts / (windowMs / 1000)).toFixed(2)}/s); backoff after each: ${waits} ms`);
  abort.abort();
  await target.last;
  vmm.dispose();
}

export async function main(floodMiB = Number(process.argv[2] ?? 800)): Promise<void> {
  await junkFlood(floodMiB);
  await deadline();
  await passwords(20_000);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
