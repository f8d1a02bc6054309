/**
 * `vmm-actors check` and `vmm-actors replay`: parse, call the checker, print, exit code. Goal: a clean scenario
 * prints the summary and exits 0; the as-written live-save scenario exits 1, writes the trace where --trace-out
 * says and prints the replay command; `replay` prints the same violation text; bad scenario files get a message
 * naming the field; the search runs on the main thread unless --thread (then on its own, with the same result). Method: run the commands in-process through commander and capture what they print.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Explorer } from '../../src/check/explorer.js';
import { registerCheck } from '../../src/cli/commands/check-command.js';
import { registerReplay } from '../../src/cli/commands/replay-command.js';

async function cli(...args: string[]): Promise<{ out: string; code: number }> {
  const program = new Command('vmm-actors').exitOverride();
  registerCheck(program);
  registerReplay(program);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'vmm-actors', ...args]);
  } finally {
    log.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out: lines.join('\n'), code };
}

const dir = mkdtempSync(join(tmpdir(), 'check-cli-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

afterEach(() => {
  process.exitCode = 0;
});

describe('vmm-actors check / replay', () => {
  it('checks a clean scenario: summary table, exit 0', async () => {
    const { out, code } = await cli('check', file('race.json', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }), '--quiet');
    expect(code).toBe(0);
    expect(out).toMatch(/^scenario\s+A: powerOn → suspend ∥ B: powerOff\s+\(2 vCPUs, intended\)$/m);
    expect(out).toMatch(/^verdict\s+ok: [\d,]+ states, every interleaving explored$/m);
    expect(out).toMatch(/^coverage\s+VMSTATE edges \d+\/67/m);
  });

  it('searches on the main thread by default, on a thread of its own with --thread (ExploreOptions.thread): the same result', async () => {
    const race = file('thread.json', { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] });
    const run = vi.spyOn(Explorer.prototype, 'run');
    const essence = (out: string) => {
      const { seconds: _s, statesPerSecond: _r, ...rest } = JSON.parse(out) as Record<string, unknown>;
      return rest;
    };
    const here = await cli('check', race, '--quiet', '--json', '--no-por');
    expect(run).toHaveBeenCalledTimes(1);
    const there = await cli('check', race, '--quiet', '--json', '--no-por', '--thread');
    expect(run).toHaveBeenCalledTimes(1);
    run.mockRestore();
    expect(essence(there.out)).toEqual(essence(here.out));
  });

  it('--proviso-rebuilds (depth-first): the same states, fewer copies, some replay; without it nothing is replayed', async () => {
    const race = file('proviso.json', { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] });
    const counts = (out: string) => JSON.parse(out) as { states: number; transitions: number; replayedSteps: number; copies: number };
    const strict = counts((await cli('check', race, '--quiet', '--json', '--mode', 'dfs')).out);
    const traded = counts((await cli('check', race, '--quiet', '--json', '--mode', 'dfs', '--proviso-rebuilds')).out);
    expect(strict.replayedSteps).toBe(0);
    expect([traded.states, traded.transitions]).toEqual([strict.states, strict.transitions]);
    expect(traded.replayedSteps).toBeGreaterThan(0);
    expect(traded.copies).toBeLessThan(strict.copies);
  });

  it('--audit-key audits the state key instead of exploring: one line, exit 0 when every merge is sound', async () => {
    const race = file('audit.json', { cpus: 1, clients: [['powerOn', 'suspend'], ['powerOff']] });
    const { out, code } = await cli('check', race, '--audit-key', '3', '--quiet');
    expect(code).toBe(0);
    expect(out).toMatch(/^state-key audit \(3 steps deep, 1 lane per merge\): [\d,]+ states, [\d,]+ merges compared, [\d.]+ s: every merge sound$/);
    const bounded = await cli('check', race, '--audit-key', '--audit-lanes', '2', '--max-states', '10', '--quiet');
    expect(bounded.out).toMatch(/^state-key audit \(2 steps deep, 2 lanes per merge\): 10 states, .*: no mismatch so far \(bounded\)$/);
    await expect(cli('check', race, '--audit-key', 'deep', '--quiet')).rejects.toThrow();
  });

  it.each([
    [undefined, 'DEFAULT'],
    [3, 'OLD'],
  ])('names the halt method when halt is on (HaltMethod %s: %s)', async (method, name) => {
    const scenario = { cpus: 1, halt: 'on', ...(method !== undefined ? { config: { HaltMethod: method } } : {}), clients: [['powerOn'], ['powerOff']] };
    const { out, code } = await cli('check', file(`halt-${name}.json`, scenario), '--quiet');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^scenario\\s+.*\\(1 vCPU, intended, halt method ${name}\\)$`, 'm'));
  });

  it('finds the as-written live-save failure, exit 1, writes the trace; replay prints the same violation', async () => {
    const scenario = file('save.json', { cpus: 1, fidelity: 'as-written', timers: 'any', clients: [['powerOn', 'save'], ['suspend']] });
    const trace = join(dir, 'save.trace.jsonl');
    const checked = await cli('check', scenario, '--trace-out', trace, '--quiet');
    expect(checked.code).toBe(1);
    const violation = /^VIOLATION .*$/m.exec(checked.out)![0];
    expect(violation).toMatch(/^VIOLATION save-cleanup: A#1 save returned VERR_VM_UNEXPECTED_UNSTABLE_STATE/);
    expect(checked.out).toContain(`replay: npx vmm-actors replay ${trace}`);
    expect(readFileSync(trace, 'utf8').split('\n')[0]).toContain('"source":"check"');
    const replayed = await cli('replay', trace);
    expect(replayed.code).toBe(1);
    expect(replayed.out).toContain(violation);
    expect(replayed.out).toContain('reproduced: the replay found the recorded violation');
  });

  it('prints every step with --steps', async () => {
    const scenario = file('save2.json', { cpus: 1, fidelity: 'as-written', timers: 'any', clients: [['powerOn', 'save'], ['suspend']] });
    const trace = join(dir, 'save2.trace.jsonl');
    await cli('check', scenario, '--trace-out', trace, '--quiet');
    const { out } = await cli('replay', trace, '--steps');
    expect(out).toMatch(/^\s+\d+\s+vm\.1\/emt\.0\s+VM RUNNING_LS→SUSPENDING_EXT_LS/m);
  });

  it.each([
    ['{ "cpus": 2 ', /bad\.json: not valid JSON/],
    [{ cpus: 2, clients: [['powerOf']] }, /bad\.json\.clients\[0\]\[0\]: unknown call "powerOf"/],
  ])('refuses a bad scenario file %#', async (content, message) => {
    await expect(cli('check', file('bad.json', content), '--quiet')).rejects.toThrow(message);
  });
});
