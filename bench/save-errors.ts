/**
 * Time to a file error of vm.save: a live save of a 16 MiB VM (real clock, demo guest dirtying 8 MiB/s) into a
 * directory and into a folder that does not exist, and a plain save's result figures (bytes). Usage:
 * `npx tsx bench/save-errors.ts`. Figures: wall ms until the save rejects, the status and the message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVMM, demoGuest, VBoxError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-save-errors-'));
const vmm = createVMM({ clock: 'real', hooks: demoGuest() });
try {
  for (const [name, target] of [['a directory', dir], ['a missing folder', join(dir, 'nope', 'x.sav')]] as const) {
    const vm = await vmm.create({ cpus: 2, ram: { sizeBytes: 16 * 1024 * 1024, prefill: true, dirtyBytesPerSec: 8 * 1024 * 1024 } });
    await vm.powerOn();
    const t0 = performance.now();
    try {
      await vm.save(target);
      console.log(`${name}: saved?!`);
    } catch (e) {
      const err = e as VBoxError;
      console.log(`${name}: ${(performance.now() - t0).toFixed(1)} ms to ${err.name} (${err.rc}): ${err.message}; VM ${vm.state}`);
    }
    await vm.powerOff();
    await vm.destroy();
  }
  const vm = await vmm.create({ cpus: 2, ram: { sizeBytes: 16 * 1024 * 1024, prefill: true } });
  await vm.powerOn();
  await vm.suspend();
  const result = await vm.save(join(dir, 'plain.sav'));
  console.log(`plain save of 16 MiB: result.bytes = ${result.bytes}`);
} finally {
  vmm.dispose();
  rmSync(dir, { recursive: true, force: true });
}
