/**
 * `observe` on a large VBox.log (issue 14 item 4: a 100 MB log in seconds, bounded memory). Generates a log of
 * the given size from real line shapes — header, CFGM dump, then a long life of device noise, guest log lines
 * and pause/resume cycles, CRLF line ends — streams it through observeFile, and prints the time, the rate and
 * the peak RSS (sampled while it runs) next to the file size.
 *
 * `npx tsx bench/observe-large.ts [MB]` (default 100).
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observeFile } from '../src/observe/index.js';
import { formatElapsed } from '../src/observe/log-lines.js';

const MB = 1024 * 1024;

const ts = (us: number) => formatElapsed(us * 1e3);

/** Writes about `bytes` of log; returns the number of pause/resume cycles in it. */
function generate(file: string, bytes: number): number {
  const fd = openSync(file, 'w');
  let written = 0;
  let t = 2_000_000;
  let batch: string[] = [];
  const line = (text: string) => {
    batch.push(`${ts(t)} ${text}\r\n`);
    t += 137;
  };
  const flush = () => {
    const chunk = batch.join('');
    writeSync(fd, chunk);
    written += Buffer.byteLength(chunk);
    batch = [];
  };
  line('VirtualBox VM 7.0.4 r154605 win.amd64 (Nov 16 2022 15:33:13) release log');
  line('Log opened 2023-06-22T10:59:59.258118800Z');
  line('OS Product: Windows 11');
  line('  NumCPUs           <integer> = 0x0000000000000004 (4)');
  line('VMEmt: Halt method global1 (5)');
  line("Changing the VM state from 'CREATING' to 'CREATED'");
  line("Changing the VM state from 'CREATED' to 'POWERING_ON'");
  line("Changing the VM state from 'POWERING_ON' to 'RUNNING'");
  let cycles = 0;
  while (written < bytes - 4096) {
    for (let i = 0; i < 2000; i++) {
      line(i % 7 === 0 ? `VMMDev: Guest Log: 05:18:39.121182 main     VBoxService heartbeat ${i}` : `E1000#0: Interrupts raised : ${i * 31} (AIOMgr: Endpoint for file 'C:\\VMs\\disk.vdi' flushed)`);
    }
    line("Pausing VM execution, reason 'host suspend'");
    line("Changing the VM state from 'RUNNING' to 'SUSPENDING'");
    line("Changing the VM state from 'SUSPENDING' to 'SUSPENDED'");
    line("Resuming VM execution, reason 'host resume'");
    line("Changing the VM state from 'SUSPENDED' to 'RESUMING'");
    line("Changing the VM state from 'RESUMING' to 'RUNNING'");
    cycles++;
    flush();
  }
  for (const [from, to] of [['RUNNING', 'POWERING_OFF'], ['POWERING_OFF', 'OFF'], ['OFF', 'DESTROYING'], ['DESTROYING', 'TERMINATED']]) {
    line(`Changing the VM state from '${from}' to '${to}'`);
  }
  flush();
  closeSync(fd);
  return cycles;
}

export async function main(mb = 100): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vmm-observe-bench-'));
  try {
    const file = join(dir, 'VBox.log');
    const cycles = generate(file, mb * MB);
    const size = statSync(file).size;
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = performance.now();
    const r = await observeFile(file, { reenact: false });
    const parseMs = performance.now() - t0;
    const t1 = performance.now();
    const re = await observeFile(file);
    const totalMs = performance.now() - t1;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    console.log(`log: ${(size / MB).toFixed(1)} MiB, ${r.lines.toLocaleString('en-US')} lines, ${r.changes.length} state changes (${cycles} pause/resume cycles), ${r.guestLogLines.toLocaleString('en-US')} guest log lines`);
    console.log(`read + parse + conformance: ${(parseMs / 1000).toFixed(2)} s (${(size / MB / (parseMs / 1000)).toFixed(0)} MiB/s), verdict ${r.verdict}`);
    console.log(`with re-enactment (${re.calls.length} calls on the virtual clock, ${re.trace.length.toLocaleString('en-US')} trace records): ${(totalMs / 1000).toFixed(2)} s, ${re.reenact}`);
    console.log(`RSS before ${(rssBefore / MB).toFixed(0)} MiB, peak ${(peak / MB).toFixed(0)} MiB (+${((peak - rssBefore) / MB).toFixed(0)} MiB for a ${(size / MB).toFixed(0)} MiB file)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(Number(process.argv[2] ?? 100));
