/** The README's ten-line embedding example, run by the test suite (test/examples.test.ts). */
import { createVMM, VBoxError } from '../src/index.js';

export async function main(log: (line: string) => void = console.log): Promise<string[]> {
  const seen: string[] = [];
  const vmm = createVMM({ clock: 'real' });
  const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2, Name: 'web-1' } });
  vm.state$.subscribe(({ from, to, by }) => seen.push(`${from} -> ${to} (${by})`));
  await vm.powerOn();
  await vm.reqCallWait(1, (ctx) => void log(`on EMT ${ctx.cpu}`));
  await vm.emtRendezvous({ type: 'descending', stopOnError: true }, ({ cpu }) => void log(`rendezvous on ${cpu}`));
  try {
    await vm.resume();
  } catch (e) {
    if (e instanceof VBoxError) log(`${e.name} ${e.rc}`);
  }
  await vm.powerOff();
  await vm.destroy();
  vmm.dispose();
  for (const line of seen) log(line);
  return seen;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
