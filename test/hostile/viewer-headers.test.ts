/**
 * Goal (issue 13 item 3): every response of the viewer — the page at /, the same page at /viewer/index.html
 * (which was served without a CSP), scripts, JSON, mermaid, errors — carries the Content-Security-Policy,
 * `X-Content-Type-Options: nosniff` and `frame-ancestors 'none'`, and the Stately bridge's page does too.
 * Method: raw HTTP on 127.0.0.1 for each path and status; the CSP is parsed into directives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewer, type ViewerServer } from '../../src/inspect/server.js';
import { startStatelyBridge, type StatelyBridge } from '../../src/inspect/stately-bridge.js';
import { HEADER, rawGet, type RawResponse } from './viewer-helpers.js';

let viewer: ViewerServer;
let bridge: StatelyBridge;
beforeAll(async () => {
  viewer = await startViewer({ records: [HEADER] });
  bridge = await startStatelyBridge({ inspectorUrl: 'http://127.0.0.1:9/inspect' });
});
afterAll(async () => {
  await viewer.close();
  await bridge.close();
});

function directives(response: RawResponse): Map<string, string> {
  const csp = String(response.headers['content-security-policy'] ?? '');
  return new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0]!, d.slice(d.indexOf(' ') + 1)]));
}

function expectHardened(response: RawResponse) {
  const csp = directives(response);
  expect(csp.get('default-src')).toBe("'self'");
  expect(csp.get('frame-ancestors')).toBe("'none'");
  expect(csp.get('object-src')).toBe("'none'");
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['x-frame-options']).toBe('DENY');
}

describe('viewer: security headers on every response', () => {
  it.each([
    ['/', 200],
    ['/index.html', 200],
    ['/viewer/index.html', 200],
    ['/viewer/app.js', 200],
    ['/viewer/viewer.css', 200],
    ['/vendor/mermaid.min.js', 200],
    ['/api/trace', 200],
    ['/api/machines', 200],
    ['/viewer/secret.ts', 404],
    ['/nothing', 404],
  ])('GET %s (%i)', async (path, status) => {
    const response = await rawGet(new URL(path, viewer.url).href);
    expect(response.status).toBe(status);
    expectHardened(response);
  });

  it('POST / (405) and a refused Host (403) carry them too', async () => {
    const post = await rawGet(viewer.url, {}, 'POST');
    expect(post.status).toBe(405);
    expectHardened(post);
    const foreign = await rawGet(viewer.url, { host: 'evil.example' });
    expect(foreign.status).toBe(403);
    expectHardened(foreign);
  });

  it('the page may script and connect only to its own origin', async () => {
    const csp = directives(await rawGet(new URL('/viewer/index.html', viewer.url).href));
    expect(csp.get('script-src')).toBe("'self'");
    const port = new URL(viewer.url).port;
    expect(csp.get('connect-src')!.split(' ').sort()).toEqual(["'self'", `ws://127.0.0.1:${port}`, `ws://localhost:${port}`].sort());
  });

  it('the Stately bridge page: hardened, its one inline script by hash, framing only the inspector', async () => {
    const response = await rawGet(bridge.url);
    expect(response.status).toBe(200);
    expectHardened(response);
    const csp = directives(response);
    expect(csp.get('script-src')).toMatch(/^'self' 'sha256-[A-Za-z0-9+/=]+'$/);
    expect(csp.get('frame-src')).toBe('http://127.0.0.1:9');
  });
});
