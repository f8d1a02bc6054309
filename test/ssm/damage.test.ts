/**
 * Goal: a damaged saved state is always refused with an SSM status, by SSMR3ValidateFile (with the full checksum)
 * and by SSMR3Load, and nothing crashes or hangs (issue 4, reliability).
 *
 * Method: 10,000 random damages of one small valid file from a seeded PRNG (SSM_DAMAGE_SEED overrides the seed,
 * which is printed): bit flips (1–8 bits anywhere), truncations (any length), insertions (1–64 random bytes
 * anywhere) and swaps of two units. Each damaged copy goes through validate and through a registry-level load;
 * both must throw a VBoxError whose name starts with VERR_SSM_ (or VirtualBox's VERR_SMM_ spelling). The counts
 * by kind and status are printed.
 */
import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/sched/prng.js';
import { loadBytes, pristineFile, unitSpans, validateBytes, type Outcome } from './damage-fixture.js';

const SEED = Number(process.env.SSM_DAMAGE_SEED ?? 0x55a1);
const DAMAGES = 10_000;
const file = pristineFile();
const spans = unitSpans(file);

type Kind = 'flip' | 'truncate' | 'insert' | 'swap';

function damage(prng: Prng, kind: Kind): Buffer {
  switch (kind) {
    case 'flip': {
      const b = Buffer.from(file);
      const bits = 1 + prng.int(8);
      for (let i = 0; i < bits; i++) b[prng.int(b.length)]! ^= 1 << prng.int(8);
      if (b.equals(file)) b[prng.int(b.length)]! ^= 0x10; // an even number of flips of one bit cancel out
      return b;
    }
    case 'truncate':
      return file.subarray(0, prng.int(file.length));
    case 'insert': {
      const at = prng.int(file.length + 1);
      const extra = Buffer.from(Array.from({ length: 1 + prng.int(64) }, () => prng.int(256)));
      return Buffer.concat([file.subarray(0, at), extra, file.subarray(at)]);
    }
    case 'swap': {
      const i = prng.int(spans.length);
      let j = prng.int(spans.length - 1);
      if (j >= i) j++;
      const [a, b] = [spans[Math.min(i, j)]!, spans[Math.max(i, j)]!];
      return Buffer.concat([file.subarray(0, a[0]), file.subarray(b[0], b[1]), file.subarray(a[1], b[0]), file.subarray(a[0], a[1]), file.subarray(b[1])]);
    }
  }
}

const isSsmStatus = (o: Outcome): boolean => !o.ok && /^VERR_(SSM|SMM)_/.test(o.name);

describe('SSMR3ValidateFile / SSMR3Load on damaged files', () => {
  it(`refuses ${DAMAGES} random damages with SSM statuses (seed ${SEED})`, () => {
    console.log(`ssm damage test: seed=${SEED} (SSM_DAMAGE_SEED=${SEED} reproduces it), file ${file.length} bytes, ${spans.length} units`);
    expect(validateBytes(file).ok).toBe(true);
    expect(loadBytes(file).ok).toBe(true);
    const prng = new Prng(SEED);
    const kinds: Kind[] = ['flip', 'truncate', 'insert', 'swap'];
    const counts = new Map<string, number>();
    const bad: string[] = [];
    for (let i = 0; i < DAMAGES; i++) {
      const kind = kinds[i % kinds.length]!;
      const bytes = damage(prng, kind);
      const v = validateBytes(bytes);
      const l = loadBytes(bytes);
      for (const [who, o] of [['validate', v], ['load', l]] as const) {
        const key = `${who} ${kind} ${o.ok ? 'ACCEPTED' : o.name}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (!isSsmStatus(o) && bad.length < 10) bad.push(`#${i} ${key}: ${o.ok ? '' : o.message}`);
      }
    }
    console.log([...counts.entries()].sort().map(([k, n]) => `  ${k}: ${n}`).join('\n'));
    expect(bad).toEqual([]);
  });
});
