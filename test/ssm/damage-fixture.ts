/**
 * A small saved state and its units for the integrity tests (validate*, damage*): a handful of units whose data
 * exercises every record type (small RAW, RAW_LZF page, RAW_ZERO page, a big raw remainder, a string), saved to
 * memory, plus load callbacks that read everything back and refuse a mismatch with VERR_SSM_UNEXPECTED_DATA.
 */
import { MemorySink, MemorySource, SsmUnitRegistry, ssmLoad, ssmSave, validate } from '../../src/ssm/index.js';
import { VBoxError, VERR_SSM_UNEXPECTED_DATA } from '../../src/status.js';

const text = Buffer.from('aaaa0000ABCDzzzz'.repeat(256), 'latin1');
const noise = Uint8Array.from({ length: 700 }, (_, i) => (i * 151 + (i >> 3) * 7) & 0xff);

const UNITS = [
  { name: 'alpha', instance: 0, version: 1, save: (s: import('../../src/ssm/handle.js').SsmHandle) => { s.putU32(0x12345678); s.putS64(-42n); s.putStrZ('hello, state'); },
    load: (s: import('../../src/ssm/handle.js').SsmHandle) => s.getU32() === 0x12345678 && s.getS64() === -42n && s.getStrZ(64) === 'hello, state' },
  { name: 'pages', instance: 1, version: 2, save: (s: import('../../src/ssm/handle.js').SsmHandle) => { s.putMem(text); s.putMem(new Uint8Array(4096)); s.putMem(noise); },
    load: (s: import('../../src/ssm/handle.js').SsmHandle) => Buffer.from(s.getMem(4096)).equals(text) && s.getMem(4096).every((b) => b === 0) && Buffer.from(s.getMem(700)).equals(Buffer.from(noise)) },
  { name: 'beta', instance: 7, version: 3, save: (s: import('../../src/ssm/handle.js').SsmHandle) => { for (let i = 0; i < 40; i++) s.putU16(i * 1000); s.putZeros(2048); },
    load: (s: import('../../src/ssm/handle.js').SsmHandle) => { for (let i = 0; i < 40; i++) if (s.getU16() !== i * 1000) return false; return s.getMem(2048).every((b) => b === 0); } },
];

export function registryForDamage(): SsmUnitRegistry {
  const r = new SsmUnitRegistry();
  for (const u of UNITS) {
    r.register({
      name: u.name, instance: u.instance, version: u.version, saveExec: u.save,
      loadExec: (s, version) => (version === u.version && u.load(s) ? 0 : VERR_SSM_UNEXPECTED_DATA),
    });
  }
  return r;
}

/** The pristine file. */
export function pristineFile(): Buffer {
  const sink = new MemorySink();
  ssmSave(registryForDamage(), sink);
  return sink.bytes();
}

export type Outcome = { ok: true } | { ok: false; rc: number; name: string; message: string };

function outcome(fn: () => unknown): Outcome {
  try {
    fn();
    return { ok: true };
  } catch (e) {
    if (!(e instanceof VBoxError)) throw e;
    return { ok: false, rc: e.rc, name: e.name, message: e.message };
  }
}

/** SSMR3ValidateFile on bytes that stand in for a file. */
export const validateBytes = (bytes: Uint8Array, checksum = true): Outcome => outcome(() => validate(new MemorySource(bytes, { asFile: true }), { checksum }));

/** SSMR3Load of bytes into a fresh registry. */
export const loadBytes = (bytes: Uint8Array): Outcome => outcome(() => ssmLoad(registryForDamage(), new MemorySource(bytes, { asFile: true })));

/** Unit spans [start, end) of a non-live file, from its directory. */
export function unitSpans(file: Buffer): [number, number][] {
  const footerOff = file.length - 32;
  const cEntries = file.readUInt32LE(footerOff + 20);
  const dirOff = footerOff - 16 - cEntries * 16;
  const endOff = dirOff - 44;
  const starts = Array.from({ length: cEntries }, (_, i) => Number(file.readBigUInt64LE(dirOff + 16 + i * 16))).sort((a, b) => a - b);
  return starts.map((s, i) => [s, starts[i + 1] ?? endOff]);
}
