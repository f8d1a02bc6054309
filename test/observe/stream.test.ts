/**
 * Goal: a log read as a stream gives exactly what the same text gives, whatever the chunk boundaries (CR and
 * LF split apart included), with bounded lines; and the trace is the project's format, the observed VM's
 * states on the log's time axis with the context lines on the wall clock from "Log opened".
 * Method: every split point of a small CRLF text; a fixture through observeFile and observeLog; the trace of
 * Bayons/Minix checked against values computed by hand from its lines 2 and 1068.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatTrace, parseTrace } from '../../src/inspect/trace-format.js';
import { inspectionOf } from '../../src/inspect/replayer.js';
import { LineSplitter, MAX_LINE, splitText } from '../../src/observe/lines.js';
import { observeFile, observeLog, reportOf } from '../../src/observe/index.js';
import { LIFE, path, synth } from './synth.js';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

describe('observe: lines and streams', () => {
  it('every chunk boundary gives the same lines (CRLF split between chunks included)', () => {
    const text = 'a\r\nbb\r\n\r\nccc\nd';
    const want: string[] = [];
    splitText(text, (l) => want.push(l));
    expect(want).toEqual(['a', 'bb', '', 'ccc', 'd']);
    for (let cut = 0; cut <= text.length; cut++) {
      const got: string[] = [];
      const s = new LineSplitter((l) => got.push(l));
      s.push(text.slice(0, cut));
      s.push(text.slice(cut));
      s.end();
      expect(got, `cut at ${cut}`).toEqual(want);
    }
  });

  it(`a line longer than ${MAX_LINE} characters is cut there, and the next line is still read`, () => {
    const got: string[] = [];
    const s = new LineSplitter((l, n) => got.push(`${n}:${l.length}`));
    for (let i = 0; i < 10; i++) s.push('x'.repeat(MAX_LINE / 4));
    s.push('\nok\n');
    s.end();
    expect(got).toEqual([`1:${MAX_LINE}`, '2:2']);
  });

  it('a file read as a stream reports what its text reports', async () => {
    const file = join(fixtures, 'dineshreddy11__DoS-attack-using-NS2__VBox.log.2.log');
    const streamed = reportOf(await observeFile(file, { file: 'x' }));
    const whole = reportOf(await observeLog(readFileSync(file, 'utf8'), { file: 'x' }));
    expect(streamed).toEqual(whole);
  });

  it('a multi-megabyte log streamed in 1 MiB chunks: same path, every line counted', async () => {
    const filler = Array.from({ length: 40_000 }, (_, i) => `00:00:00.${String(50_000 + i).padStart(6, '0')} AIOMgr: noise line ${i}`);
    const text = synth([...filler, ...path(LIFE, 1000)]);
    const dir = mkdtempSync(join(tmpdir(), 'vmm-observe-stream-'));
    writeFileSync(join(dir, 'big.log'), text);
    const r = await observeFile(join(dir, 'big.log')).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(r.states).toEqual(LIFE);
    expect(r.lines).toBe(5 + filler.length + LIFE.length - 1);
    expect(r.reenact).toBe('identical');
  });
});

describe('observe: the trace', () => {
  it('is a trace `view` reads: the log VM (1) with its path and context lines, the engine VM (2) beside it', async () => {
    const r = await observeFile(join(fixtures, 'Bayons__Minix__Logs__VBox.log.log'));
    const records = parseTrace(formatTrace(r.trace));
    expect(records[0]).toMatchObject({ type: 'header', source: 'observe', setup: { clock: 'log', logOpened: '2016-02-24T15:09:39.854029800Z' } });
    const events = records.flatMap((x) => (x.type === 'event' ? [x] : []));
    const observedStates = events.filter((e) => e.vm === 1 && e.event.kind === 'state').map((e) => (e.event.kind === 'state' ? e.event.to : ''));
    expect(['CREATING', ...observedStates]).toEqual(r.states);
    // Line 1068 "01:53:50.287402 Pausing VM execution, reason 'host suspend'": the logger started at
    // 15:09:39.854 (line 2) - 6.900506 s, so the pause was at 15:09:32.953494 + 1:53:50.287402 = 17:03:23.240896.
    const pause = events.find((e) => e.vm === 1 && (e.event as unknown as { line?: number }).line === 1068)?.event as unknown as Record<string, unknown>;
    expect(pause).toMatchObject({ kind: 'log', type: 'pause', detail: 'host suspend', tNs: 6830287402000, wall: '2016-02-24T17:03:23.240Z' });
    const actors = new Set(inspectionOf(records).map((x) => x.actorId));
    expect(actors.has('vm.1')).toBe(true);
    expect(actors.has('vm.2')).toBe(true);
  });
});
