/**
 * The `vmm-actors` command line as a script sees it (issue 15 item 7). Goal: `--version`; exit codes that say
 * what happened — 0 ok, 1 a check failed, 2 bad input or usage, 3 bounded or inconclusive — the same for every
 * command, listed in `--help`; a missing file is one line naming it (no stack) for every command taking a file;
 * fractional `--time-limit`; `check` bounds itself in time by default and keeps reporting progress on stderr
 * with --quiet; `replay` of a user-invariant violation says so and prints the library call that replays it;
 * `record --from` says why it cannot re-run a trace. Method: the real program (runCli, as main.ts runs it)
 * in-process, stdout and stderr captured.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { EXIT_CODES_HELP, ExitCode } from '../../src/cli/exit-code.js';
import { progressReporter } from '../../src/cli/commands/check-progress.js';
import { DEFAULT_TIME_LIMIT_S } from '../../src/cli/commands/check-command.js';
import { explore, replayTrace, type Progress, type Scenario } from '../../src/check/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-exit-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const missing = join(dir, 'no-such-file.json');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => err.push(String(chunk)) > 0);
  try {
    const code = await runCli(['node', 'vmm-actors', ...args], (line) => err.push(line));
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

const RACE: Scenario = { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] };

describe('exit codes', () => {
  it('the codes are the documented ones', () => {
    expect([ExitCode.Ok, ExitCode.Violation, ExitCode.BadInput, ExitCode.Inconclusive]).toEqual([0, 1, 2, 3]);
  });

  it('the README lists the codes as --help does', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [, code, meaning] of EXIT_CODES_HELP.matchAll(/^ {2}(\d+) +([^:]+):/gm)) {
      if (Number(code) <= ExitCode.Inconclusive) expect(readme).toContain(`| ${code} | ${meaning}:`);
    }
  });

  it('--version prints the package version, exit 0', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await run('--version');
    expect([r.code, r.out.trim()]).toEqual([0, pkg.version]);
  });

  it.each([['--help'], ['check', '--help'], ['replay', '--help'], ['observe', '--help']])('%j lists the exit codes, exit 0', async (...args) => {
    const r = await run(...args);
    expect(r.code).toBe(0);
    for (const code of ['0  ok', '1  a check failed', '2  bad input or usage', '3  bounded or inconclusive']) expect(r.out).toContain(code);
  });

  it.each([
    [['bogus']],
    [['check']],
    [['check', '--max-states', 'ten', 'x.json']],
    [['check', '--time-limit', 'soon', 'x.json']],
    [['check', '--time-limit', '-1', 'x.json']],
    [['check', file('bad-mode.json', RACE), '--mode', 'sideways']],
    [['check', file('bad-scenario.json', { cpus: 2, clients: [['powerOf']] })]],
    [['check', file('not-json.json', '{ "cpus": 2 ')]],
    [['replay', file('not-a-trace.jsonl', '{"type":"nope"}\n')]],
    [['demo', '--cpus', '0']],
    [['view', '--live', 'not-a-url']],
    [['check', file('race-workers.json', RACE), '--workers', '0']],
  ])('usage and input errors exit 2: %j', async (args) => {
    const r = await run(...args);
    expect(r.code).toBe(ExitCode.BadInput);
    expect(r.err).not.toMatch(/^\s+at /m); // one message, no stack
  });

  it.each([
    [['check', missing]],
    [['check', missing, '--audit-key']],
    [['replay', missing]],
    [['view', missing]],
    [['record', join(dir, 'out.jsonl'), '--from', missing]],
    [['ssm', 'info', missing]],
    [['ssm', 'validate', missing]],
    [['observe', missing]],
    [['teleport', 'listen', '--port', '0', '--password-file', missing]],
    [['teleport', 'send', '--port', '1', '--password-file', missing]],
  ])('a missing file is one line naming it, exit 2: %j', async (args) => {
    const r = await run(...args);
    expect(r.code).toBe(ExitCode.BadInput);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(missing);
    expect(r.err).not.toContain('    at ');
  });

  it('a clean scenario explored to the end exits 0', async () => {
    const r = await run('check', file('race.json', RACE), '--quiet');
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.out).toMatch(/^verdict\s+ok: /m);
  });

  it.each([
    [['--max-states', '10'], /bounded at 10 states \(maxStates\)/],
    [['--max-depth', '3'], /bounded/],
    [['--audit-key', '--max-states', '10'], /no mismatch so far \(bounded\)/],
  ])('a bound that stopped the search exits 3 (%j)', async (extra, verdict) => {
    const r = await run('check', file('race-bounded.json', RACE), '--quiet', ...extra);
    expect(r.code).toBe(ExitCode.Inconclusive);
    expect(r.out).toMatch(verdict);
  });

  it('--time-limit takes fractions; a time bound exits 3 and says which limit stopped it', async () => {
    const big = file('big.json', { cpus: 3, clients: [['powerOn', 'suspend', 'resume'], ['powerOff'], ['reset', 'suspend']] });
    const r = await run('check', big, '--quiet', '--time-limit', '0.001');
    expect(r.code).toBe(ExitCode.Inconclusive);
    expect(r.out).toMatch(/bounded at [\d,]+ states \(time\)/);
    expect(r.err).toContain('stopped by the time limit (0.001 s)');
  });

  it(`check has a default time limit (${DEFAULT_TIME_LIMIT_S} s), shown in its help`, async () => {
    expect(DEFAULT_TIME_LIMIT_S).toBeGreaterThan(0);
    const r = await run('check', '--help');
    expect(r.out.replace(/\s+/g, ' ')).toContain(`(default: ${DEFAULT_TIME_LIMIT_S})`);
  });

  it.each([[['check']], [['replay']], [['view']], [['observe']], [['ssm', 'info']], [['ssm', 'validate']]])('a directory where a file is wanted is one line naming it, exit 2: %j', async (command) => {
    const r = await run(...command, dir);
    expect(r.code).toBe(ExitCode.BadInput);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`${dir}: is a directory`))]);
  });

  it.each([['info'], ['validate']])('ssm %s of a damaged file names the file in its one line, exit 1', async (tool) => {
    const damaged = file('damaged.sav', 'not a saved state');
    const r = await run('ssm', tool, damaged);
    expect(r.code).toBe(ExitCode.Violation);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^VERR_SSM_INTEGRITY_MAGIC \\(-1811\\): ${damaged}: `))]);
  });

  it('teleport: a port out of range is bad input (exit 2), a refused connection a VBox status (exit 1); one line on stderr each', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const password = file('teleport.pw', 'pw\n');
    const range = await run('teleport', 'listen', '--port', '99999', '--password-file', password);
    expect([range.code, range.err.trim().split('\n')]).toEqual([ExitCode.BadInput, [expect.stringMatching(/^teleport failed: VERR_INVALID_PARAMETER .*99999/)]]);
    const refused = await run('teleport', 'send', '--port', String(closed), '--password-file', password, '--run-ms', '1');
    expect([refused.code, refused.err.trim().split('\n')]).toEqual([ExitCode.Violation, [expect.stringMatching(/^teleport failed: VERR_NET_CONNECTION_REFUSED /)]]);
    expect(refused.out).not.toContain('teleport failed');
  });

  it('a violation exits 1', async () => {
    const scenario = file('save.json', { cpus: 1, fidelity: 'as-written', timers: 'any', clients: [['powerOn', 'save'], ['suspend']] });
    const r = await run('check', scenario, '--quiet', '--trace-out', join(dir, 'save.trace.jsonl'));
    expect(r.code).toBe(ExitCode.Violation);
    expect((await run('replay', join(dir, 'save.trace.jsonl'))).code).toBe(ExitCode.Violation);
  });
});

describe('check progress on stderr', () => {
  const at = (seconds: number): Progress => ({ states: seconds * 100, transitions: seconds * 200, depth: 3, frontier: 7, seconds, statesPerSecond: 100, heapBytes: 1 << 20 });
  const feed = (tty: boolean, quiet: boolean) => {
    const written: string[] = [];
    const p = progressReporter({ tty, quiet, write: (t) => void written.push(t), everySeconds: 10 });
    for (const s of [0.25, 5, 9.9, 10.1, 12, 25, 31]) p.onProgress(at(s));
    p.finish();
    return written;
  };
  it.each([
    [false, false],
    [false, true],
    [true, true],
  ])('no terminal or --quiet (tty %s, quiet %s): a plain line every 10 s', (tty, quiet) => {
    const lines = feed(tty, quiet);
    expect(lines.map((l) => /(\d+\.\d) s\n$/.exec(l)?.[1])).toEqual(['10.1', '25.0', '31.0']);
    expect(lines.every((l) => l.startsWith('check: states '))).toBe(true);
  });
  it('a terminal without --quiet: one line rewritten at every report', () => {
    const lines = feed(true, false);
    expect(lines).toHaveLength(8);
    expect(lines.slice(0, 7).every((l) => l.startsWith('\rstates '))).toBe(true);
  });
});

describe('replay of a user invariant violation', () => {
  it('says the violation came from a user invariant and prints the library call that replays it; exit 3', async () => {
    const neverSuspended = { name: 'never-suspended', holds: (view: { vmState: string }) => view.vmState !== 'SUSPENDED' };
    const result = await explore(RACE, { invariants: [neverSuspended] });
    const v = result.violations[0]!;
    expect(v.property).toBe('never-suspended');
    const trace = file('user.trace.jsonl', v.text);
    const r = await run('replay', trace);
    expect(r.code).toBe(ExitCode.Inconclusive);
    expect(r.out).toContain("the trace recorded a violation of the user invariant 'never-suspended'");
    expect(r.out).toContain(`replayTrace(readFileSync(${JSON.stringify(trace)}, 'utf8'), { invariants: [`);
    expect(v.replayCommand(trace)).toContain('replayTrace(');
    // The call it prints does reproduce the violation.
    expect(replayTrace(readFileSync(trace, 'utf8'), { invariants: [neverSuspended] }).reproduced).toBe(true);
  });
});

describe('record --from a trace it cannot re-run', () => {
  it('a checker counterexample: says so and names replay, exit 2', async () => {
    const scenario = file('save-r.json', { cpus: 1, fidelity: 'as-written', timers: 'any', clients: [['powerOn', 'save'], ['suspend']] });
    const trace = join(dir, 'save-r.trace.jsonl');
    await run('check', scenario, '--quiet', '--trace-out', trace);
    const r = await run('record', join(dir, 'r1.jsonl'), '--from', trace);
    expect(r.code).toBe(ExitCode.BadInput);
    expect(r.err).toContain(`record --from ${trace}: cannot re-run this trace: a checker counterexample (source 'check'): re-run it with \`vmm-actors replay ${trace}\``);
  });

  it('a real-clock demo trace: says its choices followed the host, exit 2', async () => {
    const demo = join(dir, 'demo.jsonl');
    expect((await run('record', demo, '--cpus', '1')).code).toBe(0);
    const [header, ...rest] = readFileSync(demo, 'utf8').split('\n');
    const real = JSON.parse(header!) as { setup: Record<string, unknown> };
    real.setup.clock = 'real';
    const realTrace = file('real.jsonl', [JSON.stringify(real), ...rest].join('\n'));
    const r = await run('record', join(dir, 'r2.jsonl'), '--from', realTrace);
    expect(r.code).toBe(ExitCode.BadInput);
    expect(r.err).toMatch(/cannot re-run this trace: recorded on the real clock/);
  });
});
