/**
 * Guest pages written in the 20 ms of virtual time after resume(): a powered-on VM against one restored with
 * VMR3LoadFromFile from its save (2 vCPUs, 256 KiB RAM, demo guest dirtying 64 MiB/s). Before the vmm unit
 * (vmmR3Load) the restored VM wrote 0: its vCPUs stayed STOPPED. Usage: `npx tsx bench/restored-vcpus.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVMM, demoGuest, type VM } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-restored-'));
const vmm = createVMM({ seed: 1, hooks: demoGuest() });
const ram = { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 64 * 1024 * 1024 };
const pagesIn20ms = async (vm: VM) => {
  await vm.resume();
  const before = vm.ram.pagesWritten;
  await vmm.advance(20_000_000);
  return vm.ram.pagesWritten - before;
};
try {
  const source = await vmm.create({ cpus: 2, ram });
  await source.powerOn();
  await source.suspend();
  const path = join(dir, 'vm.sav');
  await source.save(path);
  console.log(`powered-on VM: ${await pagesIn20ms(source)} pages in 20 ms`);
  const copy = await vmm.create({ cpus: 2, ram: { ...ram, prefill: false } });
  await copy.loadFromFile(path);
  const states = [0, 1].map((i) => copy.cpu(i).state).join(', ');
  console.log(`restored VM (vCPUs ${states} after the load): ${await pagesIn20ms(copy)} pages in 20 ms`);
} finally {
  vmm.dispose();
  rmSync(dir, { recursive: true, force: true });
}
