/**
 * The four data units of VirtualBox's tstSSM.cpp (vbox-facts.md §11.2), shared by test/ssm/tstssm.test.ts and
 * bench/ssm-io.ts: same names, instances, versions, cbGuess and payloads. Units 3 and 4 take their size as a
 * parameter (512 MiB in the original and the bench, a few MiB in `npm test`). Load callbacks return
 * VERR_GENERAL_FAILURE on a mismatch, as the original does.
 */
import type { SsmHandle } from '../../src/ssm/handle.js';
import type { SsmUnitRegistry } from '../../src/ssm/units.js';
import { VERR_GENERAL_FAILURE } from '../../src/status.js';

export const GUEST_PAGE_SIZE = 4096;
export const UNIT1 = 'SSM Testcase Data Item no.1 (all types)';
export const UNIT2 = 'SSM Testcase Data Item no.2 (rand mem)';
export const UNIT3 = 'SSM Testcase Data Item no.3 (big mem)';
export const UNIT4 = 'SSM Testcase Data Item no.4 (big zero mem)';

/** gachMem1: the string literal with its embedded NULs and the terminating NUL sizeof() counts (83 bytes). */
export const gachMem1 = Buffer.from('sdfg\x01asdfa\x7fhjkl;sdfghjkl;dfghjkl;dfghjkl;\0\0asdf;kjasdf;lkjasd;flkjasd;lfkjasd\0;lfk\0', 'latin1');

/** The 31 integers of Item01, in put order: [put/get suffix, value]. */
export const ITEM01_INTEGERS: readonly (readonly ['U8' | 'S8' | 'U16' | 'S16' | 'U32' | 'S32', number] | readonly ['U64' | 'S64', bigint])[] = [
  ['U8', 0xff], ['U8', 0], ['U8', 1], ['U8', 42], ['U8', 230],
  ['S8', -128], ['S8', 127], ['S8', 12], ['S8', -76],
  ['U16', 0xffff], ['U16', 0], ['S16', 32767], ['S16', -32768],
  ['U32', 4294967295], ['U32', 0], ['U32', 42], ['U32', 2342342344],
  ['S32', -2147483648], ['S32', 2147483647], ['S32', 42], ['S32', 568459834], ['S32', -58758999],
  ['U64', 18446744073709551615n], ['U64', 0n], ['U64', 42n], ['U64', 593023944758394234n],
  ['S64', 9223372036854775807n], ['S64', -9223372036854775808n], ['S64', 42n], ['S64', 21398723459873n], ['S64', -5848594593453453245n],
];

/** initBigMem: each 16-byte block "aaaa%08Xzzzz" of its own (fake) address, two 4-page zero ranges at 1/4 and 3/4. */
export function initBigMem(size = 1024 * 1024, baseAddress = 0x10000000): Uint8Array {
  const mem = Buffer.alloc(size);
  for (let off = 0; off < size; off += 16) {
    mem.write(`aaaa${((baseAddress + off) >>> 0).toString(16).toUpperCase().padStart(8, '0')}zzzz`, off, 16, 'latin1');
  }
  mem.fill(0, size / 4, size / 4 + GUEST_PAGE_SIZE * 4);
  mem.fill(0, (size / 4) * 3, (size / 4) * 3 + GUEST_PAGE_SIZE * 4);
  return new Uint8Array(mem.buffer, mem.byteOffset, size);
}

const put = (ssm: SsmHandle, [suffix, value]: (typeof ITEM01_INTEGERS)[number]): void => {
  switch (suffix) {
    case 'U8': return ssm.putU8(value);
    case 'S8': return ssm.putS8(value);
    case 'U16': return ssm.putU16(value);
    case 'S16': return ssm.putS16(value);
    case 'U32': return ssm.putU32(value);
    case 'S32': return ssm.putS32(value);
    case 'U64': return ssm.putU64(value);
    case 'S64': return ssm.putS64(value);
  }
};

const get = (ssm: SsmHandle, suffix: (typeof ITEM01_INTEGERS)[number][0]): number | bigint => ({
  U8: () => ssm.getU8(), S8: () => ssm.getS8(), U16: () => ssm.getU16(), S16: () => ssm.getS16(), U32: () => ssm.getU32(),
  S32: () => ssm.getS32(), U64: () => ssm.getU64(), S64: () => ssm.getS64(),
})[suffix]();

export function item01Save(ssm: SsmHandle): void {
  ssm.putMem(gachMem1);
  ssm.putStrZ('String');
  for (const item of ITEM01_INTEGERS) put(ssm, item);
}

export function item01Load(ssm: SsmHandle, version: number): number {
  if (version !== 0) return VERR_GENERAL_FAILURE;
  const mem = ssm.getMem(gachMem1.length);
  if (!Buffer.from(mem).equals(gachMem1)) return VERR_GENERAL_FAILURE;
  if (ssm.getStrZ(gachMem1.length) !== 'String') return VERR_GENERAL_FAILURE;
  for (const [suffix, value] of ITEM01_INTEGERS) if (get(ssm, suffix) !== value) return VERR_GENERAL_FAILURE;
  return 0;
}

/** Item02Save: the size, then the buffer in three chunks: size/47, (size/47)*19, the rest. */
export function item02Save(ssm: SsmHandle, bigMem: Uint8Array): void {
  let cb = bigMem.length;
  ssm.putU32(cb);
  let at = 0;
  let chunk = Math.floor(cb / 47);
  ssm.putMem(bigMem.subarray(at, at + chunk));
  cb -= chunk;
  at += chunk;
  chunk *= 19;
  ssm.putMem(bigMem.subarray(at, at + chunk));
  cb -= chunk;
  at += chunk;
  ssm.putMem(bigMem.subarray(at, at + cb));
}

/** Item02Load: chunks starting at 16383 - 7 and shrinking by 7; below 64 they restart at 16383 - (chunk % 47). */
export function item02Load(ssm: SsmHandle, version: number, bigMem: Uint8Array): number {
  if (version !== 0) return VERR_GENERAL_FAILURE;
  let cb = ssm.getU32();
  if (cb !== bigMem.length) return VERR_GENERAL_FAILURE;
  const tmp = new Uint8Array(16383);
  let chunk = tmp.length;
  let at = 0;
  while (cb > 0) {
    chunk -= 7;
    if (chunk < 64) chunk = tmp.length - (chunk % 47);
    if (chunk > cb) chunk = cb;
    ssm.getMem(chunk, tmp);
    if (!Buffer.from(tmp.buffer, 0, chunk).equals(Buffer.from(bigMem.buffer, bigMem.byteOffset + at, chunk))) return VERR_GENERAL_FAILURE;
    at += chunk;
    cb -= chunk;
  }
  return 0;
}

/** Item03Save: the size, then that many bytes page by page, cycling through the 1 MiB buffer. */
export function item03Save(ssm: SsmHandle, bigMem: Uint8Array, itemSize: number): void {
  ssm.putU32(itemSize);
  for (let done = 0, at = 0; done < itemSize; done += GUEST_PAGE_SIZE) {
    ssm.putMem(bigMem.subarray(at, at + GUEST_PAGE_SIZE));
    at += GUEST_PAGE_SIZE;
    if (at >= bigMem.length) at = 0;
  }
}

export function item03Load(ssm: SsmHandle, version: number, bigMem: Uint8Array, itemSize: number): number {
  if (version !== 123) return VERR_GENERAL_FAILURE;
  if (ssm.getU32() !== itemSize) return VERR_GENERAL_FAILURE;
  const page = new Uint8Array(GUEST_PAGE_SIZE);
  for (let done = 0, at = 0; done < itemSize; done += GUEST_PAGE_SIZE) {
    ssm.getMem(GUEST_PAGE_SIZE, page);
    if (!Buffer.from(page.buffer).equals(Buffer.from(bigMem.buffer, bigMem.byteOffset + at, GUEST_PAGE_SIZE))) return VERR_GENERAL_FAILURE;
    at += GUEST_PAGE_SIZE;
    if (at >= bigMem.length) at = 0;
  }
  return 0;
}

const zeroPage = new Uint8Array(GUEST_PAGE_SIZE);
const zeroBuffer = Buffer.from(zeroPage.buffer);

/** Item04Save: the size, then zero pages (each goes out as a RAW_ZERO record). */
export function item04Save(ssm: SsmHandle, itemSize: number): void {
  ssm.putU32(itemSize);
  for (let done = 0; done < itemSize; done += GUEST_PAGE_SIZE) ssm.putMem(zeroPage);
}

export function item04Load(ssm: SsmHandle, version: number, itemSize: number): number {
  if (version !== 42) return VERR_GENERAL_FAILURE;
  if (ssm.getU32() !== itemSize) return VERR_GENERAL_FAILURE;
  const page = new Uint8Array(GUEST_PAGE_SIZE);
  for (let done = 0; done < itemSize; done += GUEST_PAGE_SIZE) {
    ssm.getMem(GUEST_PAGE_SIZE, page);
    if (!Buffer.from(page.buffer).equals(zeroBuffer)) return VERR_GENERAL_FAILURE; // memcmp(achPage, gabPage)
  }
  return 0;
}

/** Registers the four tstSSM units (with the original cbGuess values) and returns the shared buffer. */
export function registerTstSsmUnits(registry: SsmUnitRegistry, itemSize: number, opts: { units?: readonly number[] } = {}): Uint8Array {
  const bigMem = initBigMem();
  const want = new Set(opts.units ?? [1, 2, 3, 4]);
  if (want.has(1)) registry.register({ name: UNIT1, instance: 1, version: 0, cbGuess: 256, saveExec: item01Save, loadExec: item01Load });
  if (want.has(2)) {
    registry.register({
      name: UNIT2, instance: 2, version: 0, cbGuess: 8 * 1024 * 1024,
      saveExec: (ssm) => item02Save(ssm, bigMem), loadExec: (ssm, v) => item02Load(ssm, v, bigMem),
    });
  }
  if (want.has(3)) {
    registry.register({
      name: UNIT3, instance: 0, version: 123, cbGuess: 512 * 1024 * 1024,
      saveExec: (ssm) => item03Save(ssm, bigMem, itemSize), loadExec: (ssm, v) => item03Load(ssm, v, bigMem, itemSize),
    });
  }
  if (want.has(4)) {
    registry.register({
      name: UNIT4, instance: 0, version: 42, cbGuess: 512 * 1024 * 1024,
      saveExec: (ssm) => item04Save(ssm, itemSize), loadExec: (ssm, v) => item04Load(ssm, v, itemSize),
    });
  }
  return bigMem;
}
