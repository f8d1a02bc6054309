/**
 * Goal: the local viewer's server serves everything the page needs from 127.0.0.1 — page, scripts, mermaid
 * from node_modules, machine graphs, the trace — and nothing from elsewhere; in live mode it relays what
 * engines stream to it (or attaches to the relay already at that address).
 * Method: plain HTTP and websocket clients against startViewer(); the page itself is driven in
 * test/browser/viewer.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startViewer, type ViewerServer } from '../../src/inspect/server.js';
import { TraceRecorder } from '../../src/inspect/recorder.js';
import { inspectionOf } from '../../src/inspect/replayer.js';
import { createWebSocketSink } from '../../src/inspect/ws-stream.js';
import { collect, lifecycle } from './helpers.js';

const servers: ViewerServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function recorded() {
  const recorder = new TraceRecorder({ source: 'test', setup: { cpus: 2 } });
  await lifecycle(recorder);
  return recorder.records;
}

/** Messages on a websocket until `count` arrived. */
function receive(url: string, count: number): Promise<string[]> {
  const socket = new WebSocket(url);
  const messages: string[] = [];
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (data) => {
      if (messages.length === count) return;
      messages.push(data.toString());
      if (messages.length === count) {
        socket.close();
        resolve(messages);
      }
    });
  });
}

describe('vmm-actors view (the viewer server)', () => {
  it('serves page, scripts, styles and mermaid from 127.0.0.1 with a same-origin CSP', async () => {
    const viewer = await startViewer({ records: await recorded() });
    servers.push(viewer);
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(viewer.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
    const html = await page.text();
    for (const asset of ['/vendor/mermaid.min.js', '/viewer/app.js', '/viewer/viewer.css']) {
      expect(html).toContain(asset);
      const response = await fetch(new URL(asset, viewer.url));
      expect(response.status, asset).toBe(200);
    }
    const mermaid = await (await fetch(new URL('/vendor/mermaid.min.js', viewer.url))).text();
    expect(mermaid.length).toBeGreaterThan(1_000_000);
  });

  it('references no other origin from its own assets', async () => {
    const viewer = await startViewer({ records: await recorded() });
    servers.push(viewer);
    for (const asset of ['/', '/viewer/app.js', '/viewer/model.js', '/viewer/charts.js', '/viewer/sequence.js', '/viewer/viewer.css']) {
      const text = await (await fetch(new URL(asset, viewer.url))).text();
      expect(text.match(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi) ?? [], asset).toEqual([]);
    }
  });

  it.each([
    ['a path outside the viewer directory', '/viewer/../../package.json'],
    ['an unknown asset', '/viewer/secret.ts'],
    ['an unknown route', '/etc/passwd'],
  ])('answers 404 for %s', async (_name, path) => {
    const viewer = await startViewer({ records: await recorded() });
    servers.push(viewer);
    const response = await fetch(new URL(path, viewer.url));
    expect(response.status).toBe(404);
  });

  it('serves the machine graphs with their flowcharts and the trace as inspection records', async () => {
    const records = await recorded();
    const viewer = await startViewer({ records, title: 'lifecycle' });
    servers.push(viewer);
    const machines = (await (await fetch(new URL('/api/machines', viewer.url))).json()) as { name: string; states: unknown[]; flowchart: { source: string } }[];
    const vm = machines.find((m) => m.name === 'vm')!;
    expect(vm.states).toHaveLength(31);
    expect(vm.flowchart.source).toMatch(/^flowchart TB\n/);
    const trace = (await (await fetch(new URL('/api/trace', viewer.url))).json()) as { title: string; mode: string; header: unknown; records: unknown[] };
    expect(trace).toMatchObject({ title: 'lifecycle', mode: 'trace', header: { source: 'test', setup: { cpus: 2 } } });
    expect(trace.records).toEqual(inspectionOf(records));
  });

  it('live: relays what an engine streams, replaying it to a page that connects later', async () => {
    const viewer = await startViewer({ live: 'ws://127.0.0.1:0' });
    servers.push(viewer);
    expect(viewer.mode).toBe('live');
    const memory = collect();
    const sink = createWebSocketSink(viewer.wsUrl);
    await lifecycle([memory.sink, sink]);
    await sink.close();
    // Pages read from the address without the token (the token makes a write-only publisher).
    const messages = await receive(viewer.wsUrl.replace(/\?.*/, ''), memory.records.length);
    expect(messages.map((m) => (JSON.parse(m) as { seq: number }).seq)).toEqual(memory.records.map((r) => r.seq));
    const trace = (await (await fetch(new URL('/api/trace', viewer.url))).json()) as { mode: string };
    expect(trace.mode).toBe('live');
  });

  it('live: attaches to the relay already at the address', async () => {
    const first = await startViewer({ live: 'ws://127.0.0.1:0' });
    servers.push(first);
    const second = await startViewer({ live: first.wsUrl });
    servers.push(second);
    expect(second.mode).toBe('live-attached');
    const memory = collect();
    const arrived = receive(second.wsUrl.replace(/\?.*/, ''), 20);
    const sink = createWebSocketSink(first.wsUrl);
    await lifecycle([memory.sink, sink]);
    await sink.close();
    expect((await arrived).map((m) => (JSON.parse(m) as { seq: number }).seq)).toEqual(memory.records.slice(0, 20).map((r) => r.seq));
  });

  it('refuses a live address that is not ws://', async () => {
    await expect(startViewer({ live: 'http://127.0.0.1:0' })).rejects.toThrow(/ws:\/\//);
  });
});
