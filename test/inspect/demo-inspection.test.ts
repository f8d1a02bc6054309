/**
 * Goal: `demo --inspect` opens the Stately inspector when stately.ai is reachable and says so — without
 * hanging — when it is not; `--trace` and `--inspect-ws` go along in the same run.
 * Method: openDemoInspection with the reachability check injected (these machines are offline); online, the
 * bridge page and its relay run on 127.0.0.1 and a websocket client stands in for the browser tab.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runDemo } from '../../src/cli/commands/demo.js';
import { openDemoInspection } from '../../src/inspect/demo-inspection.js';
import { readTrace } from '../../src/inspect/replayer.js';

const setup = { cpus: 2, seed: 1, clock: 'virtual' };
const run = (inspect: Parameters<typeof runDemo>[0]['inspect']) => runDemo({ cpus: 2, seed: 1, clock: 'virtual', quiet: true, inspect }, () => undefined);

describe('vmm-actors demo --inspect / --trace', () => {
  it('offline: says the Stately inspector is unreachable, points to the local viewer, and runs', async () => {
    const lines: string[] = [];
    const inspection = await openDemoInspection({ inspect: true, setup, out: (l) => lines.push(l), isOnline: async () => false });
    expect(inspection.inspect).toBeUndefined();
    expect(await run(inspection.inspect)).toBe(0);
    await inspection.finish();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^--inspect: the Stately inspector \(https:\/\/stately\.ai\/inspect\) is not reachable .*`vmm-actors view run\.jsonl`/);
  });

  it('online: serves the bridge page and relays the run, in Stately events, to the page', async () => {
    const lines: string[] = [];
    const inspection = await openDemoInspection({ inspect: true, setup, out: (l) => lines.push(l), isOnline: async () => true, openBrowser: false });
    const bridge = inspection.bridge!;
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await (await fetch(bridge.url)).text();
    expect(page).toContain('<iframe id="inspector" src="https://stately.ai/inspect">');
    await run(inspection.inspect);
    // The tab connects late: the relay replays the whole run; @statelyai/inspect delivers on its own schedule.
    const tab = new WebSocket(bridge.url.replace('http', 'ws'));
    type Seen = { sessionId: string; type: string; snapshot?: { value?: string } };
    const terminated = new Promise<Seen[]>((resolve) => {
      const seen: Seen[] = [];
      tab.on('message', (data) => {
        const event = JSON.parse(data.toString()) as Seen;
        seen.push(event);
        // The demo's two VMs (lifecycle, then the race) both end TERMINATED.
        const ends = seen.filter((e) => /^vm\.\d+$/.test(e.sessionId) && e.snapshot?.value === 'TERMINATED');
        if (ends.length === 2 && ends.at(-1) === event) resolve(seen);
      });
    });
    const seen = await terminated;
    tab.close();
    expect(seen[0]).toMatchObject({ type: '@xstate.actor', sessionId: 'vm.1' });
    await inspection.finish(Promise.resolve());
    expect(lines.at(-1)).toMatch(/Stately inspector at http:\/\/127\.0\.0\.1:\d+\/; Ctrl-C to stop$/);
  });

  it('--trace writes the trace file and says where', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vmm-demo-')), 'run.jsonl');
    const lines: string[] = [];
    const inspection = await openDemoInspection({ trace: file, setup, out: (l) => lines.push(l) });
    await run(inspection.inspect);
    await inspection.finish();
    const trace = readTrace(file);
    expect(trace[0]).toMatchObject({ type: 'header', source: 'demo', setup });
    expect(trace.filter((r) => r.type === 'choice').length).toBeGreaterThan(100);
    expect(lines).toEqual([`trace: ${trace.length} records written to ${file} (view it: vmm-actors view ${file})`]);
  });

  it('--inspect-ws to an address nobody listens on: reported once, the run completes', async () => {
    const lines: string[] = [];
    const inspection = await openDemoInspection({ inspectWs: 'ws://127.0.0.1:1', setup, out: (l) => lines.push(l) });
    expect(await run(inspection.inspect)).toBe(0);
    await inspection.finish();
    expect(lines).toEqual([expect.stringMatching(/^--inspect-ws: cannot reach ws:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); running without it$/)]);
  });
});
