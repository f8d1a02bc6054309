/**
 * Goal: the inspection subcommands work as a user types them: `export`, `demo --trace`, `record --from`,
 * `view` (serving until Ctrl-C) and `view --inspect-ws`.
 * Method: the commands parsed by commander in this process with their output captured (fast), and once as a
 * real child process (node --import tsx) to check that `view` serves the page and stops on SIGINT.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { registerCommands } from '../../src/cli/commands/index.js';
import { exportMachine } from '../../src/inspect/export/index.js';
import { readTrace } from '../../src/inspect/replayer.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vmm-cli-'));

/** `vmm-actors …args` in this process: what it printed, and the error it stopped with. */
async function cli(...args: string[]): Promise<{ stdout: string; error: string | undefined }> {
  let stdout = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void (stdout += `${parts.join(' ')}\n`));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const program = new Command('vmm-actors').exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stdout, error: undefined };
  } catch (error) {
    return { stdout, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('vmm-actors export / demo --trace / record / view', () => {
  it('export <machine> --format dot prints the machine', async () => {
    const { error, stdout } = await cli('export', 'request', '--format', 'dot');
    expect(error).toBeUndefined();
    expect(stdout).toBe(exportMachine('request', 'dot'));
  });

  it.each([
    [['export', 'vmm'], /VERR_INVALID_PARAMETER: unknown machine 'vmm'/],
    [['export', 'all'], /`export all` needs --out <directory>/],
    [['view'], /give a trace file or --live <ws-url>/],
  ])('refuses %j with a clear message', async (args, message) => {
    const { error } = await cli(...args);
    expect(error).toMatch(message);
  });

  it('demo --trace records a trace that record --from reproduces identically', async () => {
    const trace = join(dir, 'demo.jsonl');
    const demo = await cli('demo', '--cpus', '2', '--seed', '3', '--quiet', '--trace', trace);
    expect(demo.error).toBeUndefined();
    expect(demo.stdout).toContain(`records written to ${trace} (view it: vmm-actors view ${trace})`);
    expect(readTrace(trace)[0]).toMatchObject({ source: 'demo', setup: { cpus: 2, seed: 3, clock: 'virtual' } });
    const again = join(dir, 'again.jsonl');
    const record = await cli('record', again, '--from', trace);
    expect(record.error).toBeUndefined();
    expect(record.stdout).toContain(`identical to ${trace}`);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(trace, 'utf8'));
  });

  it('view <trace> serves the page until Ctrl-C', async () => {
    const trace = join(dir, 'view.jsonl');
    await cli('record', trace, '--cpus', '1');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'view', trace], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`view exited with ${code}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        const m = /viewer: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(chunk.toString());
        if (m) resolve(m[1]!);
      });
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('view <trace> --inspect-ws sends the trace to a websocket inspector', async () => {
    const trace = join(dir, 'send.jsonl');
    await cli('record', trace, '--cpus', '1');
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    let received = 0;
    server.on('connection', (socket) => socket.on('message', () => received++));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { error, stdout } = await cli('view', trace, '--inspect-ws', url);
    const expected = readTrace(trace).filter((r) => r.type === 'inspect').length;
    expect(error).toBeUndefined();
    expect(stdout).toContain(`${expected} records sent to ${url}`);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(received).toBe(expected);
  });
});
