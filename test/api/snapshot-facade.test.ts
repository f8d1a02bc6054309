/**
 * The facade's part of "state is data" (issue 12 item 3) and the README's "Snapshot and restore" example.
 *
 * Goal: what the API layer keeps between steps is data — the Vmm's and VM's host attachments (options with the
 * embedder's hooks, system.get, the streams' subjects, the listener the facade puts on its VM, the end-of-life
 * callback) are transient or code-table functions, so the closure census finds none of them; the README example
 * runs as printed and prints the restored engine's transitions through the restored, named callback.
 * Method: src/persist/walk.ts's census over a live engine (every closure reachable, with its path); the README's
 * TypeScript block in a child process with the package name pointed at src/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { census } from '../../src/persist/walk.js';
import { engine } from './snapshot-support.js';

/** Census paths the API layer owns: the Vmm's own fields, a VM facade's, the VM core's onEnd. */
const API_PATH = /^(<save>)?\.(options|hostOptions|system|functions|calls|lifeEvents|restoredCall)|^(<save>)?\.vms\[\d+\]\.(events|listener|parts|snapshot)|\.core\.onEnd/;

describe('the API layer between steps', () => {
  it('holds no closure: hooks and components given, a VM created, subscribed and powered on', async () => {
    const vmm = engine({ seed: 3, hooks: { onEmtExit: () => {} }, components: { pdmPowerOn: () => {} } });
    const vm = await vmm.create({ cpus: 2 });
    vm.state$.subscribe(() => {});
    vm.subscribe(() => {});
    vmm.system.get('vm.1/emt.0')!.getSnapshot();
    await vm.powerOn();
    const { closures } = census(vmm, (fn) => vmm.functions.nameOf(fn));
    expect(closures.filter((path) => API_PATH.test(path))).toEqual([]);
    // The core's listeners are transient (the facade puts itself back on a restore); it is told of the end itself.
    expect(vm.core.onEnd).toBe(vm);
  });
});

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'snapshot-readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README "Snapshot and restore"', () => {
  it('runs as printed: the restored engine suspends the VM and its restored callback logs the transitions', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Snapshot and restore\n'));
    const code = /\n```ts\n([\s\S]*?)\n```\n/.exec(section)?.[1] ?? '';
    expect(code.split('\n').length).toBeLessThanOrEqual(12); // "ten lines" and the import
    const file = join(scratch, 'snapshot.mts');
    writeFileSync(file, code.replace("from 'vmm-actors'", `from ${JSON.stringify(pathToFileURL(join(root, 'src/index.ts')).href)}`));
    const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    const r = spawnSync(process.execPath, ['--import', tsx, file], { cwd: scratch, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // Before the snapshot the original's callback logs powerOn; after it the restored one logs the suspend (VM.cpp's order).
    expect(r.stdout.trim().split('\n')).toEqual(['CREATED -> POWERING_ON', 'POWERING_ON -> RUNNING', 'RUNNING -> SUSPENDING', 'SUSPENDING -> SUSPENDED']);
  });
});
