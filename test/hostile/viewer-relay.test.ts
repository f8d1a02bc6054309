/**
 * Goal (issue 13 item 3): the live relay's memory is bounded by bytes, not by a message count (500,000
 * messages of any size held 1.2 GB for 100 × 10 MiB). Policy: one message over `maxMessageBytes` is refused
 * (ws closes its sender with 1009, nothing is kept); past `maxBytes` the oldest messages are dropped, and a
 * page that connects later first gets a DROPPED_TYPE marker with how many, then the newest messages in order.
 * The defaults are finite (RELAY_LIMITS). Figures for the 100 × 10 MiB flood: bench/viewer-flood.ts.
 * Method: a real `startViewer({ live, limits })` on 127.0.0.1 with small limits, a real engine-side ws client
 * publishing with the token, late readers; expectations derived from the limits and message sizes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DROPPED_TYPE, Relay, RELAY_LIMITS } from '../../src/inspect/relay.js';
import { startViewer, type ViewerServer } from '../../src/inspect/server.js';
import { connect, until } from './viewer-helpers.js';

const KiB = 1024;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function live(limits: { maxBytes: number; maxMessageBytes: number; maxClients?: number }): Promise<ViewerServer> {
  const viewer = await startViewer({ live: 'ws://127.0.0.1:0', limits });
  closers.push(() => viewer.close());
  return viewer;
}

async function publisher(viewer: ViewerServer) {
  const { client } = await connect(viewer.wsUrl);
  closers.push(() => client!.socket.terminate());
  return client!;
}

// Publishers are write-only: the relay sends them nothing, neither the replay nor what others publish.

/** A message of exactly `bytes` UTF-8 bytes, numbered. */
const message = (i: number, bytes: number) => {
  const head = JSON.stringify({ type: '@xstate.event', i, pad: '' });
  return head.replace('"pad":""', `"pad":"${'x'.repeat(bytes - head.length)}"`);
};

describe('viewer relay: bounded by bytes', () => {
  it('has finite default limits', () => {
    const relay = new Relay();
    expect(relay.limits).toEqual(RELAY_LIMITS);
    expect(RELAY_LIMITS.maxBytes).toBeLessThanOrEqual(256 * 1024 * KiB);
    expect(RELAY_LIMITS.maxMessageBytes).toBeLessThanOrEqual(RELAY_LIMITS.maxBytes);
    expect(RELAY_LIMITS.maxClients).toBeLessThanOrEqual(1024);
  });

  it.each([
    // [messages, size, maxBytes]: kept = floor(maxBytes / size) newest, the rest dropped
    [20, 100 * KiB, 1024 * KiB],
    [64, 16 * KiB, 256 * KiB],
    [10, 50 * KiB, 1024 * KiB], // all fit: no marker
  ])('%i messages of %i bytes into %i bytes: drops the oldest, tells late pages how many', async (count, size, maxBytes) => {
    const viewer = await live({ maxBytes, maxMessageBytes: 128 * KiB });
    const engine = await publisher(viewer);
    for (let i = 0; i < count; i++) engine.socket.send(message(i, size));
    const kept = Math.min(count, Math.floor(maxBytes / size));
    await until(() => viewer.relay.dropped + viewer.relay.messages.length === count);
    expect(viewer.relay.bytes).toBeLessThanOrEqual(maxBytes);
    expect(viewer.relay.messages.map((m) => (JSON.parse(m) as { i: number }).i)).toEqual(
      Array.from({ length: kept }, (_, k) => count - kept + k),
    );
    const { client: page } = await connect(viewer.wsUrl.replace(/\?.*/, ''));
    closers.push(() => page!.socket.terminate());
    const expected = kept + (kept < count ? 1 : 0);
    await until(() => page!.messages.length >= expected);
    const got = page!.messages.map((m) => JSON.parse(m) as { type: string; i?: number; dropped?: number });
    if (kept < count) expect(got[0]).toMatchObject({ type: DROPPED_TYPE, dropped: count - kept, bytes: (count - kept) * size });
    expect(got.filter((m) => m.type !== DROPPED_TYPE).map((m) => m.i)).toEqual(Array.from({ length: kept }, (_, k) => count - kept + k));
  });

  it('refuses a message over maxMessageBytes: the sender is closed with 1009, nothing is kept', async () => {
    const viewer = await live({ maxBytes: 1024 * KiB, maxMessageBytes: 64 * KiB });
    const engine = await publisher(viewer);
    engine.socket.send(message(0, 64 * KiB + 1));
    expect(await engine.closed).toBe(1009);
    expect(viewer.relay.messages).toEqual([]);
    expect(viewer.relay.bytes).toBe(0);
  });

  it('with the default limits, a 10 MiB message is refused', async () => {
    const viewer = await startViewer({ live: 'ws://127.0.0.1:0' });
    closers.push(() => viewer.close());
    const engine = await publisher(viewer);
    engine.socket.send(message(0, 10 * 1024 * KiB));
    expect(await engine.closed).toBe(1009);
    expect(viewer.relay.bytes).toBe(0);
  });

  it('refuses connections past maxClients (503), readers and publishers alike, and takes one again after a close', async () => {
    const viewer = await live({ maxBytes: 1024 * KiB, maxMessageBytes: 64 * KiB, maxClients: 3 });
    const page = viewer.wsUrl.replace(/\?.*/, '');
    const first = await publisher(viewer);
    const others = await Promise.all([connect(page), connect(page)]);
    for (const { client } of others) closers.push(() => client!.socket.terminate());
    expect((await connect(page)).refused).toBe(503);
    expect((await connect(viewer.wsUrl)).refused).toBe(503);
    first.socket.close();
    await first.closed;
    await until(() => viewer.relay.clients === 2);
    const again = await connect(page);
    closers.push(() => again.client?.socket.terminate());
    expect(again.client).toBeDefined();
  });

  it('counts a too-large in-process publish (the Stately bridge path) as dropped, keeps it out', () => {
    const relay = new Relay({ maxBytes: 1000, maxMessageBytes: 100, maxClients: 1 });
    relay.publish('x'.repeat(101));
    relay.publish('y'.repeat(100));
    expect(relay.messages).toEqual(['y'.repeat(100)]);
    expect(relay.dropped).toBe(1);
  });
});
