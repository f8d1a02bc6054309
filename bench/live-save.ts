/**
 * Live save of 256 MiB of guest RAM while the demo guest dirties it at 0, 10, 50 and 200 MiB/s (and one rate
 * beyond a slower link, to show the give-up), on the virtual clock with the stream fixed at 512 MiB/s: passes, total
 * stream bytes, and the downtime (suspend → end of step 2) against VMR3Save's 250 ms limit. Pages hold
 * incompressible data; LZF is off so the stream bytes are the page bytes the link has to move.
 */
import { demoGuest } from '../src/guest/demo-guest.js';
import { CallbackSink } from '../src/ssm/sinks.js';
import { isVBoxError, statusName } from '../src/status.js';
import { createVMM } from '../src/api/vmm.js';

const MiB = 1024 * 1024;

export interface LiveSaveRow {
  dirtyMiBps: number;
  status: string;
  passes: number;
  streamMiB: number;
  downtimeMs: number | null;
  saveMs: number;
  wallMs: number;
}

export async function main(ramMiB = 256, rates = [0, 10, 50, 200], bandwidthMiBps = 512): Promise<LiveSaveRow[]> {
  const rows = await table(ramMiB, rates, bandwidthMiBps);
  // Beyond the link: every pass finds as much dirty data as the last and the whole RAM takes longer than the
  // downtime budget to move, so the pgm vote gives up (16 MiB over a 32 MiB/s link: the same ratios, less to simulate).
  rows.push(...(await table(16, [64], 32)));
  return rows;
}

async function table(ramMiB: number, rates: number[], bandwidthMiBps: number): Promise<LiveSaveRow[]> {
  const rows: LiveSaveRow[] = [];
  console.log(`live save: ${ramMiB} MiB guest RAM, 2 vCPUs, stream ${bandwidthMiBps} MiB/s (virtual time), max downtime 250 ms`);
  console.log('dirty MiB/s  status                       passes  stream MiB  downtime ms  vs 250 ms  save ms (virtual)  wall ms');
  for (const rate of rates) {
    const vmm = createVMM({ seed: 1, hooks: demoGuest() });
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: ramMiB * MiB, prefill: true, dirtyBytesPerSec: rate * MiB } });
    let passesSeen = 0; // counted by a unit, so a failed save has a figure too
    vm.registerUnit({ name: 'bench-pass-counter', version: 1, liveExec: () => void passesSeen++ });
    await vm.powerOn();
    await vmm.advance(10_000_000);
    let bytes = 0;
    const sink = new CallbackSink((chunk) => void (bytes += chunk.length));
    const wall = performance.now();
    const start = vmm.clock.nowNs();
    let row: LiveSaveRow;
    try {
      const result = await vm.save(sink, { bandwidthBytesPerSec: bandwidthMiBps * MiB, lzf: false });
      row = {
        dirtyMiBps: rate, status: statusName(result.rc), passes: result.passes, streamMiB: bytes / MiB,
        downtimeMs: result.downtimeNs === null ? null : result.downtimeNs / 1e6, saveMs: (vmm.clock.nowNs() - start) / 1e6, wallMs: performance.now() - wall,
      };
    } catch (error) {
      row = {
        dirtyMiBps: rate, status: isVBoxError(error) ? error.name : String(error), passes: passesSeen, streamMiB: bytes / MiB,
        downtimeMs: null, saveMs: (vmm.clock.nowNs() - start) / 1e6, wallMs: performance.now() - wall,
      };
    }
    rows.push(row);
    const downtime = row.downtimeMs === null ? '-' : row.downtimeMs.toFixed(3);
    const verdict = row.downtimeMs === null ? `VM ${vm.state}` : row.downtimeMs <= 250 ? 'within' : 'OVER';
    console.log(
      `${String(rate).padStart(11)}  ${row.status.padEnd(27)}  ${String(row.passes).padStart(6)}  ${row.streamMiB.toFixed(1).padStart(10)}  ${downtime.padStart(11)}  ${verdict.padEnd(9)}  ${row.saveMs.toFixed(1).padStart(17)}  ${row.wallMs.toFixed(0).padStart(7)}`,
    );
    vmm.dispose();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
