/**
 * Goal: what units see through the handle and what the save and load drivers do with their results
 * (vbox-facts.md §7.3–§7.6): typed put/get round trips, VERR_SSM_LOADED_TOO_MUCH / TOO_LITTLE, unknown units
 * (and DEBUG_IT skipping them), VERR_SSM_NO_LOAD_EXEC, VirtualBox's error messages, cancellation in a put and
 * between loaded units, the prep/exec/done runs and their progress (20/2 for save, 2/2 for load), and a failed
 * save leaving no file and the earlier file intact.
 *
 * Method: small registries saved to and loaded from memory or a temp folder; every failure asserts the exact
 * status and, where VirtualBox sets one, the message.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MemorySink, MemorySource, SsmHandle, SsmUnitRegistry, ssmCancel, ssmLoad, ssmSave, type SsmUnitOptions,
} from '../../src/ssm/index.js';
import {
  VERR_GENERAL_FAILURE, VERR_SSM_CANCELLED, VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, VERR_SSM_INVALID_STATE, VERR_SSM_LOADED_TOO_LITTLE,
  VERR_SSM_LOADED_TOO_MUCH, VERR_SSM_NO_LOAD_EXEC, VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, VERR_TOO_MUCH_DATA, VINF_SUCCESS,
} from '../../src/status.js';

const dir = mkdtempSync(join(tmpdir(), 'ssm-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function save(units: SsmUnitOptions[], opts: Parameters<typeof ssmSave>[2] = {}): Buffer {
  const r = new SsmUnitRegistry();
  for (const u of units) r.register(u);
  const sink = new MemorySink();
  ssmSave(r, sink, opts);
  return sink.bytes();
}

function load(bytes: Uint8Array, units: SsmUnitOptions[], opts: Parameters<typeof ssmLoad>[2] = {}): ReturnType<typeof ssmLoad> {
  const r = new SsmUnitRegistry();
  for (const u of units) r.register(u);
  return ssmLoad(r, new MemorySource(bytes, { asFile: true }), opts);
}

describe('SSMR3Put* / SSMR3Get*', () => {
  it('round-trips every type, memory, strings and zeros', () => {
    const got: unknown[] = [];
    const bytes = save([{
      name: 'all', version: 5, saveExec: (s) => {
        s.putBool(true); s.putU8(255); s.putS8(-1); s.putU16(65535); s.putS16(-2); s.putU32(4294967295); s.putS32(-3);
        s.putU64(18446744073709551615n); s.putS64(-4n); s.putStrZ('grüße'); s.putMem(Uint8Array.of(1, 2, 3)); s.putZeros(5000);
      },
    }]);
    load(bytes, [{
      name: 'all', version: 5, loadExec: (s, version, pass) => {
        got.push(version, pass, s.getBool(), s.getU8(), s.getS8(), s.getU16(), s.getS16(), s.getU32(), s.getS32(), s.getU64(), s.getS64(),
          s.getStrZ(), [...s.getMem(3)], s.getMem(5000).every((b) => b === 0));
      },
    }]);
    expect(got).toEqual([5, 0xffffffff, true, 255, -1, 65535, -2, 4294967295, -3, 18446744073709551615n, -4n, 'grüße', [1, 2, 3], true]);
  });

  it('refuses puts outside an exec run and gets outside a load with VERR_SSM_INVALID_STATE', () => {
    const h = new SsmHandle({ after: 'DESTROY' });
    expect(() => h.putU8(1)).toThrowError(expect.objectContaining({ rc: VERR_SSM_INVALID_STATE }));
    expect(() => h.getU8()).toThrowError(expect.objectContaining({ rc: VERR_SSM_INVALID_STATE }));
    expect(h.maxDowntimeMs()).toBe(0xffffffff);
  });

  it('SSMR3GetStrZ refuses a string longer than cbMax - 1 with VERR_TOO_MUCH_DATA', () => {
    const bytes = save([{ name: 's', version: 1, saveExec: (s) => s.putStrZ('abcdef') }]);
    let rc = 0;
    expect(() => load(bytes, [{ name: 's', version: 1, loadExec: (s) => {
      try { s.getStrZ(6); } catch (e) { rc = (e as { rc: number }).rc; s.skipToEndOfUnit(); }
    } }])).not.toThrow();
    expect(rc).toBe(VERR_TOO_MUCH_DATA);
  });
});

describe('ssmR3LoadExecV2', () => {
  const saved = save([{ name: 'u', instance: 2, version: 3, saveExec: (s) => { s.putU32(1); s.putU32(2); } }]);
  const table: [string, SsmUnitOptions[], number, string | RegExp][] = [
    ['reading past the unit → VERR_SSM_LOADED_TOO_MUCH', [{ name: 'u', instance: 2, version: 3, loadExec: (s) => { s.getU32(); s.getU32(); s.getU32(); } }],
      VERR_SSM_LOADED_TOO_MUCH, "Failed to load unit 'u'"],
    ['leaving data → VERR_SSM_LOADED_TOO_LITTLE', [{ name: 'u', instance: 2, version: 3, loadExec: (s) => { s.getU32(); } }],
      VERR_SSM_LOADED_TOO_LITTLE, "Failed to load unit 'u'"],
    ['no handler for the unit → VERR_SSM_INTEGRITY_UNIT_NOT_FOUND', [{ name: 'u', instance: 1, version: 3, loadExec: () => {} }],
      VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, "Found no handler for unit 'u' instance #2"],
    ['a handler without loadExec → VERR_SSM_NO_LOAD_EXEC', [{ name: 'u', instance: 2, version: 3 }], VERR_SSM_NO_LOAD_EXEC, /No load exec/],
    ['an unsupported version', [{ name: 'u', instance: 2, version: 3, loadExec: () => VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION }],
      VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, "Unsupported version 3 of data unit 'u' (instance #2, pass 0xffffffff)"],
    ['a unit failure keeps its status', [{ name: 'u', instance: 2, version: 3, loadExec: () => VERR_GENERAL_FAILURE }],
      VERR_GENERAL_FAILURE, "Failed to load unit 'u'"],
    ['SSMR3SetLoadError keeps the unit\'s message', [{ name: 'u', instance: 2, version: 3, loadExec: (s) => s.setLoadError(VERR_GENERAL_FAILURE, 'bad config') }],
      VERR_GENERAL_FAILURE, 'u#2: bad config [ver=3 pass=final]'],
  ];

  it.each(table)('%s', (_what, units, rc, message) => {
    let error: unknown;
    try {
      load(saved, units);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ rc });
    expect((error as Error).message).toMatch(message);
  });

  it('skips unknown units with SSMAFTER_DEBUG_IT', () => {
    expect(() => load(saved, [], { after: 'DEBUG_IT' })).not.toThrow();
  });

  it('runs loadPrep, loadExec, loadDone in order and reports progress 0, 1, 2 … 98, 99, 100', () => {
    const calls: string[] = [];
    const progress: number[] = [];
    load(saved, [{
      name: 'u', instance: 2, version: 3, loadPrep: () => { calls.push('prep'); },
      loadExec: (s) => { calls.push('exec'); s.skip(8); }, loadDone: () => { calls.push('done'); },
    }], { onProgress: (p) => progress.push(p) });
    expect(calls).toEqual(['prep', 'exec', 'done']);
    expect(progress.slice(0, 3)).toEqual([0, 1, 2]);
    expect(progress.slice(-3)).toEqual([98, 99, 100]);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('checks for cancellation after each unit (VERR_SSM_CANCELLED) and still runs the done run', () => {
    const bytes = save([
      { name: 'a', version: 1, saveExec: (s) => s.putU8(1) },
      { name: 'b', version: 1, saveExec: (s) => s.putU8(2) },
    ]);
    const r = new SsmUnitRegistry();
    const seen: string[] = [];
    r.register({ name: 'a', version: 1, loadExec: (s) => { s.getU8(); seen.push('a'); expect(ssmCancel(r)).toBe(VINF_SUCCESS); }, loadDone: () => { seen.push('done a'); } });
    r.register({ name: 'b', version: 1, loadExec: (s) => { s.getU8(); seen.push('b'); } });
    expect(() => ssmLoad(r, new MemorySource(bytes, { asFile: true }))).toThrowError(expect.objectContaining({ rc: VERR_SSM_CANCELLED }));
    expect(seen).toEqual(['a', 'done a']);
    expect(r.cancellable).toBeNull();
  });
});

describe('SSMR3Save', () => {
  it('runs savePrep, saveExec, saveDone and reports 19, 20 … 98, 100', () => {
    const calls: string[] = [];
    const progress: number[] = [];
    save([{
      name: 'u', version: 1, cbGuess: 10_000, savePrep: () => { calls.push('prep'); }, saveExec: (s) => { calls.push('exec'); s.putMem(new Uint8Array(10_000).fill(7)); },
      saveDone: () => { calls.push('done'); },
    }], { onProgress: (p) => progress.push(p) });
    expect(calls).toEqual(['prep', 'exec', 'done']);
    expect(progress[0]).toBe(19);
    expect(progress.slice(-2)).toEqual([98, 100]);
    expect(new Set(progress).size).toBe(progress.length);
  });

  it('turns a put after SSMR3Cancel into VERR_SSM_CANCELLED, runs saveDone and deletes the temp file, keeping the earlier file', () => {
    const target = join(dir, 'cancel.sav');
    writeFileSync(target, 'earlier file');
    const r = new SsmUnitRegistry();
    const calls: string[] = [];
    let putRc = 0;
    r.register({
      name: 'u', version: 1, saveExec: (s) => {
        expect(ssmCancel(r)).toBe(VINF_SUCCESS);
        try { s.putU32(1); } catch (e) { putRc = (e as { rc: number }).rc; }
      },
      saveDone: () => { calls.push('done'); },
    });
    expect(() => ssmSave(r, target)).toThrowError(expect.objectContaining({ rc: VERR_SSM_CANCELLED }));
    expect(putRc).toBe(VERR_SSM_CANCELLED);
    expect(calls).toEqual(['done']);
    expect(readFileSync(target, 'utf8')).toBe('earlier file');
    expect(readdirSync(dir).filter((f) => f.includes('cancel.sav'))).toEqual(['cancel.sav']);
  });

  it('a failing saveExec fails the save with its status and leaves no file', () => {
    const target = join(dir, 'fail.sav');
    const r = new SsmUnitRegistry();
    r.register({ name: 'u', version: 1, saveExec: () => VERR_GENERAL_FAILURE });
    expect(() => ssmSave(r, target)).toThrowError(expect.objectContaining({ rc: VERR_GENERAL_FAILURE }));
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('fail.sav'))).toEqual([]);
    expect(r.cancellable).toBeNull();
  });

  it('a failing saveDone fails the save after the footer was written, and the file is discarded', () => {
    const target = join(dir, 'done.sav');
    const r = new SsmUnitRegistry();
    r.register({ name: 'u', version: 1, saveExec: (s) => s.putU8(1), saveDone: () => VERR_GENERAL_FAILURE });
    expect(() => ssmSave(r, target)).toThrowError(expect.objectContaining({ rc: VERR_GENERAL_FAILURE }));
    expect(existsSync(target)).toBe(false);
  });
});
