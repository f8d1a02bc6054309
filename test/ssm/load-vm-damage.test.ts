/**
 * Damaged saved states at the VM level (vbox-facts.md §7.6, §8.8): whatever is wrong with the file, loadFromFile
 * must refuse it with a failure status and leave the VM in LOAD_FAILURE — never SUSPENDED, never stuck in
 * LOADING — and the VM must still power off from there.
 * Method: one live save of a small running VM; 320 seeded damages of it (bit flips, truncations, insertions,
 * two neighbouring units swapped), each loaded into a fresh VM of the same shape on one deterministic engine.
 * The same seed gives the same damages, so a failure names its case.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng } from '../../src/sched/prng.js';
import { statusName, VINF_EM_OFF } from '../../src/index.js';
import { info } from '../../src/ssm/info.js';
import { engine, newVm } from '../teleport/support.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-load-damage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES = 320;
const RAM = { sizeBytes: 64 * 1024 };

type Damage = { kind: string; bytes: Buffer };

function damage(prng: Prng, good: Buffer, units: number[]): Damage {
  const at = (n: number) => prng.int(n);
  switch (at(4)) {
    case 0: {
      const bytes = Buffer.from(good);
      const off = at(bytes.length);
      bytes[off]! ^= 1 << at(8);
      return { kind: `flip@${off}`, bytes };
    }
    case 1: {
      const len = at(good.length);
      return { kind: `truncate@${len}`, bytes: good.subarray(0, len) };
    }
    case 2: {
      const off = at(good.length + 1);
      const extra = Buffer.alloc(1 + at(16), at(256));
      return { kind: `insert${extra.length}@${off}`, bytes: Buffer.concat([good.subarray(0, off), extra, good.subarray(off)]) };
    }
    default: {
      // Two neighbouring final-pass units change places (the directory still points at the old offsets).
      const i = at(units.length - 2);
      const [a, b, c] = [units[i]!, units[i + 1]!, units[i + 2]!];
      return { kind: `swap@${a}/${b}`, bytes: Buffer.concat([good.subarray(0, a), good.subarray(b, c), good.subarray(a, b), good.subarray(c)]) };
    }
  }
}

describe('VMR3LoadFromFile with a damaged file', () => {
  it(`${CASES} seeded damages: every load fails, every VM ends LOAD_FAILURE and powers off`, async () => {
    const vmm = engine();
    const { vm: source } = await newVm({ ram: { ...RAM, prefill: true } }, vmm);
    const path = join(dir, 'good.sav');
    await source.save(path);
    const good = readFileSync(path);
    const units = info(path).directory.map((d) => d.off).sort((x, y) => x - y);
    expect(units.length).toBeGreaterThan(3);

    const prng = new Prng(0x5eed);
    const statuses = new Map<string, number>();
    for (let n = 0; n < CASES; n++) {
      const { kind, bytes } = damage(prng, good, units);
      const damaged = join(dir, `case-${n}.sav`);
      writeFileSync(damaged, bytes);
      const { vm } = await newVm({ ram: RAM, powerOn: false }, vmm);
      const rc = await vm.loadFromFile(damaged).then((ok) => ok, (e: { rc: number }) => e.rc);
      expect({ n, kind, rc: rc < 0, state: vm.state }).toEqual({ n, kind, rc: true, state: 'LOAD_FAILURE' });
      statuses.set(statusName(rc), (statuses.get(statusName(rc)) ?? 0) + 1);
      expect(await vm.powerOff()).toBe(VINF_EM_OFF);
      await vm.destroy();
      rmSync(damaged);
    }
    expect([...statuses.keys()].every((name) => name.startsWith('VERR_SSM_') || name === 'VERR_EOF')).toBe(true);
    expect(statuses.size).toBeGreaterThan(3);
  }, 120_000);
});
