/**
 * Goal (issue 14 item 2): a trace written by `observe` opens in the local viewer with the log's VM (vm.1) beside
 * the re-enacted one (vm.2): the sequence view shows both VMs' state changes on one time axis, each VM's
 * changes the path the log gives, and the actor filter offers both; a hand-trimmed excerpt (first line
 * SUSPENDING) shows the log's VM in SUSPENDING before its first step, not in CREATING.
 * Method: observeFile on real logs of test/observe/fixtures, the trace served by startViewer on 127.0.0.1, the
 * page driven in Debian's Chromium (playwright-core); every request stays on 127.0.0.1, no page error.
 * Skipped, with a message, when Chromium is not installed.
 */
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewer, type ViewerServer } from '../../src/inspect/server.js';
import { observeFile, type ObserveResult } from '../../src/observe/index.js';
import { HAVE_CHROMIUM, launchChromium } from './chromium.js';

declare const document: any;
interface El { dataset: Record<string, string>; value: string; textContent: string | null }

const fixture = (name: string) => fileURLToPath(new URL(`../observe/fixtures/${name}`, import.meta.url));

let browser: Browser;
const servers: ViewerServer[] = [];
const requests: string[] = [];
const pageErrors: string[] = [];

async function open(result: ObserveResult): Promise<Page> {
  const viewer = await startViewer({ records: result.trace, title: `observe: ${result.file}` });
  servers.push(viewer);
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(viewer.url);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 30_000 });
  expect(await page.evaluate(() => document.body.dataset.ready)).toBe('true');
  return page;
}

/** The steps of one VM's state changes in the sequence view (not its log context lines, event 'log'). */
const vmRows = (page: Page, vm: string) =>
  page.$$eval(`#seq-body .row[data-actor="${vm}"][data-category="vm"]:not([data-event="log"])`, (els) => els.map((el) => Number((el as El).dataset.step)));

describe.skipIf(!HAVE_CHROMIUM)('an observed VBox.log in the viewer (Chromium)', () => {
  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
  });

  it("shows the log's VM beside the re-enacted one: both VMs' changes on one time axis, both in the actor filter", async () => {
    const result = await observeFile(fixture('Bayons__Minix__Logs__VBox.log.log'));
    const page = await open(result);
    const observed = await vmRows(page, 'vm.1');
    const reenacted = await vmRows(page, 'vm.2');
    // The log's 13 changes, and the engine's: the same path (reenact identical), so as many VM changes.
    expect(observed).toHaveLength(result.changes.length);
    expect(reenacted).toHaveLength(result.reenactStates.length - 1);
    // One axis: the engine's changes interleave with the log's (each call runs at the logged time).
    expect(reenacted[0]!).toBeLessThan(observed.at(-1)!);
    expect(observed[0]!).toBeLessThan(reenacted.at(-1)!);
    // The log's context lines are the VM's, labelled with their line and text (not errors): line 1068 gives the pause reason.
    const contextRows = await page.$$eval('#seq-body .row[data-actor="vm.1"][data-event="log"]', (els) =>
      els.map((el) => [(el as El).dataset.category, el.textContent]));
    expect(contextRows.length).toBeGreaterThan(0);
    expect(contextRows.every(([category]) => category === 'vm')).toBe(true);
    expect(contextRows.map(([, text]) => text)).toContainEqual(expect.stringContaining('vm.1 line 1068: host suspend'));
    const options = await page.$$eval('#actor-filter option', (els) => els.map((el) => (el as El).value));
    expect(options).toEqual(expect.arrayContaining(['vm.1', 'vm.2']));
    expect(pageErrors).toEqual([]);
    expect(requests.every((url) => url.startsWith('http://127.0.0.1:'))).toBe(true);
  });

  it('an excerpt that starts in SUSPENDING: the log VM is in SUSPENDING before its first step', async () => {
    const result = await observeFile(fixture('thebagmaster__WEB_Streambot__Logs__VBox.log.2.log'));
    expect(result.states[0]).toBe('SUSPENDING');
    const page = await open(result);
    await page.selectOption('#actor-filter', 'vm.1');
    const first = (await vmRows(page, 'vm.1'))[0]!;
    await page.fill('#step-input', String(first - 1));
    await page.press('#step-input', 'Enter');
    const current = await page.$eval('[data-machine="vm"] g.node.is-current', (el) => (el as El).dataset.state);
    expect(current).toBe('SUSPENDING');
    expect(await vmRows(page, 'vm.1')).toHaveLength(result.changes.length);
    expect(pageErrors).toEqual([]);
  });
});
