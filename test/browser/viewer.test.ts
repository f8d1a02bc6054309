/**
 * Goal: the local viewer works in a real browser, offline: a recorded demo shows the VM statechart with all
 * 31 states, stepping moves the highlight along the recorded VM states, the sequence view lists a power-on's
 * rendezvous in descending EMT order, jumps and the actor filter work, a live engine shows up as it runs, and
 * the README's mermaid diagrams render. A screenshot is kept in artifacts/ (UPDATE_SCREENSHOT=1 also
 * refreshes docs/viewer.png).
 * Method: the demo recorded with the trace recorder, served by startViewer on 127.0.0.1, driven in Debian's
 * Chromium through playwright-core; every request the page makes is recorded and must stay on 127.0.0.1.
 * Skipped, with a message, when Chromium is not installed.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explore, parseScenario } from '../../src/check/index.js';
import { runDemo } from '../../src/cli/commands/demo.js';
import { diagramFiles } from '../../src/inspect/export/index.js';
import { allMachineGraphs } from '../../src/inspect/machine-graph.js';
import { TraceRecorder } from '../../src/inspect/recorder.js';
import type { EventRecord, InspectionRecord, SnapshotRecord } from '../../src/inspect/records.js';
import { inspectionOf } from '../../src/inspect/replayer.js';
import { startViewer, type ViewerServer } from '../../src/inspect/server.js';
import { createWebSocketSink } from '../../src/inspect/ws-stream.js';
import { HAVE_CHROMIUM, launchChromium } from './chromium.js';

// page.evaluate callbacks run in the browser; the project compiles without the DOM library.
declare const document: any;
declare const window: any;
interface El { dataset: Record<string, string>; textContent: string | null; value: string; click(): void }

const root = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = `${root}artifacts/`;

let browser: Browser;
let viewer: ViewerServer;
let records: InspectionRecord[];
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];

/** The VM states the trace went through, in order (both VMs of the demo share vm.1: GVMM reuses handles). */
const recordedVmStates = () =>
  records.filter((r): r is SnapshotRecord => r.type === '@xstate.snapshot' && r.actorId === 'vm.1').map((r) => r.snapshot.value);

async function open(path = '') {
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${viewer.url}${path}`);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 30_000 });
  expect(await page.evaluate(() => document.body.dataset.ready)).toBe('true');
}

const current = (machine: string) => page.$eval(`[data-machine="${machine}"] g.node.is-current`, (el) => (el as El).dataset.state);
const cursor = () => page.$eval('#step-input', (el) => Number((el as El).value));

describe.skipIf(!HAVE_CHROMIUM)('vmm-actors view in Chromium', () => {
  beforeAll(async () => {
    const recorder = new TraceRecorder({ source: 'demo', setup: { cpus: 4, seed: 7, clock: 'virtual' } });
    await runDemo({ cpus: 4, seed: 7, clock: 'virtual', quiet: true, inspect: recorder }, () => undefined);
    records = inspectionOf(recorder.records);
    viewer = await startViewer({ records: recorder.records, title: 'demo (4 vCPUs, seed 7)' });
    browser = await launchChromium();
    await open();
  });

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  it('draws the VM statechart from machines/vm.ts with all 31 states and 67 transitions', async () => {
    const states = await page.$$eval('[data-machine="vm"] g.node[data-state]', (els) => els.map((el) => (el as El).dataset.state));
    const vm = allMachineGraphs().find((g) => g.name === 'vm')!;
    expect(states).toHaveLength(31);
    expect(new Set(states)).toEqual(new Set(vm.states.map((s) => s.id)));
    expect(await page.$$eval('[data-machine="vm"] path[data-transition]', (els) => els.length)).toBe(67);
    const charts = await page.$$eval('.chart-card', (els) => els.map((el) => (el as El).dataset.machine));
    expect(charts).toEqual(allMachineGraphs().map((g) => g.name));
    expect(await current('vm')).toBe('CREATING'); // before the first step
  });

  it('moves the highlight along the recorded VM states, forward and back', async () => {
    const vm = allMachineGraphs().find((g) => g.name === 'vm')!;
    await page.selectOption('#actor-filter', 'vm.1');
    try {
      // The ▶ button pressed until the end, in the page; each stop reports the highlighted state and edge.
      const stops = await page.evaluate(() => {
        const model = (window as unknown as { viewer: { model: { steps: { signal: boolean; to: string }[] } } }).viewer.model;
        const chart = document.querySelector('[data-machine="vm"]')!;
        const input = document.getElementById('step-input') as El;
        (document.getElementById('btn-first') as El).click();
        const out: { to: string; signal: boolean; current: string | undefined; edges: string[] }[] = [];
        for (;;) {
          const before = input.value;
          (document.getElementById('btn-next') as El).click();
          if (input.value === before) return out;
          const step = model.steps[Number(input.value)]!;
          out.push({
            to: step.to, signal: step.signal,
            current: (chart.querySelector('g.node.is-current') as El | null)?.dataset.state,
            edges: [...chart.querySelectorAll('path.is-last')].map((el) => (el as El).dataset.transition!),
          });
        }
      });
      // Steps of vm.1 that are not state changes (GVMM registrations, VMSetError) move no highlight.
      const moves = stops.filter((s) => !s.signal);
      for (const stop of moves) {
        expect(stop.current).toBe(stop.to);
        expect(stop.edges.map((i) => vm.transitions[Number(i)]!.target), `the edge into ${stop.to} is highlighted`).toEqual([stop.to]);
      }
      expect(moves.map((s) => s.current)).toEqual(recordedVmStates());
      expect(moves.slice(0, 4).map((s) => s.current)).toEqual(['CREATED', 'POWERING_ON', 'RUNNING', 'SUSPENDING']);
      // Back with the real button: the highlight returns to the state before.
      while (await page.$eval('#step-input', (el) => el.value) !== '-1') {
        await page.click('#btn-prev');
        const state = await current('vm');
        if (state !== 'TERMINATED') {
          expect(state).toBe(moves.at(-2)!.to);
          break;
        }
      }
    } finally {
      await page.selectOption('#actor-filter', '');
    }
  });

  it('lists the rendezvous of a power-on in descending EMT order in the sequence view', async () => {
    const powerOn = records.findIndex((r) => r.type === '@xstate.event' && r.actorId === 'vm.1' && r.event.type === 'powerOn');
    const rv = (records.slice(0, powerOn).reverse().find((r) => r.type === '@xstate.event' && r.event.type === 'begin') as EventRecord).actorId;
    const all = await page.$$eval(`#seq-body .row[data-actor="${rv}"]`, (els) =>
      els.map((el) => ({ event: (el as El).dataset.event, cpu: (el as El).dataset.cpu, text: el.textContent })),
    );
    // The demo's second VM gets the recycled handle and numbers its rendezvous from 1 again: first one only.
    const rows = all.slice(0, all.findIndex((r) => r.event === 'finish') + 1);
    expect(rows.filter((r) => r.event === 'callbackDone').map((r) => Number(r.cpu))).toEqual([3, 2, 1, 0]);
    expect(rows[0]).toMatchObject({ event: 'begin' });
    expect(rows.at(-1)).toMatchObject({ event: 'finish' });
    // client → queue → EMT → rendezvous → state change: the request that carried powerOn, then the VM's move.
    const sequence = await page.$$eval('#seq-body .row', (els) => els.map((el) => `${(el as El).dataset.source}>${(el as El).dataset.actor}:${(el as El).dataset.event}`));
    const begin = sequence.findIndex((s) => s.endsWith(`>${rv}:begin`));
    expect(begin).toBeGreaterThan(0);
    expect(sequence.slice(0, begin).reverse().find((s) => s.includes('/req.'))).toMatch(/>vm\.1\/req\.\d+:process$/);
    expect(sequence.slice(begin)).toContain('vm.1/emt.3>vm.1:powerOn');
  });

  it('jumps to an event index and to a time, and filters by actor', async () => {
    await page.fill('#step-input', '40');
    await page.press('#step-input', 'Enter');
    expect(await cursor()).toBe(40);
    expect(await page.$eval('#details', (el) => el.textContent)).toMatch(/^#40 /);
    await page.fill('#time-input', '10.5');
    await page.press('#time-input', 'Enter');
    const at = await cursor();
    const steps = await page.evaluate(() => (window as unknown as { viewer: { model: { steps: { tNs: number }[] } } }).viewer.model.steps.map((s) => s.tNs));
    expect(steps[at]!).toBeLessThanOrEqual(10_500_000);
    expect(steps[at + 1]!).toBeGreaterThan(10_500_000);
    await page.selectOption('#actor-filter', 'vm.1/emt.2');
    const actors = await page.$$eval('#seq-body .row', (els) => els.map((el) => [(el as El).dataset.actor, (el as El).dataset.source]));
    expect(actors.length).toBeGreaterThan(5);
    expect(actors.every(([actor, source]) => actor === 'vm.1/emt.2' || source === 'vm.1/emt.2')).toBe(true);
    await page.selectOption('#actor-filter', '');
  });

  it('made every request to its own server (works offline) and raised no page errors', () => {
    const origin = new URL(viewer.url).origin;
    expect(requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('saves a screenshot (artifacts/viewer.png)', async () => {
    mkdirSync(artifacts, { recursive: true });
    // Mid-run: the VM RUNNING after its power-on rendezvous, messages around it in view.
    const powerOnDone = await page.evaluate(() =>
      (window as unknown as { viewer: { model: { steps: { actorId: string; to: string; index: number }[] } } }).viewer.model.steps.find((s) => s.actorId === 'vm.1' && s.to === 'RUNNING')!.index,
    );
    await page.fill('#step-input', String(powerOnDone));
    await page.press('#step-input', 'Enter');
    await page.$eval('#step-input', (el) => (el as unknown as { blur(): void }).blur());
    const file = `${artifacts}viewer.png`;
    await page.screenshot({ path: file });
    expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
    if (process.env.UPDATE_SCREENSHOT) copyFileSync(file, `${root}docs/viewer.png`);
  });

  it('renders every diagram of docs/diagrams with the same mermaid', async () => {
    for (const [name, text] of diagramFiles()) {
      if (!name.endsWith('.mmd')) continue;
      const result = await page.evaluate(async ([id, source]) => {
        try {
          const { svg } = await (globalThis as unknown as { mermaid: { render(id: string, s: string): Promise<{ svg: string }> } }).mermaid.render(id, source);
          return { ok: true, nodes: (svg.match(/class="node /g) ?? []).length };
        } catch (error) {
          return { ok: false, error: String(error) };
        }
      }, [`doc-${name.replace('.', '-')}`, text] as const);
      const graph = allMachineGraphs().find((g) => `${g.name}.mmd` === name)!;
      expect(result, name).toMatchObject({ ok: true });
      expect(result.nodes, name).toBeGreaterThanOrEqual(graph.states.length);
    }
  });

  it('steps through a checker counterexample (replay --view)', async () => {
    const neverRunning = { name: 'never-running', holds: (view: { vmState: string }) => view.vmState !== 'RUNNING' };
    const found = await explore(parseScenario({ cpus: 2, clients: [['powerOn']] }), { invariants: [neverRunning as never] });
    const counterexample = await startViewer({ records: found.violations[0]!.trace, title: 'counterexample' });
    try {
      const cexPage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await cexPage.goto(counterexample.url);
      await cexPage.waitForFunction(() => document.body.dataset.ready === 'true');
      await cexPage.click('#btn-last');
      expect(await cexPage.$eval('[data-machine="vm"] g.node.is-current', (el) => (el as El).dataset.state)).toBe('RUNNING');
      const vmRows = await cexPage.$$eval('#seq-body .row[data-actor="vm.1"]', (els) => els.map((el) => (el as El).dataset.event));
      expect(vmRows).toEqual(expect.arrayContaining(['powerOn', 'powerOnDone']));
      await cexPage.close();
    } finally {
      await counterexample.close();
    }
  });

  it('follows a live engine streaming to `view --live` as it runs', async () => {
    const live = await startViewer({ live: 'ws://127.0.0.1:0' });
    try {
      const livePage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await livePage.goto(live.url);
      await livePage.waitForFunction(() => document.body.dataset.ready === 'true');
      expect(await livePage.$eval('#live', (el) => el.textContent)).toMatch(/^live/);
      const sink = createWebSocketSink(live.wsUrl);
      await runDemo({ cpus: 1, seed: 1, clock: 'virtual', quiet: true, inspect: sink }, () => undefined);
      await sink.close();
      await livePage.waitForFunction(
        (n) => (window as unknown as { viewer: { model: { steps: unknown[] } } }).viewer.model.steps.length >= n,
        Math.floor(sink.sent / 3) - 50,
      );
      await livePage.waitForFunction(() => document.querySelector('[data-machine="vm"]')?.getAttribute('data-value') === 'TERMINATED');
      expect(await livePage.$$eval('#seq-body .row', (els) => els.length)).toBeGreaterThan(20);
      await livePage.close();
    } finally {
      await live.close();
    }
  });
});
