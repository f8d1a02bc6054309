/**
 * Goal (issue 13 item 3): the live stream is read only by the viewer's own pages, and only engines publish:
 * a page of another origin can neither read the stream nor inject a fake `@xstate.actor` that reaches the
 * other pages; a page of the viewer's own origin reads but cannot publish; an engine publishes with the
 * server's token (URL `?token=` or `Authorization: Bearer`), and a wrong token is refused. The Stately
 * bridge's pages obey the same rules.
 * Method: real ws clients on 127.0.0.1 against `startViewer({ live })` and `startStatelyBridge()`, with the
 * Origin and token each row gives; what each socket receives is compared with what the engine published.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startViewer, type ViewerServer } from '../../src/inspect/server.js';
import { startStatelyBridge } from '../../src/inspect/stately-bridge.js';
import { serveViewer } from '../../src/inspect/trace-actions.js';
import { createWebSocketSink } from '../../src/inspect/ws-stream.js';
import { collect, lifecycle } from '../inspect/helpers.js';
import { type Client, connect, FAKE_ACTOR, until } from './viewer-helpers.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function live(): Promise<{ viewer: ViewerServer; pageWs: string; origin: string }> {
  const viewer = await startViewer({ live: 'ws://127.0.0.1:0' });
  closers.push(() => viewer.close());
  const pageWs = viewer.wsUrl.replace(/\/\?.*$/, '/');
  return { viewer, pageWs, origin: new URL(viewer.url).origin };
}

async function open(url: string, options: Parameters<typeof connect>[1] = {}): Promise<Client> {
  const { client, refused } = await connect(url, options);
  if (!client) throw new Error(`refused with ${refused}`);
  closers.push(() => client.socket.terminate());
  return client;
}

describe('viewer: websocket origins and publishers', () => {
  it.each([
    ['a foreign site', 'http://evil.example'],
    ['a foreign site on the same port', 'http://evil.example:PORT'],
    ['an opaque origin (sandboxed frame, file:)', 'null'],
    ['https on the loopback name', 'https://127.0.0.1:PORT'],
    ['the loopback address on another port', 'http://127.0.0.1:1'],
  ])('refuses a page of %s (Origin %s)', async (_name, origin) => {
    const { viewer, pageWs } = await live();
    const port = new URL(viewer.url).port;
    const { refused } = await connect(pageWs, { origin: origin.replace('PORT', port) });
    expect(refused).toBe(403);
  });

  it.each([['127.0.0.1'], ['localhost']])('lets a page of its own origin (http://%s:PORT) read the stream', async (name) => {
    const { viewer, pageWs } = await live();
    const port = new URL(viewer.url).port;
    const page = await open(pageWs, { origin: `http://${name}:${port}` });
    const memory = collect();
    const sink = createWebSocketSink(viewer.wsUrl);
    await lifecycle([memory.sink, sink]);
    await sink.close();
    await until(() => page.messages.length >= memory.records.length);
    expect(page.messages.map((m) => (JSON.parse(m) as { seq: number }).seq)).toEqual(memory.records.map((r) => r.seq));
  });

  it('closes a page that tries to publish (1008) and relays nothing of it to the other pages', async () => {
    const { viewer, pageWs, origin } = await live();
    const victim = await open(pageWs, { origin });
    const attacker = await open(pageWs, { origin });
    attacker.socket.send(FAKE_ACTOR);
    expect(await attacker.closed).toBe(1008);
    // A real engine message after the fake one: once it arrives, the fake one would have arrived before it.
    const engine = await open(viewer.wsUrl);
    engine.socket.send(JSON.stringify({ type: '@xstate.event', marker: 'real' }));
    await until(() => victim.messages.length >= 1);
    expect(victim.messages).toEqual([JSON.stringify({ type: '@xstate.event', marker: 'real' })]);
    expect(viewer.relay.messages).not.toContain(FAKE_ACTOR);
  });

  it('closes a client without token (not a browser) that tries to publish', async () => {
    const { viewer, pageWs } = await live();
    const client = await open(pageWs);
    client.socket.send(FAKE_ACTOR);
    expect(await client.closed).toBe(1008);
    expect(viewer.relay.messages).toEqual([]);
  });

  it.each([
    ['a wrong token in the URL', (v: ViewerServer) => [v.wsUrl.replace(/token=.*/, 'token=wrong'), {}] as const],
    ['a token one character off', (v: ViewerServer) => [v.wsUrl.slice(0, -1) + (v.wsUrl.endsWith('A') ? 'B' : 'A'), {}] as const],
    ['a wrong bearer token', (v: ViewerServer) => [v.wsUrl.replace(/\?.*/, ''), { headers: { authorization: 'Bearer nope' } }] as const],
  ])('refuses a publisher with %s (401)', async (_name, make) => {
    const { viewer } = await live();
    const [url, options] = make(viewer);
    expect((await connect(url, options)).refused).toBe(401);
  });

  it('an engine without the token is refused at its first record, told why, and nothing is relayed', async () => {
    const { viewer, pageWs } = await live();
    const errors: Error[] = [];
    const sink = createWebSocketSink(pageWs, { onError: (e) => errors.push(e) });
    await lifecycle(sink);
    await until(() => errors.length > 0);
    await sink.close();
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/refused the records \(1008 read-only\): give the relay's token/)]);
    expect(viewer.relay.messages).toEqual([]);
  });

  it('takes an engine with the token as a bearer header (createWebSocketSink({ token }))', async () => {
    const { viewer, pageWs, origin } = await live();
    const page = await open(pageWs, { origin });
    const sink = createWebSocketSink(viewer.wsUrl.replace(/\?.*/, ''), { token: viewer.token });
    const memory = collect();
    await lifecycle([memory.sink, sink]);
    await sink.close();
    await until(() => page.messages.length >= memory.records.length);
    expect(page.messages).toHaveLength(memory.records.length);
  });
});

describe('Stately bridge: pages only read', () => {
  it('refuses a foreign origin, lets its own page read, closes a page that publishes', async () => {
    const bridge = await startStatelyBridge({ inspectorUrl: 'http://127.0.0.1:9/inspect' });
    closers.push(() => bridge.close());
    const wsUrl = bridge.url.replace('http:', 'ws:');
    const origin = new URL(bridge.url).origin;
    expect((await connect(wsUrl, { origin: 'http://evil.example' })).refused).toBe(403);
    const page = await open(wsUrl, { origin });
    const attacker = await open(wsUrl, { origin });
    attacker.socket.send(FAKE_ACTOR);
    expect(await attacker.closed).toBe(1008);
    bridge.relay.publish('{"type":"from-the-engine"}');
    await until(() => page.messages.length >= 1);
    expect(page.messages).toEqual(['{"type":"from-the-engine"}']);
  });
});

describe('view --live: the address it prints', () => {
  it.each([
    ['a fresh token in the URL', undefined],
    ['the token from VMM_ACTORS_INSPECT_TOKEN, kept off the command line', 'token-from-the-environment'],
  ])('%s', async (_name, fromEnv) => {
    const saved = process.env.VMM_ACTORS_INSPECT_TOKEN;
    if (fromEnv) process.env.VMM_ACTORS_INSPECT_TOKEN = fromEnv;
    else delete process.env.VMM_ACTORS_INSPECT_TOKEN;
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    try {
      const serving = serveViewer({ live: 'ws://127.0.0.1:0' }, (line) => lines.push(line), stopped);
      await until(() => lines.length >= 2);
      const url = /--inspect-ws (ws:\/\/\S+)/.exec(lines[1]!)![1]!;
      if (fromEnv) expect(lines[1]).toMatch(/^engines stream to it with: vmm-actors demo --inspect-ws ws:\/\/127\.0\.0\.1:\d+\/ \(with VMM_ACTORS_INSPECT_TOKEN set\)$/);
      else expect(url).toMatch(/\/\?token=[A-Za-z0-9_-]{43}$/);
      // What it prints is what an engine needs: records sent that way arrive.
      const sink = createWebSocketSink(url, { token: process.env.VMM_ACTORS_INSPECT_TOKEN });
      const page = await open(url.replace(/\?.*/, ''));
      await lifecycle(sink);
      await sink.close();
      await until(() => page.messages.length >= sink.sent && sink.sent > 0);
      stop();
      await serving;
    } finally {
      if (saved === undefined) delete process.env.VMM_ACTORS_INSPECT_TOKEN;
      else process.env.VMM_ACTORS_INSPECT_TOKEN = saved;
    }
  });
});
