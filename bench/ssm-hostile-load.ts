/**
 * Hostile saved states (issue 13 items 1 and 4), figures for the note:
 *  1. the work bomb — a 256 MiB VM's plain save whose `pgm` unit repeats one ZERO_RUN over all 64 Ki pages
 *     `repeats` times (LZF-compressed): file size, load time and status;
 *  2. another VM's reqCallWait round trip (wall clock) and the longest event-loop stall while a 256 MiB VM with
 *     every page written loads, on the virtual and the real clock;
 *  3. peak RSS of `ssm info` (a child process) on a file with a sparse 1 GiB hole before its directory.
 *
 * `npx tsx bench/ssm-hostile-load.ts [repeats=1000000]`
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVMM, VBoxError } from '../src/index.js';
import { crc32WithZeroField } from '../src/ssm/crc.js';
import { savedStateOf } from '../src/ssm/vm-units.js';
import { demoGuest } from '../src/guest/demo-guest.js';
import { pgmWriter, unitHeaders, withoutStreamCrc, zeroRuns } from '../test/hostile/ssm-craft.js';

const MiB = 1024 * 1024;
const RAM = 256 * MiB;
const repeats = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'vmm-bench-hostile-'));
const ms = (t0: number): string => `${(performance.now() - t0).toFixed(0)} ms`;

async function savedVm(name: string, prefill: boolean, records?: Parameters<typeof pgmWriter>[1]): Promise<string> {
  const vmm = createVMM({ seed: 1, hooks: demoGuest() });
  const vm = await vmm.create({ cpus: 1, config: { NumCPUs: 1 }, ram: { sizeBytes: RAM, prefill } });
  await vm.powerOn();
  await vm.suspend();
  if (records) savedStateOf(vm.core).registry.find('pgm', 0)!.setCallback('saveExec', pgmWriter(RAM / 4096, records));
  const path = join(dir, name);
  await vm.save(path);
  vmm.dispose();
  return path;
}

async function bomb(): Promise<void> {
  const path = await savedVm('bomb.sav', false, zeroRuns(repeats, 0, RAM / 4096));
  const vmm = createVMM({ seed: 1 });
  const vm = await vmm.create({ cpus: 1, config: { NumCPUs: 1 }, ram: { sizeBytes: RAM } });
  const t0 = performance.now();
  let status: string;
  try {
    status = String(await vm.loadFromFile(path));
  } catch (e) {
    status = e instanceof VBoxError ? e.name : String(e);
  }
  console.log(`work bomb (${repeats} zero runs of 64 Ki pages, ${(statSync(path).size / 1024).toFixed(0)} KiB): load ${ms(t0)} -> ${status}`);
  vmm.dispose();
}

/** Longest gap between two host timer ticks of 1 ms while `work` runs. */
async function withStallMeter<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const tick = setInterval(() => {
    const t = performance.now();
    stallMs = Math.max(stallMs, t - last);
    last = t;
  }, 1);
  try {
    return { result: await work(), stallMs };
  } finally {
    clearInterval(tick);
  }
}

async function otherVmLatency(path: string, clock: 'virtual' | 'real'): Promise<void> {
  const vmm = createVMM(clock === 'real' ? { clock: 'real' } : { seed: 1 });
  const a = await vmm.create({ cpus: 1, config: { NumCPUs: 1 }, ram: { sizeBytes: RAM } });
  const b = await vmm.create({ cpus: 1, config: { NumCPUs: 1 } });
  await b.powerOn();
  const rtts: number[] = [];
  // CPU time between two host turns of the load (wall-clock stalls also count the OS preempting us on a busy host).
  const sched = vmm.sched;
  const hostTurn = sched.hostTurn.bind(sched);
  let cpuMark = process.cpuUsage();
  let sliceCpuMaxMs = 0;
  sched.hostTurn = () => {
    const used = process.cpuUsage(cpuMark);
    sliceCpuMaxMs = Math.max(sliceCpuMaxMs, (used.user + used.system) / 1000);
    cpuMark = process.cpuUsage();
    hostTurn();
  };
  const t0 = performance.now();
  const { result: rc, stallMs } = await withStallMeter(async () => {
    let done = false;
    const load = a.loadFromFile(path).finally(() => (done = true));
    while (!done) {
      const t = performance.now();
      await b.reqCallWait(0, () => {});
      rtts.push(performance.now() - t);
      await new Promise((resolve) => setTimeout(resolve, 1)); // a caller that does something else in between
    }
    return load;
  });
  rtts.sort((x, y) => x - y);
  const q = (p: number) => rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))]!.toFixed(2);
  console.log(`${clock} clock: 256 MiB load ${ms(t0)} rc=${rc}; other VM: ${rtts.length} calls during it, round trip p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms; longest event-loop stall ${stallMs.toFixed(1)} ms, longest slice ${sliceCpuMaxMs.toFixed(1)} ms CPU`);
  vmm.dispose();
}

function sparseInfoRss(): void {
  const src = withoutStreamCrc(readFileSync(join(dir, 'small.sav')));
  const endAt = unitHeaders(src).at(-1)!;
  const head = src.subarray(0, endAt + 44);
  const tail = Buffer.from(src.subarray(endAt + 44));
  const tailAt = head.length + 1024 * MiB;
  const ftr = tail.length - 32;
  tail.writeBigUInt64LE(BigInt(tailAt + ftr), ftr + 8);
  tail.writeUInt32LE(crc32WithZeroField(tail.subarray(ftr), 28), ftr + 28);
  const path = join(dir, 'sparse.sav');
  const fd = openSync(path, 'w');
  writeSync(fd, head, 0, head.length, 0);
  writeSync(fd, tail, 0, tail.length, tailAt);
  closeSync(fd);
  // VmHWM, not getrusage's maxRSS: after fork + exec the latter still counts the parent's pages.
  const code = `import { readFileSync } from 'node:fs';
    import { info } from ${JSON.stringify(new URL('../src/ssm/index.ts', import.meta.url).pathname)};
    const hwm = () => Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    const before = hwm();
    let r = 'ok'; try { info(${JSON.stringify(path)}); } catch (e) { r = e.name + ': ' + e.message; }
    console.log(JSON.stringify({ r, peakRssMiB: hwm(), beforeInfoMiB: before }));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  const out = child.stdout.trim().split('\n').at(-1) ?? child.stderr;
  console.log(`ssm info on a file with a sparse 1 GiB hole (${(statSync(path).size / MiB).toFixed(0)} MiB apparent): ${out}`);
}

try {
  await bomb();
  const full = await savedVm('full.sav', true);
  console.log(`256 MiB VM, every page written: ${(statSync(full).size / MiB).toFixed(0)} MiB file`);
  await otherVmLatency(full, 'virtual');
  await otherVmLatency(full, 'real');
  await savedVm('small.sav', false);
  sparseInfoRss();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
