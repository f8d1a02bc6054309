/**
 * Goal (issue 13 item 3): a damaged or hand-written trace fails at its line, saying what is wrong there —
 * `{"type":"choice","choice":null}` ended in a bare TypeError inside the replayer. The error names
 * `file:line` (1-based, blank lines counted) and the field, for `view <trace>` and every reader of traces.
 * Method: each row is a trace file with one bad record after a good header (and a good record); it goes
 * through `startViewer({ trace })` and `readTrace`, and the error must match the row's line and field; the CLI
 * prints it as one line with exit code 2. The
 * shapes wanted come from the trace format (src/inspect/trace-format.ts) and the engine's event types.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../../src/cli/exit-code.js';
import { runCli } from '../../src/cli/program.js';
import { readTrace } from '../../src/inspect/replayer.js';
import { startViewer } from '../../src/inspect/server.js';
import { HEADER } from './viewer-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'viewer-trace-'));
const GOOD = { type: 'choice', seq: 1, choice: { kind: 'step', index: 0, of: 1, actor: 'vm.1/emt.0', tNs: 0 } };
const snapshot = { status: 'active', value: 'RUNNING' };
const base = { actorId: 'vm.1', rootId: 'vm.1', tNs: 0 };

/** [name, bad line as written, what the message must say] — the bad line is line 3 (after header and GOOD). */
const CASES: [string, string, RegExp][] = [
  ['a choice that is null (the issue\'s record)', '{"type":"choice","choice":null}', /choice record: "choice" must be an object, got null/],
  ['a choice of an unknown kind', '{"type":"choice","seq":2,"choice":{"kind":"jump"}}', /"kind" must be one of "step", "timer", got "jump"/],
  ['a step choice whose index is a string', '{"type":"choice","seq":2,"choice":{"kind":"step","index":"0","of":1,"actor":"a","tNs":0}}', /\(step\): "index" must be a non-negative integer, got "0"/],
  ['an event without its VM', '{"type":"event","seq":2,"event":{"kind":"state"}}', /event record: "vm" must be a non-negative integer, got nothing/],
  ['a state event without "to"', '{"type":"event","seq":2,"vm":1,"event":{"kind":"state","from":"CREATED","event":"powerOn","by":"ext","tNs":0}}', /\(state\): "to" must be a string, got nothing/],
  ['a request event with a string CPU', '{"type":"event","seq":2,"vm":1,"event":{"kind":"request","id":1,"from":"a","to":"b","target":"any","cpu":"0","tNs":0}}', /\(request\): "cpu" must be a CPU id or null, got "0"/],
  ['an event whose time is not a number', '{"type":"event","seq":2,"vm":1,"event":{"kind":"emt","cpu":0,"from":"a","to":"b","tNs":"soon"}}', /"tNs" must be a finite number, got "soon"/],
  ['an inspection transition without transitions', JSON.stringify({ type: 'inspect', seq: 2, event: { type: '@xstate.transition', ...base, event: { type: 'x' }, snapshot } }), /\(@xstate\.transition\): "transitions" must be an array of objects, got nothing/],
  ['an inspection actor without a snapshot value', JSON.stringify({ type: 'inspect', seq: 2, event: { type: '@xstate.actor', ...base, snapshot: {} } }), /\(@xstate\.actor\): "snapshot" must be an object with a string "value"/],
  ['a record of an unknown type', '{"type":"bogus","seq":2}', /record: "type" must be one of "header", .*got "bogus"/],
  ['a record that is an array', '[1,2]', /a record must be a JSON object, got \[1,2\]/],
  ['a record that is not JSON', '{"type":', /not JSON/],
  ['a second line that is a number', '42', /a record must be a JSON object, got 42/],
];

function traceFile(name: string, badLine: string, blankLines = 0): string {
  const file = join(dir, `${name.replace(/\W+/g, '-')}.jsonl`);
  writeFileSync(file, [JSON.stringify(HEADER), JSON.stringify(GOOD), ...Array<string>(blankLines).fill(''), badLine, JSON.stringify(GOOD)].join('\n'));
  return file;
}

describe('view <trace>: a bad record names its line', () => {
  it.each(CASES)('%s', async (name, line, what) => {
    const file = traceFile(name, line);
    const where = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: `);
    expect(() => readTrace(file)).toThrow(where);
    expect(() => readTrace(file)).toThrow(what);
    await expect(startViewer({ trace: file })).rejects.toThrow(where);
  });

  it('`vmm-actors view <bad trace>` prints that one line and exits 2 (bad input), no stack', async () => {
    const file = traceFile('cli', CASES[0]![1]);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const code = await runCli(['node', 'vmm-actors', 'view', file], (line) => lines.push(line));
      expect([code, lines]).toEqual([ExitCode.BadInput, [`error: ${file}:3: choice record: "choice" must be an object, got null`]]);
    } finally {
      log.mockRestore();
    }
  });

  it('counts blank lines in the line number', () => {
    const file = traceFile('blank', '{"type":"choice","choice":null}', 2);
    expect(() => readTrace(file)).toThrow(`${file}:5: choice record: "choice" must be an object, got null`);
  });

  it.each([
    ['an empty file', '', /empty, not a vmm-actors trace/],
    ['a header of another format', '{"type":"header","format":"other","version":1}', /:1: not a vmm-actors trace header/],
    ['a header of a later version', JSON.stringify({ ...HEADER, version: 2 }), /:1: trace version 2 is not supported/],
    ['a header without setup', JSON.stringify({ ...HEADER, setup: undefined }), /:1: header record: "setup" must be an object, got nothing/],
  ])('refuses %s', (name, text, what) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.jsonl`);
    writeFileSync(file, text);
    expect(() => readTrace(file)).toThrow(what);
  });

  it('still reads a well-formed trace with engine event kinds it does not know', () => {
    const file = traceFile('unknown-kind', '{"type":"event","seq":2,"vm":1,"event":{"kind":"live-save","tNs":5}}');
    expect(readTrace(file)).toHaveLength(4);
  });
});
