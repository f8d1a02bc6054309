/**
 * Goal (issue 13 item 3), in a real browser: a page of another origin (here another port on 127.0.0.1, as a
 * DNS-rebinding or any local site would be) can neither open the viewer's live stream nor read its trace,
 * while the viewer's own page follows it; and a page that joins after the relay dropped old messages says so.
 * Method: Debian's Chromium (playwright-core) against `startViewer({ live, limits })`; the foreign page is
 * served by a plain node:http server on another port. Skipped, with a message, without Chromium.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewer, type ViewerServer } from '../../src/inspect/server.js';
import { HAVE_CHROMIUM, launchChromium } from '../browser/chromium.js';
import { connect, until } from './viewer-helpers.js';

declare const document: any;
declare const window: any;

let browser: Browser;
let viewer: ViewerServer;
let foreign: Server;
let foreignUrl: string;

describe.skipIf(!HAVE_CHROMIUM)('viewer in Chromium: foreign pages are shut out', () => {
  beforeAll(async () => {
    viewer = await startViewer({ live: 'ws://127.0.0.1:0', limits: { maxBytes: 64 * 1024, maxMessageBytes: 16 * 1024 } });
    foreign = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
    await new Promise((resolve) => foreign?.close(resolve));
  });

  it('a page of another origin cannot open the live stream, nor read the trace', async () => {
    const page = await browser.newPage();
    await page.goto(foreignUrl);
    const wsUrl = viewer.wsUrl.replace(/\?.*/, '');
    const outcome = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const socket = new window.WebSocket(url);
          socket.onopen = () => resolve('open');
          socket.onerror = () => resolve('refused');
        }),
      wsUrl,
    );
    expect(outcome).toBe('refused');
    const read = await page.evaluate((url) => fetch(url).then((r: any) => r.text()).then(() => 'read', () => 'blocked'), `${viewer.url}api/trace`);
    expect(read).toBe('blocked');
    await page.close();
  });

  it("the viewer's own page follows the stream and says how many messages the relay dropped before it came", async () => {
    const { client: engine } = await connect(viewer.wsUrl);
    const snapshot = { status: 'active', value: 'CREATED' };
    // 40 announcements of ~4 KiB into a 64 KiB buffer: the oldest go.
    for (let i = 0; i < 40; i++) {
      engine!.socket.send(JSON.stringify({ type: '@xstate.actor', seq: i, tNs: i, actorId: `vm.${i + 1}`, rootId: `vm.${i + 1}`, machine: 'vm', snapshot, pad: 'x'.repeat(4000) }));
    }
    await until(() => viewer.relay.dropped + viewer.relay.messages.length === 40);
    const dropped = viewer.relay.dropped;
    expect(dropped).toBeGreaterThan(0);
    const page = await browser.newPage();
    await page.goto(viewer.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await page.waitForFunction(() => document.querySelector('#live')?.dataset.dropped !== undefined);
    expect(await page.$eval('#live', (el: any) => el.dataset.dropped)).toBe(String(dropped));
    expect(await page.$eval('#live', (el: any) => el.textContent)).toContain(`${dropped} earlier messages dropped`);
    engine!.socket.terminate();
    await page.close();
  });
});
