/**
 * Temp files of killed saves are swept (issue 13 item 5). Goal: a save killed with SIGKILL leaves its temp file
 * `.<target>.<pid>.<n>.ssm-tmp` beside the target (named with the dead process's pid); the next save of the same
 * target removes every such file whose process no longer exists, and nothing else — not the temp file of a live
 * process, not those of other targets, not files whose names only look alike.
 * Method: real child processes (test/ssm/crash-child.ts saving 24 MiB) killed with SIGKILL halfway through their
 * save, three times in a row (each child's save sweeps its predecessor's file); then a save in this process; a
 * long-lived child (`node -e` waiting on stdin) stands for a live saver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SsmUnitRegistry, ssmSave, sweepStaleTempFiles, validate } from '../../src/ssm/index.js';


const child = fileURLToPath(new URL('../ssm/crash-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ssm-sweep-'));
const target = join(dir, 'vm.sav');
const living: ChildProcess[] = [];
afterAll(() => {
  for (const proc of living) proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const temps = () => readdirSync(dir).filter((f) => f.endsWith('.ssm-tmp')).sort();

/** A child saving 24 MiB to the target, SIGKILLed once its progress reaches 50 %; resolves with its pid. */
function killedSave(): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, target, '24', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      if (lines.some((line) => Number(line) >= 50)) proc.kill('SIGKILL');
    });
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(proc.pid!) : reject(new Error(`child ended with ${signal ?? _code}, not SIGKILL`))));
  });
}

/** A process that stays alive until the test ends (a save still in progress elsewhere). */
function livingProcess(): number {
  const proc = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'ignore'] });
  living.push(proc);
  return proc.pid!;
}

function saveHere(): void {
  const registry = new SsmUnitRegistry();
  registry.register({ name: 'sweep', instance: 0, version: 1, saveExec: (ssm) => ssm.putU32(42) });
  ssmSave(registry, target);
}

describe('stale temp files of killed saves', () => {
  it('each SIGKILLed save leaves its temp file; the next save of the target removes it, and only such files', async () => {
    const pids: number[] = [];
    for (let kill = 0; kill < 3; kill++) {
      pids.push(await killedSave());
      // The killed child's temp file stays, named with its pid and holding MiBs; the save it made swept the
      // file of the child killed before it (whose pid no longer exists).
      const name = `.vm.sav.${pids.at(-1)}.1.ssm-tmp`;
      expect(temps()).toEqual([name]);
      expect(statSync(join(dir, name)).size).toBeGreaterThan(1024 * 1024);
    }

    const live = livingProcess();
    const keep = [
      `.vm.sav.${live}.7.ssm-tmp`, // a save of the same target in a process that still runs
      `.other.sav.${pids[0]}.1.ssm-tmp`, // another target's (its own next save sweeps it)
      `.vm.sav.x.${pids[0]}.1.ssm-tmp`, // a name of another shape
      `.vm.sav.0.1.ssm-tmp`, // pid 0 is no process of ours (process.kill(0) would signal our group)
    ];
    for (const name of keep) writeFileSync(join(dir, name), 'x');

    saveHere();
    expect(validate(target).fmtMajor).toBe(2);
    expect(temps()).toEqual([...keep].sort());
  });

  it('sweepStaleTempFiles on a folder that cannot be read removes nothing and does not throw', () => {
    expect(sweepStaleTempFiles(join(dir, 'missing', 'vm.sav'))).toEqual([]);
  });
});
