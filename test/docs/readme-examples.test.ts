/**
 * Goal: the README's examples work as printed (issue 15 item 9, issue 14's "Done means"): "Embedding in ten
 * lines" pasted into a file runs and prints what VirtualBox's semantics say; the observe session of "Observing
 * real VirtualBox" is, line for line, what the command prints, and names the trace `view` opens.
 * Method: the README's own text is run — the TypeScript block in a child process (only the package name is
 * pointed at src/), the observe command line in a scratch directory that has the fixtures at the path it names.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readTrace } from '../../src/inspect/replayer.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const scratch = mkdtempSync(join(tmpdir(), 'readme-examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The first fenced block after a heading. */
function blockAfter(heading: string): string {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const m = /\n```\w*\n([\s\S]*?)\n```\n/.exec(section);
  if (!m) throw new Error(`no code block under ${heading}`);
  return m[1]!;
}

const node = (args: string[], cwd: string) => spawnSync(process.execPath, ['--import', tsx, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });

describe('README examples, as printed', () => {
  it('"Embedding in ten lines" runs and prints the lifecycle, the EMT call, the descending rendezvous and -1907', () => {
    const code = blockAfter('## Embedding in ten lines');
    expect(code).toContain("from 'vmm-actors'");
    const file = join(scratch, 'embed.mts');
    writeFileSync(file, code.replace("from 'vmm-actors'", `from ${JSON.stringify(pathToFileURL(join(root, 'src/index.ts')).href)}`));
    const r = node([file], scratch);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0); // and it exits: destroy leaves no timer behind on the real clock
    const lines = r.stdout.trim().split('\n').map((l) => l.replace(/ \((emt\.\d+|ext)\)$/, ''));
    expect(lines).toEqual([
      'CREATING -> CREATED', 'CREATED -> POWERING_ON', 'POWERING_ON -> RUNNING',
      'on EMT 1', 'rendezvous on 1', 'rendezvous on 0', // DESCENDING: the highest vCPU first
      'VERR_VM_INVALID_VM_STATE -1907', // resume() from RUNNING
      'RUNNING -> POWERING_OFF', 'POWERING_OFF -> OFF', 'OFF -> DESTROYING', 'DESTROYING -> TERMINATED',
    ]);
  });

  it('"Observing real VirtualBox": the observe session is what the command prints, and its trace is the one view opens', () => {
    const session = blockAfter('## Observing real VirtualBox').split('\n');
    const command = session[0]!;
    expect(command).toMatch(/^\$ npx vmm-actors observe test\/observe\/fixtures\/\S+\.log --trace-out (\S+)$/);
    const args = command.replace('$ npx vmm-actors ', '').split(' ');
    const printed = session.slice(1, session.findIndex((l, i) => i > 0 && l.startsWith('$ ')));
    // The scratch directory has the fixtures where the command line says they are.
    mkdirSync(join(scratch, 'test/observe'), { recursive: true });
    symlinkSync(join(root, 'test/observe/fixtures'), join(scratch, 'test/observe/fixtures'));
    const r = node([join(root, 'src/cli/main.ts'), ...args], scratch);
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual(printed);
    const traceOut = args.at(-1)!;
    expect(session.find((l) => l.startsWith('$ npx vmm-actors view'))).toContain(`view ${traceOut}`);
    const trace = readTrace(join(scratch, traceOut));
    expect(trace[0]).toMatchObject({ type: 'header', source: 'observe', setup: { vms: { 1: expect.stringMatching(/^observed: /), 2: 're-enacted: identical' } } });
  });
});
