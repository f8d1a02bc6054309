/**
 * Goal: a checker counterexample (engine events and choices, no inspection records) can be watched step by
 * step: `inspectionOf` derives its inspection stream, the viewer serves it, and `replay <file> --inspect-ws`
 * sends it to a websocket inspector after re-running it.
 * Method: the checker explores a deliberately broken engine (a DESCENDING rendezvous that runs in ascending
 * order, src/check/mutants.ts) and writes its counterexample; the derived stream must show the wrong order.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { explore, parseScenario } from '../../src/check/index.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { registerCommands } from '../../src/cli/commands/index.js';
import type { EventRecord, SnapshotRecord } from '../../src/inspect/records.js';
import { inspectionOf } from '../../src/inspect/replayer.js';
import { startViewer } from '../../src/inspect/server.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-cex-'));
/** From a broken engine (test-only, so `replay` refuses to re-run it). */
const file = join(dir, 'mutant.jsonl');
/** From the real engine, violating a user invariant ("the VM never runs"): `replay` re-runs it. */
const userFile = join(dir, 'never-running.jsonl');

beforeAll(async () => {
  const mutant = MUTANTS.find((m) => m.name === 'descending-runs-ascending')!;
  const result = await explore(parseScenario(mutant.scenario), { engine: mutant.engine, mutant: mutant.name });
  writeFileSync(file, result.violations[0]!.text);
  const neverRunning = { name: 'never-running', holds: (view: { vmState: string }) => view.vmState !== 'RUNNING' };
  const user = await explore(parseScenario({ cpus: 2, clients: [['powerOn']] }), { invariants: [neverRunning as never] });
  writeFileSync(userFile, user.violations[0]!.text);
});

afterEach(() => {
  process.exitCode = undefined;
});

describe('a checker counterexample in the inspector and viewer (replay --inspect-ws / --view, view)', () => {
  it('derives the inspection stream, showing the rendezvous order the checker complained about', async () => {
    const { readTrace } = await import('../../src/inspect/replayer.js');
    const records = inspectionOf(readTrace(file));
    const callbacks = records.filter((r): r is EventRecord => r.type === '@xstate.event' && r.event.type === 'callbackDone' && r.actorId === 'vm.1/rv.1');
    expect(callbacks.map((r) => [r.event.cpu, r.sourceId])).toEqual([[0, 'vm.1/emt.0'], [1, 'vm.1/emt.1']]); // descending wants 1, then 0
    const vm = records.filter((r): r is SnapshotRecord => r.type === '@xstate.snapshot' && r.actorId === 'vm.1');
    expect(vm[0]!.snapshot.value).toBe('CREATED');
    expect(records.every((r) => typeof r.tNs === 'number')).toBe(true);
  });

  it('is served by the viewer like any trace', async () => {
    const viewer = await startViewer({ trace: file });
    try {
      const trace = (await (await fetch(new URL('/api/trace', viewer.url))).json()) as { header: { source: string }; records: unknown[] };
      expect(trace.header.source).toBe('check');
      expect(trace.records.length).toBeGreaterThan(20);
    } finally {
      await viewer.close();
    }
  });

  it('replay <file> --inspect-ws re-runs it, then sends it', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    let received = 0;
    server.on('connection', (socket) => socket.on('message', () => received++));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let stdout = '';
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void (stdout += `${parts.join(' ')}\n`));
    try {
      const program = new Command('vmm-actors').exitOverride();
      registerCommands(program);
      await program.parseAsync(['replay', userFile, '--inspect-ws', url], { from: 'user' });
    } finally {
      log.mockRestore();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(stdout).toMatch(new RegExp(`^replayed \\d+ steps of ${userFile}$`, 'm'));
    expect(stdout).toContain("the trace recorded a violation of the user invariant 'never-running'"); // a user invariant the CLI cannot know
    const sent = Number(/(\d+) records sent to /.exec(stdout)?.[1]);
    expect(sent).toBe(inspectionOf((await import('../../src/inspect/replayer.js')).readTrace(userFile)).length);
    expect(received).toBe(sent);
  });
});
