/**
 * Goal: `vmm-actors ssm validate <file> [--checksum]` and `ssm info <file>` (issue 4, CLI): a valid file passes,
 * a damaged one exits 1 printing the VirtualBox status name; info lists the units and the directory.
 *
 * Method: the real commander program with the ssm subcommand registered, run in-process on files in a temp
 * folder, with console output captured.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { pristineFile } from './damage-fixture.js';
import { runSsmCli } from './ssm-cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'ssm-cli-'));
const good = join(dir, 'good.sav');
const bad = join(dir, 'bad.sav');
const file = pristineFile();
writeFileSync(good, file);
const damaged = Buffer.from(file);
damaged[200]! ^= 0x40;
writeFileSync(bad, damaged);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

const run = runSsmCli;

describe('vmm-actors ssm validate (SSMR3ValidateFile)', () => {
  it.each([
    [[good], 0, /valid/, ''],
    [[good, '--checksum'], 0, /valid \(checksum verified\)/, ''],
    [[bad], 0, /valid/, ''],
    [[bad, '--checksum'], 1, /^$/, 'VERR_SSM_INTEGRITY_CRC (-1814)'],
    [[join(dir, 'missing.sav')], 2, /^$/, 'VERR_FILE_NOT_FOUND (-102)'], // bad input: exit 2 (src/cli/exit-code.ts)
  ])('validate %j exits %i', async (args, exitCode, out, err) => {
    const r = await run('validate', ...args);
    expect(r.exitCode).toBe(exitCode);
    expect(r.out).toMatch(out);
    expect(r.err).toContain(err);
  });
});

describe('vmm-actors ssm info', () => {
  it('prints the header, the units with their passes and sizes, and the directory', async () => {
    const r = await run('info', good);
    expect(r.exitCode).toBe(0);
    expect(r.out).toMatch(/saved state format 2\.0/);
    expect(r.out).toMatch(/pages\s+1\s+2\s+0 yes/);
    expect(r.out).toMatch(/directory \(4 entries\)/);
  });

  it('exits 1 with the status on a damaged file', async () => {
    const r = await run('info', bad);
    expect(r.exitCode).toBe(1);
    expect(r.err).toMatch(/^VERR_SSM_INTEGRITY_CRC/);
  });
});
