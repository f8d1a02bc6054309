/**
 * Goal: the pieces the live driver and teleport build on (vbox-facts.md §7.2, §7.3, §7.6): a stream written pass
 * by pass with SsmStreamWriter (live header flag, per-pass unit headers, SSMLiveControl records, final pass,
 * directory of the last offsets) loads with every pass delivered in order, and the same stream loads through
 * ssmLoadStream while it arrives in small pieces; a stream that stops early fails with an SSM status.
 *
 * Method: a hand-driven writer into a MemorySink; the pieces are pushed into a PushSource from an async loop
 * that yields between pushes, so the loader must wait for whole units.
 */
import { describe, expect, it } from 'vitest';
import {
  MemorySink, MemorySource, PushSource, SSM_PASS_FINAL, SsmStreamWriter, SsmUnitRegistry, ssmLoad, ssmLoadStream, validate,
} from '../../src/ssm/index.js';
import { VERR_SSM_STREAM_ERROR } from '../../src/status.js';

/** A live-style stream: "ram" in passes 0 and 1 with a progress record between them, then the final pass. */
function liveStream(): Buffer {
  const sink = new MemorySink();
  const registry = new SsmUnitRegistry();
  const ram = registry.register({ name: 'ram', version: 4, liveExec: () => {}, saveExec: () => {}, loadExec: () => {} });
  const w = new SsmStreamWriter(sink, { cUnits: registry.cUnits, live: true });
  for (const pass of [0, 1]) {
    ram.offStream = w.beginUnit(ram, pass);
    w.writeData(new Uint8Array(5000).fill(pass + 1));
    w.endUnit();
    w.beginUnit({ name: 'SSMLiveControl', instance: 0, version: 1 }, pass);
    w.writeData(Uint8Array.of(0x10, 0x27)); // 10000 parts: 100 %
    w.endUnit();
    w.flush();
  }
  ram.offStream = w.beginUnit(ram, SSM_PASS_FINAL);
  w.writeData(new Uint8Array(700).fill(9));
  w.endUnit();
  w.finish(registry.units);
  return sink.bytes();
}

function loadingRegistry(passes: string[]): SsmUnitRegistry {
  const r = new SsmUnitRegistry();
  r.register({
    name: 'ram', version: 4,
    loadExec: (s, version, pass) => {
      const n = pass === SSM_PASS_FINAL ? 700 : 5000;
      const data = s.getMem(n);
      passes.push(`${version}/${pass === SSM_PASS_FINAL ? 'final' : pass}/${data[0]}`);
    },
  });
  return r;
}

describe('SsmStreamWriter passes → SSMR3Load', () => {
  const bytes = liveStream();

  it('writes a valid live file (flag set) whose directory points at the final pass', () => {
    const info = validate(new MemorySource(bytes, { asFile: true }), { checksum: true });
    expect(info.live).toBe(true);
    expect(info.footer?.cDirEntries).toBe(1);
  });

  it('delivers every pass in order, and SSMLiveControl moves the load progress', () => {
    const passes: string[] = [];
    const progress: number[] = [];
    ssmLoad(loadingRegistry(passes), new MemorySource(bytes, { asFile: true }), { onProgress: (p) => progress.push(p) });
    expect(passes).toEqual(['4/0/1', '4/1/2', '4/final/9']);
    expect(progress).toContain(98);
    expect(progress.at(-1)).toBe(100);
  });

  it('ssmLoadStream loads the same stream arriving in 333-byte pieces', async () => {
    const passes: string[] = [];
    const source = new PushSource();
    const loading = ssmLoadStream(loadingRegistry(passes), source, { after: 'TELEPORT' });
    for (let at = 0; at < bytes.length; at += 333) {
      source.push(bytes.subarray(at, at + 333));
      await Promise.resolve();
      await new Promise<void>((resolve) => queueMicrotask(resolve));
    }
    source.end();
    await loading;
    expect(passes).toEqual(['4/0/1', '4/1/2', '4/final/9']);
  });

  it('ssmLoadStream fails with an SSM status when the stream stops inside a unit', async () => {
    const passes: string[] = [];
    const source = new PushSource();
    const loading = ssmLoadStream(loadingRegistry(passes), source);
    source.push(bytes.subarray(0, 3000));
    source.end();
    await expect(loading).rejects.toMatchObject({ name: expect.stringMatching(/^VERR_SSM_/) });
  });

  it('ssmLoadStream fails with VERR_SSM_STREAM_ERROR when the stream stops between units', async () => {
    const source = new PushSource();
    const loading = ssmLoadStream(loadingRegistry([]), source);
    const firstUnitEnd = bytes.indexOf(Buffer.from('\nUnit\n\0\0'), 65);
    source.push(bytes.subarray(0, firstUnitEnd));
    source.end();
    await expect(loading).rejects.toMatchObject({ rc: VERR_SSM_STREAM_ERROR });
  });
});
