/**
 * Teleport between two processes (vbox-facts.md §1.4 VMR3Teleport / VMR3LoadFromStream).
 *
 * Goal: a VM leaves this process and arrives in another one over TCP on 127.0.0.1 with the same RAM, and the
 * target resumes it; nothing but the socket connects the two. The password reaches the CLI through
 * VMM_TELEPORT_PASSWORD (not argv), and the listener prints each refused attempt (issue 13, issue 15 item 7).
 * Method: spawn `node --import tsx src/cli/main.ts teleport listen --port 0` (the CLI), read the port it prints,
 * try a wrong password first, then teleport a running VM of this process to it, then check the child's report
 * and exit code.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERR_AUTHENTICATION_FAILURE, VINF_SUCCESS } from '../../src/index.js';
import { MiB, newVm, realEngine } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('VMR3Teleport to another process', () => {
  it('the VM arrives with its RAM, is resumed there, and the source ends SUSPENDED', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'teleport', 'listen', '--port', '0', '--ram-mib', '1', '--run-ms', '5'], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VMM_TELEPORT_PASSWORD: 'two-proc' },
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', () => {
          const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
          if (match) resolve(Number(match[1]));
        });
        void exited.then(() => reject(new Error(`the listener exited early:\n${output}`)));
      });
      const { vm } = await newVm({ ram: { sizeBytes: MiB, prefill: true, dirtyBytesPerSec: 4 * MiB } }, realEngine());
      await expect(vm.teleport({ port, password: 'not-it' })).rejects.toMatchObject({ rc: VERR_AUTHENTICATION_FAILURE });
      expect(vm.state).toBe('RUNNING');
      const result = await vm.teleport({ port, password: 'two-proc' });
      expect(result.rc).toBe(VINF_SUCCESS);
      expect(vm.state).toBe('SUSPENDED');
      const digest = vm.ram.digest().toString(16);
      expect(await exited).toBe(0);
      expect(output).toContain(`arrived: SUSPENDED, teleported and not fully resumed: true, RAM crc32 ${digest}`);
      expect(output).toContain('resumed: RUNNING');
      expect(output).toContain('done: TERMINATED');
      expect(output).toMatch(/refused 127\.0\.0\.1:\d+: wrong password .*VERR_AUTHENTICATION_FAILURE.*1 failed password/);
      await vm.powerOff();
      await vm.destroy();
    } finally {
      child.kill();
    }
  }, 60_000);
});
