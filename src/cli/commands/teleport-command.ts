/**
 * `vmm-actors teleport listen|send`: one VM leaves one engine and arrives in another over TCP.
 *   listen --port N --password P [--host H] [--cpus N] [--ram-mib N] [--run-ms N]
 *     prints "listening on H:N", waits for one teleport, resumes the arrived VM, lets it run, powers it off.
 *   send --port N --password P [--host H] [--cpus N] [--ram-mib N] [--dirty-mibps N] [--run-ms N]
 *     runs a VM with the demo guest for a while, teleports it live, destroys what is left of it.
 * Both print one line per step and exit 1 with the VBox status on failure. Real clock (the peer is real).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { demoGuest } from '../../guest/demo-guest.js';
import { isVBoxError, statusName } from '../../status.js';
import { createVMM } from '../../vmm/vmm.js';
import { parseInteger } from './options.js';

const MiB = 1024 * 1024;

interface CommonOptions {
  port: number;
  password: string;
  host: string;
  cpus: number;
  ramMib: number;
  runMs: number;
}

const fail = (error: unknown, out: (line: string) => void): number => {
  out(isVBoxError(error) ? `teleport failed: ${error.name} (${error.rc}): ${error.message}` : `teleport failed: ${String(error)}`);
  return 1;
};

export async function runTeleportListen(options: CommonOptions, out: (line: string) => void = console.log): Promise<number> {
  const vmm = createVMM({ clock: 'real', hooks: demoGuest() });
  try {
    const vm = await vmm.listenForTeleport({
      port: options.port, password: options.password, host: options.host, cpus: options.cpus,
      config: { NumCPUs: options.cpus, Name: 'teleport-target' }, ram: { sizeBytes: options.ramMib * MiB },
      onListening: ({ host, port }) => out(`listening on ${host}:${port}`),
    });
    out(`arrived: ${vm.state}, teleported and not fully resumed: ${vm.teleportedAndNotFullyResumedYet}, RAM crc32 ${vm.ram.digest().toString(16)}`);
    await vm.resume();
    out(`resumed: ${vm.state}`);
    await vmm.advance(options.runMs * 1e6);
    await vm.powerOff();
    await vm.destroy();
    out(`done: ${vm.state}`);
    return 0;
  } catch (error) {
    return fail(error, out);
  } finally {
    vmm.dispose();
  }
}

export async function runTeleportSend(options: CommonOptions & { dirtyMibps: number }, out: (line: string) => void = console.log): Promise<number> {
  const vmm = createVMM({ clock: 'real', hooks: demoGuest() });
  try {
    const vm = await vmm.create({
      cpus: options.cpus, config: { NumCPUs: options.cpus, Name: 'teleport-source' },
      ram: { sizeBytes: options.ramMib * MiB, prefill: true, dirtyBytesPerSec: options.dirtyMibps * MiB },
    });
    await vm.powerOn();
    await vmm.advance(options.runMs * 1e6);
    out(`sending ${options.ramMib} MiB of guest RAM to ${options.host}:${options.port}`);
    const result = await vm.teleport({ host: options.host, port: options.port, password: options.password });
    out(`sent: ${statusName(result.rc)}, ${result.passes} passes, ${result.bytes} stream bytes, downtime ${((result.downtimeNs ?? 0) / 1e6).toFixed(3)} ms, RAM crc32 ${vm.ram.digest().toString(16)}`);
    out(`source: ${vm.state}`);
    await vm.powerOff();
    await vm.destroy();
    return 0;
  } catch (error) {
    return fail(error, out);
  } finally {
    vmm.dispose();
  }
}

const positive = (value: string): number => {
  const n = parseInteger(value);
  if (n < 1) throw new InvalidArgumentError(`'${value}' must be at least 1`);
  return n;
};

export function registerTeleport(program: Command): void {
  const teleport = program.command('teleport').description('move a running VM between engines over TCP');
  const common = (command: Command) =>
    command
      .requiredOption('--port <n>', 'TCP port (listen: 0 picks one)', parseInteger)
      .requiredOption('--password <text>', 'shared password, checked before any state flows')
      .option('--host <address>', 'address to listen on / connect to', '127.0.0.1')
      .option('--cpus <n>', 'vCPUs (both ends must agree)', positive, 2)
      .option('--ram-mib <n>', 'guest RAM in MiB (both ends must agree)', positive, 4)
      .option('--run-ms <n>', 'how long the VM runs before sending / after arriving (ms)', parseInteger, 50);
  common(teleport.command('listen').description('wait for one teleport, resume the VM that arrives'))
    .action(async (opts: CommonOptions) => {
      process.exitCode = await runTeleportListen(opts);
    });
  common(teleport.command('send').description('run a VM and teleport it to a listener'))
    .option('--dirty-mibps <n>', 'how fast the guest dirties its RAM (MiB/s)', parseInteger, 8)
    .action(async (opts: CommonOptions & { dirtyMibps: number }) => {
      process.exitCode = await runTeleportSend(opts);
    });
}
