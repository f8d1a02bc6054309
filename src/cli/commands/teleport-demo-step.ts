/**
 * The saved-state step of `vmm-actors demo`: save the running VM live into a temp file, restore the file into a
 * fresh VM, resume that one and compare the RAM — what a teleport does, through a file. Prints three lines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestRamOptions } from '../../ssm/live/guest-ram.js';
import type { VM } from '../../api/vm.js';
import type { Vmm } from '../../api/vmm.js';
import { vmLabel } from './demo.js';

/** The demo VM's RAM: 4 MiB, every page written, the guest dirtying 16 MiB/s while it runs. */
export const DEMO_RAM: GuestRamOptions = { sizeBytes: 4 * 1024 * 1024, prefill: true, dirtyBytesPerSec: 16 * 1024 * 1024 };

export async function runSaveRestoreStep(vmm: Vmm, vm: VM, out: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vmm-actors-demo-'));
  try {
    const path = join(dir, 'demo.sav');
    const saved = await vm.save(path, { bandwidthBytesPerSec: 64 * 1024 * 1024 });
    const downtimeMs = (saved.downtimeNs ?? 0) / 1e6;
    out(`    saved live: ${saved.passes} passes, ${(saved.bytes / 1024).toFixed(0)} KiB, downtime ${downtimeMs.toFixed(3)} ms of 250 ms`);
    const copy = await vmm.create({ cpus: vm.cpus, config: { NumCPUs: vm.cpus, Name: 'restored' }, ram: { sizeBytes: vm.ram.sizeBytes } });
    await copy.loadFromFile(path);
    const same = copy.ram.digest() === vm.ram.digest();
    await copy.resume();
    out(`    ${vmLabel(copy)} loaded from the file (${same ? 'RAM identical' : 'RAM DIFFERS'}) and resumed: ${copy.state}`);
    await copy.powerOff();
    await copy.destroy();
    out(`    ${vmLabel(copy)} ${copy.state}; ${vmLabel(vm)} stays ${vm.state}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
