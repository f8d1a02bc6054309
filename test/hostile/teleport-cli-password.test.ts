/**
 * Where `vmm-actors teleport listen|send` takes the password from (issue 13 item 2): a file or an environment
 * variable, never argv (visible to every user in `ps`).
 * Goal: --password-file gives its first line; without it VMM_TELEPORT_PASSWORD; with neither, a VERR_INVALID_PARAMETER
 * naming both; an unreadable file names the file; `--password` is no longer an option; a refusal prints one line.
 * Method: passwordOf and refusalLine directly; commander parses a `teleport listen --password x` line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { passwordOf, refusalLine, registerTeleport } from '../../src/cli/commands/teleport-command.js';
import { VERR_AUTHENTICATION_FAILURE, VERR_INVALID_PARAMETER } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'teleport-pw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('teleport CLI password input', () => {
  it.each([
    ['a file: its first line', 'secret one\nignored\n', {}, 'secret one'],
    ['a file with CRLF', 'secret two\r\n', {}, 'secret two'],
    ['the file wins over the environment', 'from file\n', { VMM_TELEPORT_PASSWORD: 'from env' }, 'from file'],
  ] as const)('%s', (_name, text, env, expected) => {
    const file = join(dir, `pw-${expected.replace(/ /g, '-')}`);
    writeFileSync(file, text);
    expect(passwordOf(file, env)).toBe(expected);
  });

  it('the environment variable when no file is given; neither is VERR_INVALID_PARAMETER naming both', () => {
    expect(passwordOf(undefined, { VMM_TELEPORT_PASSWORD: 'env secret' })).toBe('env secret');
    expect(() => passwordOf(undefined, {})).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER, message: expect.stringMatching(/--password-file or VMM_TELEPORT_PASSWORD/) }));
    expect(() => passwordOf(join(dir, 'missing'), {})).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER, message: expect.stringContaining('missing') }));
  });

  it('--password on argv is refused by the parser', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    registerTeleport(program);
    await expect(program.parseAsync(['teleport', 'listen', '--port', '0', '--password', 'x'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.unknownOption' });
  });

  it('a refusal is one line with peer, reason, status and backoff', () => {
    expect(refusalLine({ peer: '127.0.0.1:5000', reason: 'wrong password', rc: VERR_AUTHENTICATION_FAILURE, failures: 2, backoffMs: 1000 }))
      .toBe('refused 127.0.0.1:5000: wrong password (VERR_AUTHENTICATION_FAILURE), 2 failed password(s), next attempt from it waits 1000 ms');
  });
});
