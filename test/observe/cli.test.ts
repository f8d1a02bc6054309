/**
 * Goal: `vmm-actors observe` as a user runs it: exit codes 0 / 1 / 2, --json (one object per log with the
 * fields issue 14 lists), --trace-out (a trace `view` can read) and --view (the viewer serves the observed
 * and the re-enacted VM until Ctrl-C).
 * Method: the real command in a child process (node --import tsx src/cli/main.ts), on the fixtures and on
 * synthetic logs written to a temporary directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readTrace } from '../../src/inspect/replayer.js';
import { change, path, synth } from './synth.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vmm-observe-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const logs = readdirSync(fixtures).filter((f) => f.endsWith('.log')).map((f) => join(fixtures, f));

function write(name: string, text: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'observe', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('vmm-actors observe', () => {
  it('exit 0 on the eight real logs (a failed start counts as fine); the path is printed', async () => {
    expect(logs).toHaveLength(8);
    const { code, stdout } = await run(...logs);
    expect(code).toBe(0);
    expect(stdout).toContain('path: CREATING > CREATED > POWERING_ON > RUNNING > GURU_MEDITATION > POWERING_OFF > OFF > DESTROYING > TERMINATED');
    expect(stdout.match(/re-enactment: identical/g)).toHaveLength(7);
    expect(stdout).toContain('conformance: no-lifecycle');
  });

  it('--json: one object per log; exit 1 on a violation, with its line', async () => {
    const illegal = write('illegal.log', synth([...path(['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING']), change(200, 'RUNNING', 'LOADING')]));
    const { code, stdout } = await run('--json', logs[0]!, illegal);
    expect(code).toBe(1);
    const [good, bad] = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const key of ['file', 'version', 'cpus', 'haltMethod', 'states', 'complete', 'verdict', 'reenact']) expect(good).toHaveProperty(key);
    expect(good).toMatchObject({ verdict: 'conforms', reenact: 'identical', complete: true });
    expect(bad).toMatchObject({ verdict: 'violation', reenact: 'skipped', firstViolation: { line: 9, from: 'RUNNING', to: 'LOADING', kind: 'illegal' } });
  });

  it('exit 2 on empty, binary, missing and pre-3.1 input, with a clear message', async () => {
    const empty = write('empty.log', '');
    const binary = write('binary.log', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)));
    const old = write('old.log', synth(path(['CREATING', 'CREATED', 'RUNNING']), { versionLine: 'VirtualBox 2.2.4 r47978 linux.amd64 (May 29 2009 17:31:08) release log' }));
    const missing = join(dir, 'missing.log');
    const { code, stdout, stderr } = await run(logs[0]!, empty, binary, old, missing);
    expect(code).toBe(2);
    expect(stderr).toContain(`error: log ${missing}: no such file`);
    expect(stderr).toContain(`${empty}: empty file`);
    expect(stderr).toContain(`${binary}: binary data`);
    expect(stdout).toMatch(/conformance: unsupported — VirtualBox 2\.2\.4 predates the 3\.1 VM state model/);
  });

  it('--trace-out writes a trace and --view serves it, observed and re-enacted VM side by side, until Ctrl-C', async () => {
    const out = join(dir, 'guru.jsonl');
    const guru = logs.find((l) => l.includes('ZypharaOS'))!;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'observe', guru, '--trace-out', out, '--view'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`observe --view exited with ${code}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        const m = /viewer: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(chunk.toString());
        if (m) resolve(m[1]!);
      });
    });
    const served = (await (await fetch(`${url}api/trace`)).json()) as { title: string; records: { actorId: string }[] };
    expect(served.title).toContain('ZypharaOS');
    const actors = new Set(served.records.map((r) => r.actorId));
    expect(actors.has('vm.1') && actors.has('vm.2')).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const trace = readTrace(out);
    expect(trace[0]).toMatchObject({ type: 'header', source: 'observe' });
  });

  it("the library is the package's `vmm-actors/observe` subpath (built from src/observe/index.ts)", async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { default: string; types: string }> };
    const entry = pkg.exports['./observe']!;
    expect(entry).toEqual({ types: './dist/src/observe/index.d.ts', default: './dist/src/observe/index.js' });
    const source = (await import(join(root, entry.default.replace('./dist/', '').replace(/\.js$/, '.ts')))) as Record<string, unknown>;
    expect(typeof source.observeLog).toBe('function');
    expect(typeof source.observeFile).toBe('function');
  });
});
