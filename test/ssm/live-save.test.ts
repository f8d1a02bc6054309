/**
 * VMR3Save at the VM level (vmR3SaveTeleport, SSMR3LiveDoStep1/2, vmR3LiveDoSuspend; vbox-facts.md §7.1–§7.3).
 *
 * Goal: a live save from RUNNING walks RUNNING → RUNNING_LS → SUSPENDING_LS → SUSPENDED_LS → SAVING → SUSPENDED
 * and leaves a stream that restores the VM; a plain save from SUSPENDED goes through SAVING; the exec/vote loop
 * honours every vote code, the size cap and the pgm vote rule; progress arrives as a callback and on progress$.
 * Method: the deterministic engine with the demo guest; a probe unit scripts votes; streams go to a MemorySink
 * (files where the file matters) and are read back with the format layer's info() and a load into a fresh VM.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  VBoxError, VERR_INVALID_PARAMETER, VERR_IPE_UNEXPECTED_INFO_STATUS, VERR_SSM_STATE_GREW_TOO_BIG,
  VERR_SSM_VOTE_FOR_GIVING_UP, VERR_VM_INVALID_VM_STATE, VINF_EM_SUSPEND, VINF_SSM_DONT_CALL_AGAIN,
  VINF_SSM_VOTE_DONE_DONT_CALL_AGAIN, VINF_SSM_VOTE_FOR_ANOTHER_PASS, VINF_SUCCESS,
} from '../../src/index.js';
import { info } from '../../src/ssm/info.js';
import { MemorySink, type SsmSink } from '../../src/ssm/sinks.js';
import { MemorySource } from '../../src/ssm/sources.js';
import { liveSaveOf } from '../../src/ssm/vm-units.js';
import { MiB, newVm, probe, watchStates } from '../teleport/support.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-live-save-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIVE_PATH = ['RUNNING>RUNNING_LS', 'RUNNING_LS>SUSPENDING_LS', 'SUSPENDING_LS>SUSPENDED_LS', 'SUSPENDED_LS>SAVING', 'SAVING>SUSPENDED'];

describe('VMR3Save from RUNNING (live)', () => {
  it('walks the live path, suspends and restores into a fresh VM', async () => {
    const { vmm, vm } = await newVm({ ram: { sizeBytes: 512 * 1024, prefill: true, dirtyBytesPerSec: 8 * MiB } });
    await vmm.advance(3_000_000);
    const states = watchStates(vm);
    const sink = new MemorySink();
    const result = await vm.save(sink);
    expect(states).toEqual(LIVE_PATH);
    expect(vm.state).toBe('SUSPENDED');
    expect(result).toMatchObject({ rc: VINF_SUCCESS, live: true, suspended: true });
    expect(result.passes).toBeGreaterThanOrEqual(11);
    expect(result.downtimeNs).toBeGreaterThan(0);
    const bytes = sink.bytes();
    expect(result.bytes).toBe(bytes.length);
    const file = info(new MemorySource(bytes, { asFile: true }));
    expect(file.header.live).toBe(true);
    const pgm = file.units.find((u) => u.name === 'pgm')!;
    expect(pgm).toMatchObject({ livePasses: result.passes, final: true });
    expect(file.units.find((u) => u.name === 'SSM')).toMatchObject({ livePasses: 1, final: true });
    expect(file.units.filter((u) => u.name === 'vcpu').map((u) => u.instance)).toEqual([0, 1]);

    const copy = (await newVm({ ram: { sizeBytes: 512 * 1024 }, powerOn: false }, vmm)).vm;
    const target = join(dir, 'roundtrip.sav');
    writeFileSync(target, bytes);
    expect(await copy.loadFromFile(target)).toBe(VINF_SUCCESS);
    expect(copy.ram.digest()).toBe(vm.ram.digest());
    expect(await copy.resume()).toBeGreaterThan(0);
    expect(copy.state).toBe('RUNNING');
  });

  it('runs machines/ssm-live-save.ts: LIVE_EXEC ⇄ LIVE_VOTE per pass, LIVE_STEP2, SAVE_*, done', async () => {
    const { vm } = await newVm();
    const seen: string[] = [];
    probe(vm, {
      exec: (ssm, pass) => {
        const live = liveSaveOf(vm.core)!;
        if (pass === 0) {
          seen.push(live.state);
          vm.core.listeners.add((e) => e.kind === 'machine' && e.machine === 'ssmLiveSave' && seen.push(e.to));
        }
        ssm.putU32(pass);
      },
    });
    await vm.save(new MemorySink());
    expect(seen).toEqual([
      ...Array.from({ length: 10 }, () => ['LIVE_EXEC', 'LIVE_VOTE']).flat(), 'LIVE_EXEC', 'LIVE_VOTE', 'LIVE_STEP2', 'SAVE_PREP',
      'SAVE_EXEC', 'SAVE_DONE', 'done',
    ]);
    expect(liveSaveOf(vm.core)).toBeUndefined();
  });

  it('reports progress through the callback and progress$: rising, 2 first, 100 last', async () => {
    const { vm } = await newVm();
    const seen: number[] = [];
    const streamed: number[] = [];
    vm.progress$.subscribe((e) => streamed.push(e.percent));
    await vm.save(new MemorySink(), { onProgress: (p) => seen.push(p) });
    expect(seen[0]).toBe(2);
    expect(seen.at(-1)).toBe(100);
    expect(seen).toContain(94); // prepare + live - 1, reported before the final exec
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
    expect(streamed).toEqual(seen);
  });

  it('a save to a file leaves exactly the file; the saved file validates and loads', async () => {
    const { vm } = await newVm();
    const path = join(dir, 'live.sav');
    await vm.save(path);
    expect(readdirSync(dir).filter((f) => f.includes('live.sav'))).toEqual(['live.sav']);
    expect(info(path).header.live).toBe(true);
  });

  it('a failed save deletes its temp file and keeps an earlier file intact', async () => {
    const path = join(dir, 'keep.sav');
    writeFileSync(path, 'earlier');
    const { vm } = await newVm();
    probe(vm, { vote: () => VERR_SSM_VOTE_FOR_GIVING_UP });
    await expect(vm.save(path)).rejects.toMatchObject({ rc: VERR_SSM_VOTE_FOR_GIVING_UP });
    expect(readFileSync(path, 'utf8')).toBe('earlier');
    expect(readdirSync(dir).filter((f) => f.includes('keep.sav'))).toEqual(['keep.sav']);
    expect(vm.state).toBe('RUNNING');
  });
});

describe('ssmR3DoLiveExecVoteLoop: the vote codes', () => {
  it.each([
    ['VINF_SUCCESS every time: pgm alone decides (11 passes)', () => VINF_SUCCESS, 11, 11],
    ['VINF_SSM_VOTE_DONE_DONT_CALL_AGAIN at pass 0: never called again', () => VINF_SSM_VOTE_DONE_DONT_CALL_AGAIN, 1, 11],
    ['VINF_SSM_VOTE_FOR_ANOTHER_PASS until pass 14', (pass: number) => (pass < 14 ? VINF_SSM_VOTE_FOR_ANOTHER_PASS : VINF_SUCCESS), 15, 15],
  ])('%s', async (_name, vote, probeExecs, passes) => {
    const { vm } = await newVm();
    const calls = probe(vm, { vote: (_ssm, pass) => vote(pass) });
    const result = await vm.save(new MemorySink());
    expect(calls.execs).toHaveLength(probeExecs);
    expect(result.passes).toBe(passes);
    expect(vm.state).toBe('SUSPENDED');
  });

  it('pfnLiveExec returning VINF_SSM_DONT_CALL_AGAIN is not called in later passes', async () => {
    const { vm } = await newVm();
    const calls = probe(vm, { exec: (ssm, pass) => (ssm.putU32(pass), VINF_SSM_DONT_CALL_AGAIN) });
    await vm.save(new MemorySink());
    expect(calls.execs).toEqual([0]);
  });

  it.each([
    ['a failure ends step 1 with that status', VERR_SSM_VOTE_FOR_GIVING_UP, VERR_SSM_VOTE_FOR_GIVING_UP],
    ['any other informational status is VERR_IPE_UNEXPECTED_INFO_STATUS', VINF_EM_SUSPEND, VERR_IPE_UNEXPECTED_INFO_STATUS],
  ])('%s; the VM goes back to RUNNING', async (_name, vote, rc) => {
    const { vm } = await newVm();
    const states = watchStates(vm);
    probe(vm, { vote: (_ssm, pass) => (pass === 3 ? vote : VINF_SSM_VOTE_FOR_ANOTHER_PASS) });
    await expect(vm.save(new MemorySink())).rejects.toMatchObject({ rc });
    expect(states).toEqual(['RUNNING>RUNNING_LS', 'RUNNING_LS>RUNNING']);
  });

  it('VERR_SSM_STATE_GREW_TOO_BIG once the stream passes max(Σ cbGuess × 10,000, 1 GiB)', async () => {
    // One RAM page, so Σ cbGuess × 10,000 (a file) stays under the 1 GiB floor.
    const { vm } = await newVm({ ram: { sizeBytes: 4096 } });
    const block = Buffer.alloc(MiB);
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
    probe(vm, { exec: (ssm) => { for (let i = 0; i < 64; i++) ssm.putMem(block); }, vote: () => VINF_SSM_VOTE_FOR_ANOTHER_PASS });
    let bytes = 0;
    const sink: SsmSink = { isFile: true, write: (chunk) => void (bytes += chunk.length), commit() {}, abort() {} };
    await expect(vm.save(sink, { lzf: false, bandwidthBytesPerSec: 8192 * MiB })).rejects.toMatchObject({ rc: VERR_SSM_STATE_GREW_TOO_BIG });
    expect(bytes).toBeGreaterThan(1024 * MiB);
    expect(bytes).toBeLessThan(1024 * MiB + 70 * MiB);
    expect(vm.state).toBe('RUNNING');
  }, 60_000);
});

describe('pgm live vote (done after pass 10 within the downtime; gives up on runaway dirtying)', () => {
  it('the demo guest dirties RAM at the configured rate while the VM runs, not while it is suspended', async () => {
    const { vmm, vm } = await newVm({ ram: { sizeBytes: 4 * MiB, dirtyBytesPerSec: 16 * MiB } });
    await vmm.advance(100_000_000);
    const expected = (16 * MiB * 0.1) / 4096; // 409.6 pages in 100 ms
    expect(Math.abs(vm.ram.pagesWritten - expected)).toBeLessThan(8);
    await vm.suspend();
    const before = vm.ram.pagesWritten;
    await vmm.advance(100_000_000);
    await vm.resume();
    await vmm.advance(1_000_000);
    expect(vm.ram.pagesWritten - before).toBeLessThan(8);
  });

  it('a quiet guest: exactly 11 passes', async () => {
    const { vm } = await newVm({ ram: { sizeBytes: MiB, prefill: true } });
    expect((await vm.save(new MemorySink())).passes).toBe(11);
  });

  it('a busy guest within the bandwidth converges; the downtime is the final pass at that bandwidth', async () => {
    const bandwidth = 16 * MiB;
    const { vmm, vm } = await newVm({ ram: { sizeBytes: 2 * MiB, prefill: true, dirtyBytesPerSec: 4 * MiB } });
    await vmm.advance(2_000_000);
    const result = await vm.save(new MemorySink(), { bandwidthBytesPerSec: bandwidth, lzf: false });
    expect(result.passes).toBeGreaterThanOrEqual(11);
    expect(result.downtimeNs!).toBeGreaterThan(0);
    expect(result.downtimeNs! / 1e6).toBeLessThan(250);
  });

  it('a guest dirtying faster than the stream moves gives up: VERR_SSM_VOTE_FOR_GIVING_UP, back to RUNNING', async () => {
    const { vm } = await newVm({ ram: { sizeBytes: 2 * MiB, prefill: true, dirtyBytesPerSec: 64 * MiB } });
    await expect(vm.save(new MemorySink(), { bandwidthBytesPerSec: 4 * MiB, lzf: false })).rejects.toMatchObject({ rc: VERR_SSM_VOTE_FOR_GIVING_UP });
    expect(vm.state).toBe('RUNNING');
    expect(vm.ram.tracking).toBe(false); // pfnSaveDone ran in SSMR3LiveDone's done run
  });
});

describe('VMR3Save from SUSPENDED (plain save)', () => {
  it('goes SUSPENDED → SAVING → SUSPENDED and writes a non-live stream', async () => {
    const { vm } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true } });
    await vm.suspend();
    const states = watchStates(vm);
    const sink = new MemorySink();
    const seen: number[] = [];
    const result = await vm.save(sink, { onProgress: (p) => seen.push(p) });
    expect(states).toEqual(['SUSPENDED>SAVING', 'SAVING>SUSPENDED']);
    expect(result).toMatchObject({ rc: VINF_SUCCESS, live: false, passes: 0, downtimeNs: null, suspended: false });
    const file = info(new MemorySource(sink.bytes(), { asFile: true }));
    expect(file.header.live).toBe(false);
    expect(file.units.every((u) => u.livePasses === 0)).toBe(true);
    expect(seen.at(-1)).toBe(100);
  });
});

describe('VMR3Save argument and state checks', () => {
  it.each([['CREATED'], ['OFF']] as const)('from %s: VERR_VM_INVALID_VM_STATE and nothing changes', async (state) => {
    const { vm } = await newVm({ powerOn: state !== 'CREATED' });
    if (state === 'OFF') await vm.powerOff();
    const error = await vm.save(new MemorySink()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VBoxError);
    expect(error).toMatchObject({
      rc: VERR_VM_INVALID_VM_STATE,
      message: `VMR3Save failed because the current VM state, ${state}, was not found in the state transition table ( SUSPENDED -> SAVING, RUNNING -> RUNNING_LS)`,
    });
    expect(vm.state).toBe(state);
  });

  it.each([
    ['an empty file name', '', {}],
    ['a non-sink object', { nope: true }, {}],
    ['a zero maxDowntimeMs', 'x.sav', { maxDowntimeMs: 0 }],
    ['a negative bandwidth', 'x.sav', { bandwidthBytesPerSec: -1 }],
  ])('%s is VERR_INVALID_PARAMETER before anything runs', async (_name, target, options) => {
    const { vm } = await newVm();
    const states = watchStates(vm);
    await expect(vm.save(target as string, options)).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
    expect(states).toEqual([]);
    expect(existsSync('x.sav')).toBe(false);
  });
});
