/**
 * Goal (issue 13 item 3): the viewer answers only requests that name the loopback host it listens on, so a
 * DNS-rebinding page (evil.example resolving to 127.0.0.1) reads neither the trace nor the stream.
 * Method: raw HTTP requests and websocket upgrades on 127.0.0.1 with the Host header each row gives; the
 * allowed rows are the names the server listens on (127.0.0.1:PORT, localhost:PORT), every other one must be
 * refused with 403 and no trace in the body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewer, type ViewerServer } from '../../src/inspect/server.js';
import { connect, HEADER, rawGet } from './viewer-helpers.js';

let viewer: ViewerServer;
let port: string;
const TITLE = 'secret-trace-title';

beforeAll(async () => {
  viewer = await startViewer({ records: [HEADER], title: TITLE });
  port = new URL(viewer.url).port;
});
afterAll(() => viewer.close());

const PATHS = ['/api/trace', '/api/machines', '/', '/viewer/index.html', '/viewer/app.js', '/vendor/mermaid.min.js'];

describe('viewer: Host check (DNS rebinding)', () => {
  it.each([
    ['127.0.0.1:PORT'],
    ['localhost:PORT'],
    ['LOCALHOST:PORT'],
  ])('serves Host %s', async (host) => {
    const response = await rawGet(`${viewer.url}api/trace`, { host: host.replace('PORT', port) });
    expect(response.status).toBe(200);
    expect(response.body).toContain(TITLE);
  });

  const refused = [
    ['a foreign name on the right port', 'evil.example:PORT'],
    ['a foreign name without a port', 'evil.example'],
    ['a name that ends in localhost', 'evil.localhost.example:PORT'],
    ['localhost on another port', 'localhost:1'],
    ['the address without its port', '127.0.0.1'],
    ['another loopback address', '127.0.0.2:PORT'],
    ['an empty host', ''],
  ];
  it.each(refused.flatMap(([name, host]) => PATHS.map((path) => [name, host, path] as const)))(
    'refuses %s (%s) on %s',
    async (_name, host, path) => {
      const response = await rawGet(new URL(path, viewer.url).href, { host: host!.replace('PORT', port) });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.body).not.toContain(TITLE);
      expect(response.body.length).toBeLessThan(100);
    },
  );

  it('refuses a request without a Host header', async () => {
    const response = await rawGet(`${viewer.url}api/trace`, { host: '' });
    expect(response.status).toBeGreaterThanOrEqual(400);
  });

  it.each([
    ['evil.example:PORT', 403],
    ['localhost:PORT', 0],
  ])('websocket upgrade with Host %s', async (host, status) => {
    const { client, refused } = await connect(viewer.wsUrl.replace(/\/\?.*$/, '/'), { headers: { host: host.replace('PORT', port) } });
    client?.socket.close();
    expect(refused ?? 0).toBe(status);
  });
});

describe('viewer on ::1: Host check', () => {
  it('answers [::1]:PORT and localhost:PORT, refuses 127.0.0.1:PORT and foreign names', async (ctx) => {
    const v6 = await startViewer({ records: [HEADER], title: TITLE, host: '::1' }).catch(() => undefined);
    if (!v6) return ctx.skip(); // no IPv6 loopback on this machine
    try {
      const p = new URL(v6.url).port;
      const status = async (host: string) => (await rawGet(`${v6.url}api/trace`, { host })).status;
      expect(await status(`[::1]:${p}`)).toBe(200);
      expect(await status(`localhost:${p}`)).toBe(200);
      expect(await status(`127.0.0.1:${p}`)).toBe(403);
      expect(await status(`evil.example:${p}`)).toBe(403);
    } finally {
      await v6.close();
    }
  });
});
