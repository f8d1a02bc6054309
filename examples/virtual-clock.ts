/**
 * Embedding on the virtual clock (docs/embedding.md): the deterministic scheduler runs the engine only while you
 * await it, GIP time jumps to the next deadline, and every lifecycle call resolves to a VirtualBox status.
 * Run: `npx tsx examples/virtual-clock.ts`; test/examples.test.ts runs it too.
 */
import { createVMM, demoGuest, statusName, VBoxError } from '../src/index.js';

export async function main(log: (line: string) => void = console.log): Promise<Record<string, number>> {
  const vmm = createVMM({ clock: 'virtual', seed: 42, hooks: demoGuest() }); // 'virtual' is the default
  const ms = () => `${(vmm.clock.nowNs() / 1e6).toFixed(3)} ms`;
  const vm = await vmm.create({ cpus: 2, config: { Name: 'vc-1' } }); // NumCPUs defaults to cpus
  const statuses: Record<string, number> = {};
  for (const call of ['powerOn', 'suspend', 'resume', 'reset', 'powerOff', 'destroy'] as const) {
    const rc = await vm[call](); // awaiting runs the simulation until the call settles
    statuses[call] = rc;
    log(`${call}() -> ${rc} ${statusName(rc)} at ${ms()}, VM ${vm.state}`);
    if (call === 'powerOn' || call === 'resume') {
      await vmm.advance(20_000_000); // let 20 ms of GIP time pass with the guest running
      log(`advance(20 ms) -> ${ms()}`);
    }
  }
  try {
    await vm.powerOn(); // a destroyed VM: the call is refused, nothing changes
  } catch (e) {
    if (e instanceof VBoxError) log(`powerOn() after destroy -> ${e.rc} ${e.name}`);
  }
  await vmm.runUntilIdle(); // run every actor that can still step, without letting time pass
  vmm.dispose(); // timers cleared; the engine is done
  return statuses;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
