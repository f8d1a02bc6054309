/**
 * The owned declarations (ClassSpec.owned: a field whose object nothing else refers to) checked while checking:
 * `explore({ verifyOwnership: true })` and `vmm-actors check --verify-ownership` copy every world with the
 * copier's verification (graph-copy.ts verifyOwnership). Goal: a wrong declaration (here `Emt.vm` declared owned,
 * though the VM is everyone's) is refused with VERR_INTERNAL_ERROR naming the field, in breadth- and depth-first
 * search and from the CLI; without the option the same run goes through; the real declarations pass, with the same
 * states as an unverified run; several workers are refused (the check is on the main thread's copies).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerCheck } from '../../src/cli/commands/check-command.js';
import { explore } from '../../src/check/explore.js';
import type { Monitor, PropertyDef } from '../../src/check/property.js';
import type { Scenario } from '../../src/check/scenario.js';
import { persistable, registeredClassByName } from '../../src/persist/registry.js';
import { VERR_INTERNAL_ERROR, VERR_INVALID_PARAMETER } from '../../src/status.js';

const RACE: Scenario = { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] };
const WRONG = 'an object declared owned by test.SpoiledMonitor.seen that something else refers to as well';

/** A monitor whose `seen` is declared owned, though `alias` refers to the same array: a wrong declaration. */
class SpoiledMonitor implements Monitor {
  readonly name = 'spoiled-ownership';
  readonly seen: number[] = [];
  readonly alias = this.seen;
  afterStep(): void {}
}
persistable('test.SpoiledMonitor', SpoiledMonitor, { owned: ['seen'] });
const SPOILED: PropertyDef = { name: 'spoiled-ownership', description: 'declares an owned field wrongly', create: () => new SpoiledMonitor() };
/** The property's monitor keeps its state as data: its worlds are copied (copyDepth 0), as the engine's alone are. */
const spoiled = { properties: [SPOILED], copyDepth: 0 };

describe('explore({ verifyOwnership })', () => {
  it.each(['bfs', 'dfs'] as const)('%s: a wrong owned declaration is refused, naming the field', async (mode) => {
    await expect(explore(RACE, { ...spoiled, mode, verifyOwnership: true })).rejects.toMatchObject({ rc: VERR_INTERNAL_ERROR, message: expect.stringContaining(WRONG) });
    const unverified = await explore(RACE, { ...spoiled, mode }); // the copies split the array silently
    expect(unverified.copies).toBeGreaterThan(0);
  });

  it.each(['bfs', 'dfs'] as const)('%s: the engine\'s declarations pass, with the states of an unverified run', async (mode) => {
    const [verified, plain] = await Promise.all([explore(RACE, { mode, verifyOwnership: true }), explore(RACE, { mode })]);
    expect(verified.status).toBe('ok');
    expect(verified.copies).toBeGreaterThan(0);
    expect([verified.states, verified.transitions]).toEqual([plain.states, plain.transitions]);
  });

  it('thread: true: the same states as an unverified run on the thread', async () => {
    const verified = await explore(RACE, { verifyOwnership: true, thread: true });
    const plain = await explore(RACE, { thread: true });
    expect(verified.status).toBe('ok');
    expect([verified.states, verified.transitions, verified.copies]).toEqual([plain.states, plain.transitions, plain.copies]);
  });

  it('several workers are refused', async () => {
    await expect(explore(RACE, { workers: 2, verifyOwnership: true })).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER, message: expect.stringContaining('verifyOwnership') });
  });
});

describe('vmm-actors check --verify-ownership', () => {
  const run = async (...args: string[]): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'check-owned-'));
    const path = join(dir, 'race.json');
    writeFileSync(path, JSON.stringify(RACE));
    const program = new Command('vmm-actors').exitOverride();
    registerCheck(program);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await program.parseAsync(['node', 'vmm-actors', 'check', path, '--quiet', ...args]);
    } finally {
      log.mockRestore();
      process.exitCode = 0;
    }
  };

  // The CLI takes no user properties: the wrong declaration is made on an engine class for this test (Emt's
  // owned `cell` joined by `vm`, which the whole engine refers to), and undone after it. It is made at run time on
  // this thread's registry, which a search thread (--thread) never sees: these runs search here, the CLI's default.
  it('passes the option: a wrong declaration is refused with it; without it nothing names it', async () => {
    const entry = registeredClassByName('Emt')!;
    const ctor = entry.prototype.constructor as abstract new () => object;
    persistable('Emt', ctor, { ...entry.spec, owned: [...(entry.spec.owned ?? []), 'vm'] });
    try {
      await expect(run('--verify-ownership')).rejects.toThrow('an object declared owned by Emt.vm that something else refers to as well');
      // Without it nothing checks: the copies split the VM silently, and the run goes on until the split VM breaks it.
      const without = await run().then(() => null, (e: unknown) => e);
      expect(String(without)).not.toContain('declared owned');
    } finally {
      persistable('Emt', ctor, entry.spec);
    }
    await expect(run('--verify-ownership')).resolves.toBeUndefined();
  });

  it('--thread: the option reaches the search thread, whose explore() verifies the real declarations', async () => {
    const post = vi.spyOn(Worker.prototype, 'postMessage');
    try {
      await expect(run('--verify-ownership', '--thread')).resolves.toBeUndefined();
      expect(post).toHaveBeenCalledWith(expect.objectContaining({ options: expect.objectContaining({ verifyOwnership: true }) }));
    } finally {
      post.mockRestore();
    }
  });
});
