/**
 * Goal: files carry VirtualBox's v2.0 layout byte for byte (vbox-facts.md §8): the 64-byte header, unit headers
 * (offset, running stream CRC in its unfinished form, header CRC up to the end of the name), data records (type
 * byte, UTF-8-style size, RAW / RAW_ZERO / RAW_LZF chosen the way ssmR3DataWrite chooses), termination records,
 * the END unit, the directory and the footer; and that LZF round-trips.
 *
 * Method: save small registries to memory and walk the bytes with an independent parser written here (node:zlib
 * crc32, DataView), asserting every field against the values §8 prescribes.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { lzfCompress, lzfDecompress, MemorySink, SsmStreamWriter, SsmUnitRegistry, ssmSave, type SsmHandle } from '../../src/ssm/index.js';
import { encodeRecordHeader } from '../../src/ssm/structs.js';

const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const u64 = (b: Uint8Array, off: number): number => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(off, true));
const ascii = (b: Uint8Array, off: number, n: number): string => Buffer.from(b.subarray(off, off + n)).toString('latin1');
const crcZeroed = (b: Uint8Array, off: number): number => {
  const copy = Buffer.from(b);
  copy.writeUInt32LE(0, off);
  return crc32(copy) >>> 0;
};

function saveToMemory(setup: (r: SsmUnitRegistry) => void): Buffer {
  const registry = new SsmUnitRegistry();
  setup(registry);
  const sink = new MemorySink();
  ssmSave(registry, sink);
  expect(sink.committed).toBe(true);
  return sink.bytes();
}

interface ParsedUnit { off: number; name: string; instance: number; version: number; pass: number; records: { type: number; size: number; hdrLen: number; payload: Uint8Array }[]; cbUnit: number }

/** An independent walk of a v2.0 stream. */
function parse(file: Buffer): { units: ParsedUnit[]; endOff: number; dirOff: number; footerOff: number } {
  const units: ParsedUnit[] = [];
  let off = 64;
  for (;;) {
    const magic = ascii(file, off, 8);
    expect(['\nUnit\n\0\0', '\nTheEnd\0']).toContain(magic);
    expect(u64(file, off + 8)).toBe(off);
    expect(u32(file, off + 16)).toBe((~crc32(file.subarray(0, off))) >>> 0);
    const cbName = u32(file, off + 40);
    const whole = file.subarray(off, off + 44 + cbName);
    expect(u32(file, off + 20)).toBe(crcZeroed(whole, 20));
    expect(u32(file, off + 36)).toBe(0);
    if (magic === '\nTheEnd\0') {
      expect([cbName, u32(file, off + 24), u32(file, off + 28), u32(file, off + 32)]).toEqual([0, 0, 0, 0xffffffff]);
      const dirOff = off + 44;
      const cEntries = u32(file, dirOff + 12);
      return { units, endOff: off, dirOff, footerOff: dirOff + 16 + cEntries * 16 };
    }
    expect(file[off + 44 + cbName - 1]).toBe(0);
    const unit: ParsedUnit = {
      off, name: ascii(file, off + 44, cbName - 1), version: u32(file, off + 24), instance: u32(file, off + 28), pass: u32(file, off + 32),
      records: [], cbUnit: 0,
    };
    let p = off + 44 + cbName;
    const dataStart = p;
    for (;;) {
      const type = file[p]!;
      if (type === 0x91) {
        expect(file[p + 1]).toBe(14);
        expect(file.readUInt16LE(p + 2)).toBe(1);
        expect(file.readUInt32LE(p + 4)).toBe(crc32(file.subarray(0, p + 2)) >>> 0);
        unit.cbUnit = u64(file, p + 8);
        expect(unit.cbUnit).toBe(p + 16 - dataStart);
        p += 16;
        break;
      }
      let size = file[p + 1]!;
      let hdrLen = 2;
      if (size & 0x80) {
        const n = size >= 0xfc ? 6 : size >= 0xf8 ? 5 : size >= 0xf0 ? 4 : size >= 0xe0 ? 3 : 2;
        size &= [0, 0, 0x1f, 0x0f, 0x07, 0x03, 0x01][n]!;
        for (let i = 2; i <= n; i++) size = size * 64 + (file[p + i]! & 0x3f);
        hdrLen = n + 1;
      }
      unit.records.push({ type, size, hdrLen, payload: file.subarray(p + hdrLen, p + hdrLen + size) });
      p += hdrLen + size;
    }
    units.push(unit);
    off = p;
  }
}

describe('SSMFILEHDR (ssmR3WriteHeaderAndClearPerUnitData)', () => {
  const file = saveToMemory(() => {});

  it('is 64 bytes with the v2.0 magic, version fields, 64-bit host, 8-byte GCPhys/GCPtr and its CRC', () => {
    expect(ascii(file, 0, 32)).toBe('\x7fVirtualBox SavedState V2.0\n\0\0\0\0');
    expect(file.readUInt16LE(32)).toBe(7);
    expect(file.readUInt32LE(40)).toBeGreaterThan(0);
    expect([file[44], file[45], file[46], file[47]]).toEqual([64, 8, 8, 0]);
    expect(file.readUInt32LE(48)).toBe(2); // "SSM" and "SSMLiveControl"
    expect(file.readUInt32LE(52)).toBe(1); // STREAM_CRC32, not live
    expect(file.readUInt32LE(56)).toBe(4096);
    expect(file.readUInt32LE(60)).toBe(crcZeroed(file.subarray(0, 64), 60));
  });

  it('sets STREAM_LIVE_SAVE for a live stream', () => {
    const sink = new MemorySink();
    const w = new SsmStreamWriter(sink, { cUnits: 9, live: true });
    w.flush();
    const hdr = sink.bytes();
    expect([hdr.readUInt32LE(48), hdr.readUInt32LE(52)]).toEqual([9, 3]);
    expect(hdr.readUInt32LE(60)).toBe(crcZeroed(hdr, 60));
  });
});

describe('units, END unit, directory and footer (ssmR3SaveDoExecRun, ssmR3SaveDoFinalization)', () => {
  const file = saveToMemory((r) => {
    r.register({ name: 'alpha', instance: 3, version: 7, saveExec: (ssm) => ssm.putU32(0xdeadbeef) });
    r.register({ name: 'no-exec', instance: 0, version: 1, loadExec: () => {} });
    r.register({ name: 'beta', instance: 0, version: 2, saveExec: (ssm) => ssm.putStrZ('x') });
  });
  const walk = parse(file);

  it('writes the units with an exec callback in list order with pass FINAL', () => {
    expect(walk.units.map((u) => [u.name, u.instance, u.version, u.pass])).toEqual([
      ['SSM', 0, 1, 0xffffffff], ['alpha', 3, 7, 0xffffffff], ['beta', 0, 2, 0xffffffff],
    ]);
  });

  it('collects small puts into one RAW record (type 0x92)', () => {
    const alpha = walk.units[1]!;
    expect(alpha.records).toHaveLength(1);
    expect(alpha.records[0]!.type).toBe(0x92);
    expect(Buffer.from(alpha.records[0]!.payload).readUInt32LE(0)).toBe(0xdeadbeef);
    const ssm = walk.units[0]!;
    const strings: string[] = [];
    const data = Buffer.from(ssm.records[0]!.payload);
    for (let p = 0; p < data.length;) {
      const n = data.readUInt32LE(p);
      strings.push(data.toString('utf8', p + 4, p + 4 + n));
      p += 4 + n;
    }
    expect(strings.slice(0, 3)).toEqual(['Build Type', 'release', 'Host OS']);
    expect(strings.slice(-2)).toEqual(['', '']);
  });

  it('writes a directory of the final units and a footer with the stream CRC', () => {
    const { dirOff, footerOff } = walk;
    expect(ascii(file, dirOff, 8)).toBe('\nDir\n\0\0\0');
    expect(file.readUInt32LE(dirOff + 12)).toBe(3);
    expect(file.readUInt32LE(dirOff + 8)).toBe(crcZeroed(file.subarray(dirOff, footerOff), 8));
    const entries = [0, 1, 2].map((i) => [u64(file, dirOff + 16 + i * 16), file.readUInt32LE(dirOff + 24 + i * 16), file.readUInt32LE(dirOff + 28 + i * 16)]);
    expect(entries).toEqual(walk.units.map((u) => [u.off, u.instance, crc32(Buffer.from(u.name)) >>> 0]));
    expect(ascii(file, footerOff, 8)).toBe('\nFooter\0');
    expect(u64(file, footerOff + 8)).toBe(footerOff);
    expect(file.readUInt32LE(footerOff + 16)).toBe(crc32(file.subarray(0, footerOff)) >>> 0);
    expect(file.readUInt32LE(footerOff + 20)).toBe(3);
    expect(file.readUInt32LE(footerOff + 24)).toBe(0);
    expect(file.readUInt32LE(footerOff + 28)).toBe(crcZeroed(file.subarray(footerOff, footerOff + 32), 28));
    expect(file.length).toBe(footerOff + 32);
  });
});

describe('data records (ssmR3DataWrite, ssmR3DataWriteBig, ssmR3DataWriteRecHdr)', () => {
  const page = (fill: (i: number) => number): Uint8Array => Uint8Array.from({ length: 4096 }, (_, i) => fill(i));
  let seed = 1;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  const cases: [string, (ssm: SsmHandle) => void, { type: number; size: number; hdrLen: number }[]][] = [
    ['a zero page → RAW_ZERO of 4 KiB', (s) => s.putMem(new Uint8Array(4096)), [{ type: 0x94, size: 1, hdrLen: 2 }]],
    ['an incompressible page → RAW with a 3-byte size', (s) => s.putMem(page(random)), [{ type: 0x92, size: 4096, hdrLen: 4 }]],
    ['a put of 513 bytes → RAW straight away (2-byte size)', (s) => s.putMem(new Uint8Array(513).fill(1)), [{ type: 0x92, size: 513, hdrLen: 3 }]],
    ['a 512-byte put is buffered', (s) => { s.putMem(new Uint8Array(512).fill(1)); s.putU8(2); }, [{ type: 0x92, size: 513, hdrLen: 3 }]],
    ['a full data buffer is flushed first', (s) => { for (let i = 0; i < 9; i++) s.putMem(new Uint8Array(500)); }, [{ type: 0x92, size: 4000, hdrLen: 4 }, { type: 0x92, size: 500, hdrLen: 3 }]],
    ['4 KiB + 100 zero bytes → RAW_ZERO, then RAW of the rest', (s) => s.putMem(new Uint8Array(4196)), [{ type: 0x94, size: 1, hdrLen: 2 }, { type: 0x92, size: 100, hdrLen: 2 }]],
    ['putZeros(6000) → RAW_ZERO 4 KiB, RAW_ZERO 1 KiB, 880 buffered bytes', (s) => s.putZeros(6000), [{ type: 0x94, size: 1, hdrLen: 2 }, { type: 0x94, size: 1, hdrLen: 2 }, { type: 0x92, size: 880, hdrLen: 3 }]],
  ];

  it.each(cases)('%s', (_name, save, expected) => {
    const file = saveToMemory((r) => r.register({ name: 'u', version: 1, saveExec: save }));
    const unit = parse(file).units[1]!;
    expect(unit.records.map(({ type, size, hdrLen }) => ({ type, size, hdrLen }))).toEqual(expected);
  });

  it('compresses a compressible page as RAW_LZF: 3-byte size, 4 KiB count, LZF data that decompresses to the page', () => {
    const text = page((i) => 'aaaa0000ABCDzzzz'.charCodeAt(i % 16));
    const file = saveToMemory((r) => r.register({ name: 'u', version: 1, saveExec: (s) => s.putMem(text) }));
    const [rec] = parse(file).units[1]!.records;
    expect(rec!.type).toBe(0x93);
    expect(rec!.hdrLen).toBe(4);
    expect(rec!.payload[0]).toBe(4);
    expect(rec!.size).toBeLessThanOrEqual(3841);
    const out = new Uint8Array(4096);
    expect(lzfDecompress(rec!.payload.subarray(1), out)).toBe(4096);
    expect(Buffer.from(out).equals(Buffer.from(text))).toBe(true);
  });

  it('encodes record sizes in the shortest UTF-8-style form', () => {
    const table: [number, number[]][] = [
      [0, [0x92, 0]], [0x7f, [0x92, 0x7f]], [0x80, [0x92, 0xc2, 0x80]], [0x7ff, [0x92, 0xdf, 0xbf]],
      [0x800, [0x92, 0xe0, 0xa0, 0x80]], [0xffff, [0x92, 0xef, 0xbf, 0xbf]], [0x10000, [0x92, 0xf0, 0x90, 0x80, 0x80]],
      [0x1fffff, [0x92, 0xf7, 0xbf, 0xbf, 0xbf]], [0x200000, [0x92, 0xf8, 0x88, 0x80, 0x80, 0x80]],
      [0x3ffffff, [0x92, 0xfb, 0xbf, 0xbf, 0xbf, 0xbf]], [0x4000000, [0x92, 0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]],
      [0x7fffffff, [0x92, 0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf]],
    ];
    for (const [cb, bytes] of table) expect([...encodeRecordHeader(0x92, cb)], `cb=${cb.toString(16)}`).toEqual(bytes);
  });
});

describe('LZF (RTZIPTYPE_LZF blocks)', () => {
  it.each([
    ['zeros', () => 0], ['a pattern', (i: number) => i % 7], ['text', (i: number) => 'hello world '.charCodeAt(i % 12)],
    ['noise', (i: number) => (Math.imul(i, 2654435761) >>> 13) & 0xff],
  ])('round-trips %s', (_name, fill) => {
    const src = Uint8Array.from({ length: 4096 }, (_, i) => fill(i));
    const dst = new Uint8Array(8192);
    const n = lzfCompress(src, dst);
    expect(n).toBeGreaterThan(0);
    const out = new Uint8Array(4096);
    expect(lzfDecompress(dst.subarray(0, n), out)).toBe(4096);
    expect(Buffer.from(out).equals(Buffer.from(src))).toBe(true);
  });

  it('refuses output that does not fit and malformed input', () => {
    let x = 0x12345678;
    const noise = Uint8Array.from({ length: 4096 }, () => {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      return x & 0xff;
    });
    expect(lzfCompress(noise, new Uint8Array(3840))).toBe(-1);
    expect(lzfDecompress(Uint8Array.of(0x20, 0x05), new Uint8Array(16))).toBe(-1); // back reference before the start
    expect(lzfDecompress(Uint8Array.of(0x05, 1, 2), new Uint8Array(16))).toBe(-1); // literal run past the input
  });
});
