/**
 * Saved-state I/O (issue 4, performance): VirtualBox's tstSSM at its original size (units 3 and 4 of 512 MiB each:
 * save, load, validate without and with checksums, open + seek + read), then save and load of one 512 MiB unit
 * beside a raw `fs` write (with fsync, as the file sink does) and read of the same bytes in the same run, as a
 * ratio (goal ≥ 0.7). Payloads: the tstSSM pattern (compressible; LZF on as VirtualBox, and off) and random bytes.
 *
 * `npx tsx bench/ssm-io.ts [MiB]` (default 512).
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, SsmUnitRegistry, ssmLoad, ssmSave, validate } from '../src/ssm/index.js';
import { item01Load, item02Load, item03Load, registerTstSsmUnits, UNIT1, UNIT2, UNIT3 } from '../test/ssm/tstssm-units.js';

const MiB = 1024 * 1024;
const now = (): number => performance.now();
const rate = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000);

function timed<T>(fn: () => T): [T, number] {
  const t0 = now();
  const result = fn();
  return [result, now() - t0];
}

/** tstSSM's main() at its original size, with its timings. */
function tstSsm(dir: string, itemSize: number): void {
  const file = join(dir, 'SSMTestSave#1');
  const registry = new SsmUnitRegistry();
  const bigMem = registerTstSsmUnits(registry, itemSize);
  const [, saveMs] = timed(() => ssmSave(registry, file, { after: 'DESTROY' }));
  console.log(`tstSSM: Saved in ${saveMs.toFixed(0)} ms; file size ${statSync(file).size} bytes`);
  const [, loadMs] = timed(() => ssmLoad(registry, file, { after: 'RESUME' }));
  console.log(`tstSSM: Loaded in ${loadMs.toFixed(0)} ms`);
  const [, v0] = timed(() => validate(file, { checksum: false }));
  const [, v1] = timed(() => validate(file, { checksum: true }));
  console.log(`tstSSM: Validated without checksumming in ${v0.toFixed(1)} ms, with in ${v1.toFixed(0)} ms`);
  const [, seekMs] = timed(() => {
    const ssm = open(file);
    for (const [name, instance] of [["some unit that doesn't exist", 0], [UNIT2, 0]] as const) {
      try {
        ssm.seek(name, instance);
        throw new Error(`seek(${name}, ${instance}) should fail`);
      } catch (e) {
        if ((e as { name?: string }).name !== 'VERR_SSM_UNIT_NOT_FOUND') throw e;
      }
    }
    if (item02Load(ssm.handle, ssm.seek(UNIT2, 2).version, bigMem) !== 0) throw new Error('Item02Load');
    if (item01Load(ssm.handle, ssm.seek(UNIT1, 1).version) !== 0) throw new Error('Item01Load');
    if (item03Load(ssm.handle, ssm.seek(UNIT3, 0).version, bigMem, itemSize) !== 0) throw new Error('Item03Load');
    ssm.close();
  });
  console.log(`tstSSM: Opened, sought and read units 2, 1, 3 in ${seekMs.toFixed(0)} ms`);
  rmSync(file);
}

/** One unit of `size` bytes made of `source` (1 MiB, repeated), saved and loaded beside raw fs I/O of the same bytes. */
function throughput(dir: string, label: string, source: Uint8Array, size: number, lzf: boolean): { save: number; load: number } {
  const file = join(dir, 'unit.sav');
  const raw = join(dir, 'raw.bin');
  const chunks = size / MiB;

  // Raw: the same bytes in 1 MiB writes, fsync, then read back in 1 MiB reads.
  const [, rawWriteMs] = timed(() => {
    const fd = openSync(raw, 'w');
    for (let i = 0; i < chunks; i++) writeSync(fd, source);
    fsyncSync(fd);
    closeSync(fd);
  });
  const into = new Uint8Array(MiB);
  const [, rawReadMs] = timed(() => {
    const fd = openSync(raw, 'r');
    for (let pos = 0; readSync(fd, into, 0, MiB, pos) > 0; pos += MiB);
    closeSync(fd);
  });

  const registry = new SsmUnitRegistry();
  registry.register({
    name: 'bench unit', instance: 0, version: 1, cbGuess: size,
    saveExec: (ssm) => { for (let i = 0; i < chunks; i++) ssm.putMem(source); },
    loadExec: (ssm) => { for (let i = 0; i < chunks; i++) ssm.getMem(MiB, into); },
  });
  const [, saveMs] = timed(() => ssmSave(registry, file, { lzf }));
  const [, loadMs] = timed(() => ssmLoad(registry, file));
  const fileSize = statSync(file).size;
  const r = { save: rate(size, saveMs) / rate(size, rawWriteMs), load: rate(size, loadMs) / rate(size, rawReadMs) };
  console.log(
    `${label.padEnd(28)} file ${(fileSize / MiB).toFixed(0).padStart(4)} MiB | save ${rate(size, saveMs).toFixed(0).padStart(5)} MB/s vs raw write ${rate(size, rawWriteMs).toFixed(0).padStart(5)} MB/s = ${r.save.toFixed(2)}`
    + ` | load ${rate(size, loadMs).toFixed(0).padStart(5)} MB/s vs raw read ${rate(size, rawReadMs).toFixed(0).padStart(5)} MB/s = ${r.load.toFixed(2)}`,
  );
  rmSync(file);
  rmSync(raw);
  return r;
}

export async function main(sizeMiB = 512): Promise<Record<string, { save: number; load: number }>> {
  const dir = mkdtempSync(join(tmpdir(), 'ssm-io-'));
  try {
    const size = sizeMiB * MiB;
    tstSsm(dir, size);
    const pattern = registerTstSsmUnits(new SsmUnitRegistry(), 0, { units: [] });
    let x = 0x9e3779b9;
    const noise = Uint8Array.from({ length: MiB }, () => {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      return x & 0xff;
    });
    console.log(`one ${sizeMiB} MiB unit (MB/s of payload; ratio = SSM / raw fs in the same run):`);
    return {
      patternLzf: throughput(dir, 'tstSSM pattern, LZF', pattern, size, true),
      patternRaw: throughput(dir, 'tstSSM pattern, no LZF', pattern, size, false),
      randomLzf: throughput(dir, 'random bytes, LZF', noise, size, true),
      randomRaw: throughput(dir, 'random bytes, no LZF', noise, size, false),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(Number(process.argv[2] ?? 512));
