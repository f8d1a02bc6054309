/**
 * The public snapshot API's figures for an idle 4-vCPU VM (powered on, the world quiet): the snapshot's JSON
 * size, and the time of getPersistedSnapshot(), JSON.stringify, JSON.parse and createVMM({ snapshot }) — the
 * round trip an embedder pays — each the median of 50 runs after a warm-up.
 *
 * Run: npx tsx bench/snapshot-api.ts
 */
import { createVMM, type PersistedVmm } from '../src/index.js';

const RUNS = 50;

function medianMs(run: () => void): number {
  for (let i = 0; i < 5; i++) run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

const vmm = createVMM({ seed: 1 });
const vm = await vmm.create({ cpus: 4, config: { NumCPUs: 4 } });
await vm.powerOn();
await vmm.runUntilIdle();

let snapshot!: PersistedVmm;
let text = '';
let parsed!: PersistedVmm;
const rows: [string, string][] = [
  ['getPersistedSnapshot()', `${medianMs(() => (snapshot = vmm.getPersistedSnapshot())).toFixed(3)} ms`],
  ['JSON.stringify', `${medianMs(() => (text = JSON.stringify(snapshot))).toFixed(3)} ms`],
  ['JSON.parse', `${medianMs(() => (parsed = JSON.parse(text) as PersistedVmm)).toFixed(3)} ms`],
  ['createVMM({ snapshot })', `${medianMs(() => createVMM({ snapshot: parsed }).dispose()).toFixed(3)} ms`],
  ['snapshot JSON size', `${Buffer.byteLength(text)} bytes (${snapshot.graph.objects.length} objects)`],
];
vmm.dispose();
console.log('idle 4-vCPU VM, virtual clock (median of 50)');
for (const [name, value] of rows) console.log(`${name.padEnd(26)} ${value}`);
