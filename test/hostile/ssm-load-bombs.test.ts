/**
 * Issue 13 item 1: saved-state loading does work proportional to its input. Work bombs — well-formed files whose
 * `pgm` records repeat the same pages, go backwards or repeat a pass — are refused with a VERR_SSM_* status
 * before they cost more than the file and the RAM justify; and a long load gives way, so another VM of the same
 * engine keeps answering while it runs (its calls complete while the loading VM is still LOADING).
 * Method: files made by the engine's own writer (the pgm unit's saveExec swapped for a script, or units renamed
 * by byte patching), loaded into VMs and bare registries; statuses compared with the reference list.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createVMM, VERR_SSM_DATA_UNIT_FORMAT_CHANGED, VERR_SSM_LOADED_TOO_MUCH, VERR_SSM_UNEXPECTED_PASS, VINF_SUCCESS, type VM,
} from '../../src/index.js';
import { GuestRam } from '../../src/ssm/live/guest-ram.js';
import { pgmUnit } from '../../src/ssm/pgm.js';
import { MemorySink, MemorySource, PushSource, SsmUnitRegistry, ssmLoad, ssmLoadStream, ssmSave } from '../../src/ssm/index.js';
import { savedStateOf } from '../../src/ssm/vm-units.js';
import { VBoxError } from '../../src/status.js';
import { MiB, newVm } from '../teleport/support.js';
import { fixUnitHeaderCrc, PGM_REC_RAW, pgmWriter, unitHeaders, withoutStreamCrc, zeroRuns } from './ssm-craft.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-hostile-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;

const RAM = 256 * MiB;
const PAGES = RAM / 4096;

/** A plain save of a suspended VM of `ram` bytes whose pgm unit writes what `records` says. */
async function craftedVmFile(ram: number, records: Parameters<typeof pgmWriter>[1]): Promise<string> {
  const { vm } = await newVm({ ram: { sizeBytes: ram } });
  await vm.suspend();
  savedStateOf(vm.core).registry.find('pgm', 0)!.setCallback('saveExec', pgmWriter(ram / 4096, records));
  const path = join(dir, `bomb${++seq}.sav`);
  await vm.save(path);
  return path;
}

/** The load's status: loadFromFile resolves with a success status and rejects with a VBoxError. */
async function loadStatus(vm: VM, path: string): Promise<number> {
  try {
    return await vm.loadFromFile(path);
  } catch (e) {
    if (e instanceof VBoxError) return e.rc;
    throw e;
  }
}

describe('pgm records that do not make progress are refused', () => {
  it('the work bomb: one zero run over the same 64 Ki pages a million times, LZF-compressed (issue: 76 s, success)', async () => {
    const path = await craftedVmFile(RAM, zeroRuns(1_000_000, 0, PAGES));
    expect(statSync(path).size).toBeLessThan(300 * 1024); // the file is small; its records claim 64 Gi page loads
    const { vm } = await newVm({ ram: { sizeBytes: RAM }, powerOn: false });
    expect(await loadStatus(vm, path)).toBe(VERR_SSM_DATA_UNIT_FORMAT_CHANGED);
    expect(vm.state).toBe('LOAD_FAILURE');
    expect(vm.core.lastError?.message).toMatch(/overlaps/);
  });

  it.each([
    ['the same run twice', zeroRuns(2, 0, 16), VERR_SSM_DATA_UNIT_FORMAT_CHANGED],
    ['a run that starts inside the previous one', (s: Parameters<ReturnType<typeof zeroRuns>>[0]) => { zeroRuns(1, 0, 16)(s); zeroRuns(1, 15, 4)(s); }, VERR_SSM_DATA_UNIT_FORMAT_CHANGED],
    ['a run below the previous one', (s: Parameters<ReturnType<typeof zeroRuns>>[0]) => { zeroRuns(1, 40, 8)(s); zeroRuns(1, 10, 8)(s); }, VERR_SSM_DATA_UNIT_FORMAT_CHANGED],
    ['a RAW page inside a zero run', (s: Parameters<ReturnType<typeof zeroRuns>>[0]) => { zeroRuns(1, 0, 16)(s); s.putU8(PGM_REC_RAW); s.putU32(3); s.putMem(new Uint8Array(4096).fill(7)); }, VERR_SSM_DATA_UNIT_FORMAT_CHANGED],
    // 1 MiB of RAM is 256 pages: runs that reach past it are refused before any page is touched.
    ['a zero run that runs past the end of RAM', zeroRuns(1, 250, 16), VERR_SSM_DATA_UNIT_FORMAT_CHANGED],
    ['a zero run that starts past the end of RAM', zeroRuns(1, 1_000_000, 1), VERR_SSM_DATA_UNIT_FORMAT_CHANGED],
    ['a RAW page past the end of RAM', (s: Parameters<ReturnType<typeof zeroRuns>>[0]) => { s.putU8(PGM_REC_RAW); s.putU32(256); s.putMem(new Uint8Array(4096).fill(7)); }, VERR_SSM_DATA_UNIT_FORMAT_CHANGED],
  ] as const)('%s', async (_name, records, rc) => {
    const path = await craftedVmFile(1 * MiB, records);
    const { vm } = await newVm({ ram: { sizeBytes: 1 * MiB }, powerOn: false });
    expect(await loadStatus(vm, path)).toBe(rc);
    expect(vm.state).toBe('LOAD_FAILURE');
  });
});

/**
 * A bare registry saved with pgm-sized units under names of the same length, renamed to `pgm` with the given
 * passes by patching (stream CRC dropped so the patches need no running CRC).
 */
function repeatedPgmUnits(pages: number, passes: number[]): Buffer {
  const registry = new SsmUnitRegistry();
  const names = passes.map((_, i) => `pg${String.fromCharCode(0x61 + i)}`);
  for (const name of names) registry.register({ name, version: 1, saveExec: pgmWriter(pages, zeroRuns(1, 0, pages)) });
  const sink = new MemorySink();
  ssmSave(registry, sink);
  const file = withoutStreamCrc(sink.bytes());
  for (const at of unitHeaders(file)) {
    const name = file.subarray(at + 44, at + 48).toString('latin1');
    const i = names.indexOf(name.slice(0, 3));
    if (i < 0) continue;
    file.write('pgm', at + 44, 'latin1');
    file.writeUInt32LE(passes[i]! >>> 0, at + 32);
    fixUnitHeaderCrc(file, at);
  }
  return file;
}

function loadIntoRam(file: Buffer, pages: number): number {
  const registry = new SsmUnitRegistry();
  registry.register(pgmUnit(new GuestRam({ sizeBytes: pages * 4096 })));
  try {
    ssmLoad(registry, new MemorySource(file, { asFile: true }));
    return VINF_SUCCESS;
  } catch (e) {
    if (e instanceof VBoxError) return e.rc;
    throw e;
  }
}

describe('pgm units that repeat without progress are refused', () => {
  const FINAL = 0xffffffff;
  it.each([
    ['two final passes', [FINAL, FINAL], VERR_SSM_UNEXPECTED_PASS],
    ['a pass after the final one', [FINAL, 3], VERR_SSM_UNEXPECTED_PASS],
    ['pass 1 twice', [0, 1, 1], VERR_SSM_UNEXPECTED_PASS],
    ['passes going down', [5, 4], VERR_SSM_UNEXPECTED_PASS],
    ['three passes each zeroing all of a zero RAM again', [0, 1, 2], VERR_SSM_LOADED_TOO_MUCH],
    ['a live save shape: pass 0 and the final pass', [0, FINAL], VINF_SUCCESS],
  ] as const)('%s', (_name, passes, rc) => {
    expect(loadIntoRam(repeatedPgmUnits(64, [...passes]), 64)).toBe(rc);
  });
});

describe('a long load gives way', () => {
  /** VM A loads a 256 MiB RAM file (one zero run of 64 Ki pages) while VM B of the same engine takes calls. */
  async function interleave(clock: 'virtual' | 'real'): Promise<{ rc: number; seen: string[]; choices: string[] }> {
    const path = await craftedVmFile(RAM, zeroRuns(1, 0, PAGES));
    const vmm = createVMM(clock === 'real' ? { clock: 'real' } : { seed: 7 });
    try {
      const a = await vmm.create({ cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: RAM } });
      const b = await vmm.create({ cpus: 1, config: { NumCPUs: 1 } });
      await b.powerOn();
      const loading = new Promise<void>((resolve) => a.state$.subscribe(({ to }) => to === 'LOADING' && resolve()));
      let done = false;
      const load = a.loadFromFile(path).finally(() => (done = true));
      await loading;
      const seen: string[] = [];
      for (let i = 0; i < 20 && !done; i++) await b.reqCallWait(0, () => void seen.push(a.state));
      const rc = await load;
      return { rc, seen, choices: vmm.sched.choices.map((c) => `${c.kind === 'step' ? c.actor : c.label}@${c.tNs}`) };
    } finally {
      vmm.dispose();
    }
  }

  it('virtual clock: every call to the other VM made during the load completes while the loader is LOADING', async () => {
    const { rc, seen, choices } = await interleave('virtual');
    expect(rc).toBe(VINF_SUCCESS);
    expect(seen).toEqual(Array(20).fill('LOADING'));
    // The slices are scheduler choices like any other: the same seed gives the same run, slice turns included.
    expect(choices.filter((c) => c.includes('/slice')).length).toBeGreaterThan(100);
    expect((await interleave('virtual')).choices).toEqual(choices);
  });

  it('real clock: the other VM answers while the loader is LOADING', async () => {
    const { rc, seen } = await interleave('real');
    expect(rc).toBe(VINF_SUCCESS);
    expect(seen[0]).toBe('LOADING');
  });

  it('ssmLoadStream (the teleport target): the host gets turns between the slices of a 256 MiB pgm unit', async () => {
    const registry = new SsmUnitRegistry();
    registry.register({ name: 'pgm', version: 1, saveExec: pgmWriter(PAGES, zeroRuns(1, 0, PAGES)) });
    const sink = new MemorySink();
    ssmSave(registry, sink);
    const target = new SsmUnitRegistry();
    target.register(pgmUnit(new GuestRam({ sizeBytes: RAM })));
    const source = new PushSource();
    source.push(sink.bytes());
    source.end();
    let turns = 0;
    let done = false;
    const spin = () => {
      turns++;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    await ssmLoadStream(target, source).finally(() => (done = true));
    expect(turns).toBeGreaterThan(PAGES / 128 / 2); // a turn per slice or so, not one for the whole unit
  });
});
