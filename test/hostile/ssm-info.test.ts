/**
 * Issue 13 item 4: `vmm-actors ssm info` and the read-only tools on hostile files. An END unit header that runs
 * into the footer, a unit name size of 0xFFFFFFFF and a sparse gap before the directory are refused with the
 * VERR_SSM_* status the loader gives for the same bytes, and no read is larger than the file justifies; strings
 * from the file (build strings, unit names) are printed with their control characters escaped.
 * Method: the damage fixture's file made by the project's writer, patched byte by byte (stream CRC dropped so
 * patches need no running CRC); the real commander program run in-process with console output captured.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FileSource, info, MemorySink, MemorySource, SsmUnitRegistry, ssmSave } from '../../src/ssm/index.js';
import { crc32WithZeroField } from '../../src/ssm/crc.js';
import { VBoxError } from '../../src/status.js';
import { STATUS_TABLE } from '../../src/status/table.js';
import { loadBytes, pristineFile } from '../ssm/damage-fixture.js';
import { fixUnitHeaderCrc, unitHeaders, withoutStreamCrc } from './ssm-craft.js';
import { runSsmCli } from '../ssm/ssm-cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-hostile-info-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Replace the footer of `head` (everything before it) and fix offStream and CRC. */
function withFooter(head: Buffer, footer: Buffer): Buffer {
  const f = Buffer.from(footer);
  f.writeBigUInt64LE(BigInt(head.length), 8);
  f.writeUInt32LE(crc32WithZeroField(f, 28), 28);
  return Buffer.concat([head, f]);
}

const base = withoutStreamCrc(pristineFile());
const footerOf = (b: Buffer) => b.subarray(b.length - 32);
const endAt = unitHeaders(base).at(-1)!;

/** An END unit header cut after 20 bytes, the footer right behind it (the "-24"). */
const endIntoFooter = withFooter(base.subarray(0, endAt + 20), footerOf(base));

/** The first unit's cbName = 0xFFFFFFFF, header CRC fixed. */
const hugeName = (() => {
  const b = Buffer.from(base);
  const first = unitHeaders(b)[0]!;
  b.writeUInt32LE(0xffffffff, first + 40);
  fixUnitHeaderCrc(b, first);
  return b;
})();

/** What a read-only tool or the loader says about bytes: the status name, or the foreign error's text. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof VBoxError ? e.name : `${(e as Error).name}: ${(e as Error).message}`;
  }
}

const ssmStatus = (name: string) => STATUS_TABLE.some(([n]) => n === name) && name.startsWith('VERR_SSM_');

describe('hostile files give VERR_SSM_* statuses, the loader\'s for the same bytes', () => {
  it.each([
    ['an END unit header that runs into the footer', endIntoFooter],
    ['a unit name of 0xFFFFFFFF bytes', hugeName],
  ])('%s', (_name, bytes) => {
    const fromInfo = outcome(() => info(new MemorySource(bytes, { asFile: true })));
    const load = loadBytes(bytes);
    expect(load.ok).toBe(false);
    expect(fromInfo).toBe(load.ok ? 'ok' : load.name);
    expect(ssmStatus(fromInfo)).toBe(true);
  });
});

describe('a sparse gap between the END unit and the directory', () => {
  const GAP = 256 * 1024 * 1024;
  /** The file on disk: head, a hole of GAP bytes, directory and footer (offStream moved past the hole). */
  function sparseFile(): string {
    const path = join(dir, 'sparse.sav');
    const head = base.subarray(0, endAt + 44);
    const dirAndFooter = withFooter(Buffer.from(base.subarray(endAt + 44, base.length - 32)), footerOf(base));
    const fd = openSync(path, 'w');
    writeSync(fd, head, 0, head.length, 0);
    const tailAt = head.length + GAP;
    const tail = Buffer.from(dirAndFooter);
    tail.writeBigUInt64LE(BigInt(tailAt + tail.length - 32), tail.length - 32 + 8);
    tail.writeUInt32LE(crc32WithZeroField(tail.subarray(tail.length - 32), 28), tail.length - 4);
    writeSync(fd, tail, 0, tail.length, tailAt);
    closeSync(fd);
    return path;
  }

  it('is refused with VERR_SSM_INTEGRITY_DIR_MAGIC, and no single read is larger than 1 MiB', () => {
    const path = sparseFile();
    let largest = 0;
    class Recording extends FileSource {
      override read(dst: Uint8Array): number {
        largest = Math.max(largest, dst.length);
        return super.read(dst);
      }
      override readAt(pos: number, dst: Uint8Array): number {
        largest = Math.max(largest, dst.length);
        return super.readAt(pos, dst);
      }
    }
    expect(outcome(() => info(new Recording(path)))).toBe('VERR_SSM_INTEGRITY_DIR_MAGIC');
    expect(largest).toBeLessThanOrEqual(1024 * 1024);
  });
});

const run = runSsmCli;

describe('ssm info prints the file\'s strings with control characters escaped', () => {
  const CLEAR_AND_RETITLE = '\x1b[2J\x1b]0;owned\x07';
  const C1_CSI = '\u009b31m';
  function hostileStrings(): string {
    const registry = new SsmUnitRegistry();
    registry.find('SSM', 0)!.setCallback('saveExec', (ssm) => {
      ssm.putStrZ('Build Type');
      ssm.putStrZ(CLEAR_AND_RETITLE);
      ssm.putStrZ(`Host${C1_CSI}`);
      ssm.putStrZ('x\ry');
      ssm.putStrZ('');
      ssm.putStrZ('');
    });
    registry.register({ name: `unit\x1b[31m${C1_CSI}`, version: 1, saveExec: (ssm) => ssm.putU32(1) });
    const sink = new MemorySink();
    ssmSave(registry, sink);
    const path = join(dir, 'strings.sav');
    writeFileSync(path, sink.bytes());
    return path;
  }

  it.each([[[] as string[]], [['--json']]])('info %j: no raw C0/C1 control character reaches the terminal', async (flags) => {
    const { out, exitCode } = await run('info', hostileStrings(), ...flags);
    expect(exitCode).toBe(0);
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('\\u001b[2J'); // shown, escaped
    expect(out).toContain('\\u009b31m');
  });
});
