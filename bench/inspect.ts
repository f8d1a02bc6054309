/**
 * What inspection costs: the same deterministic workload (a 4-vCPU VM powered on, run 20 ms of guest time,
 * suspended, resumed, reset, powered off, destroyed — repeated) without an inspector and with each kind of
 * inspector attached: a no-op record sink, an XState-shaped function, both protocols at once, the trace
 * recorder in memory, and the Stately wire form serialized as `--inspect-ws` sends it. Prints scheduler steps
 * per second, records per second and the slowdown against no inspector.
 *
 * Run: npx tsx bench/inspect.ts [rounds]
 */
import { pathToFileURL } from 'node:url';
import { createVMM } from '../src/index.js';
import { demoGuest } from '../src/guest/demo-guest.js';
import type { InspectorInput } from '../src/inspect/inspector.js';
import { TraceRecorder } from '../src/inspect/recorder.js';
import { toStatelyWire } from '../src/inspect/stately-wire.js';

export interface InspectBenchRow {
  label: string;
  steps: number;
  records: number;
  seconds: number;
  stepsPerSec: number;
}

const nowNs = () => process.hrtime.bigint();

async function workload(rounds: number, inspect: InspectorInput | undefined): Promise<number> {
  const vmm = createVMM({ seed: 1, hooks: demoGuest(), ...(inspect ? { inspect } : {}) });
  for (let i = 0; i < rounds; i++) {
    const vm = await vmm.create({ cpus: 4 });
    await vm.powerOn();
    await vmm.advance(20_000_000);
    await vm.suspend();
    await vm.resume();
    await vm.reset();
    await vm.powerOff();
    await vm.destroy();
  }
  const steps = vmm.sched.choices.length;
  vmm.dispose();
  return steps;
}

type Variant = [label: string, make: () => { inspect: InspectorInput | undefined; count: () => number }];

/** Best of `repeats` runs per variant, variants interleaved so JIT warm-up and host load hit them alike. */
async function measureAll(rounds: number, repeats: number, variants: Variant[]): Promise<InspectBenchRow[]> {
  for (const [, make] of variants) await workload(2, make().inspect); // warm up every path first
  const best = new Map<string, InspectBenchRow>();
  for (let r = 0; r < repeats; r++) {
    for (const [label, make] of variants) {
      const { inspect, count } = make();
      const start = nowNs();
      const steps = await workload(rounds, inspect);
      const seconds = Number(nowNs() - start) / 1e9;
      const row = { label, steps, records: count(), seconds, stepsPerSec: steps / seconds };
      if (!best.has(label) || best.get(label)!.seconds > seconds) best.set(label, row);
    }
  }
  return variants.map(([label]) => best.get(label)!);
}

export async function main(rounds = 20, repeats = 3): Promise<InspectBenchRow[]> {
  const counting = (protocol: 'v5' | 'v6' = 'v5') => {
    let n = 0;
    return { sink: { protocol, record: () => void n++ }, count: () => n };
  };
  const rows = await measureAll(rounds, repeats, [
    ['no inspector', () => ({ inspect: undefined, count: () => 0 })],
    ['no-op record sink (v5)', () => {
      const c = counting();
      return { inspect: c.sink, count: c.count };
    }],
    ['XState-shaped function (v5)', () => {
      let n = 0;
      return { inspect: () => void n++, count: () => n };
    }],
    ['v5 + v6 sinks', () => {
      const a = counting('v5');
      const b = counting('v6');
      return { inspect: [a.sink, b.sink], count: () => a.count() + b.count() };
    }],
    ['trace recorder (memory)', () => {
      const recorder = new TraceRecorder({ source: 'bench', setup: {} });
      return { inspect: recorder, count: () => recorder.count };
    }],
    ['Stately wire JSON (--inspect-ws)', () => {
      let n = 0;
      const lengths: number[] = [];
      return { inspect: { record: (r) => (lengths.push(JSON.stringify(toStatelyWire(r)).length), n++) }, count: () => n };
    }],
  ]);
  const base = rows[0]!.stepsPerSec;
  console.log(`inspection cost, ${rounds} rounds of a 4-vCPU lifecycle, best of ${repeats} (Node ${process.version})`);
  for (const row of rows) {
    console.log(
      `  ${row.label.padEnd(34)} ${row.stepsPerSec.toFixed(0).padStart(9)} steps/s  ${String(row.steps).padStart(7)} steps  ` +
        `${(row.records / row.seconds).toFixed(0).padStart(9)} records/s  x${(base / row.stepsPerSec).toFixed(2)} time`,
    );
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv[2] ? Number(process.argv[2]) : undefined);
}
