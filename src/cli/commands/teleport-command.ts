/**
 * `vmm-actors teleport listen|send`: one VM leaves one engine and arrives in another over TCP (TLS-PSK).
 *   listen --port N [--password-file F] [--host H] [--cpus N] [--ram-mib N] [--run-ms N] [--handshake-timeout-ms N]
 *     prints "listening on H:N" and one "refused …" line per refused attempt, waits for one teleport, resumes the
 *     arrived VM, lets it run, powers it off.
 *   send --port N [--password-file F] [--host H] [--cpus N] [--ram-mib N] [--dirty-mibps N] [--run-ms N]
 *     runs a VM with the demo guest for a while, teleports it live, destroys what is left of it.
 * The password comes from --password-file (first line) or VMM_TELEPORT_PASSWORD, never from argv (visible in
 * ps). --insecure-plain drops TLS on both ends (password and RAM in clear). Both print one line per step and exit
 * 1 with the VBox status on failure. Real clock (the peer is real).
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { demoGuest } from '../../guest/demo-guest.js';
import { isVBoxError, statusName, VBoxError, VERR_INVALID_PARAMETER } from '../../status.js';
import type { TeleportRefusal } from '../../teleport/admission.js';
import { createVMM } from '../../api/vmm.js';
import { parseInteger } from './options.js';

const MiB = 1024 * 1024;

/** The environment variable the CLI reads the password from when no --password-file is given. */
export const TELEPORT_PASSWORD_ENV = 'VMM_TELEPORT_PASSWORD';

interface CommonOptions {
  port: number;
  password: string;
  host: string;
  cpus: number;
  ramMib: number;
  runMs: number;
  insecurePlain?: boolean;
  handshakeTimeoutMs?: number;
}

interface CliOptions extends Omit<CommonOptions, 'password'> {
  passwordFile?: string;
}

/** --password-file (its first line) or VMM_TELEPORT_PASSWORD; one of them must be there. */
export function passwordOf(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new VBoxError(VERR_INVALID_PARAMETER, `teleport: cannot read the password file '${file}': ${(error as Error).message}`);
    }
    return text.split(/\r?\n/)[0]!;
  }
  const fromEnv = env[TELEPORT_PASSWORD_ENV];
  if (fromEnv === undefined) throw new VBoxError(VERR_INVALID_PARAMETER, `teleport: give the password with --password-file or ${TELEPORT_PASSWORD_ENV}`);
  return fromEnv;
}

/** The log line of one refused attempt. */
export const refusalLine = (r: TeleportRefusal): string =>
  `refused ${r.peer}: ${r.reason} (${statusName(r.rc)})${r.failures > 0 ? `, ${r.failures} failed password(s), next attempt from it waits ${r.backoffMs} ms` : ''}`;

const security = (options: CommonOptions) => (options.insecurePlain ? { insecure: 'plain' as const } : {});

const fail = (error: unknown, out: (line: string) => void): number => {
  out(isVBoxError(error) ? `teleport failed: ${error.name} (${error.rc}): ${error.message}` : `teleport failed: ${String(error)}`);
  return 1;
};

export async function runTeleportListen(options: CommonOptions, out: (line: string) => void = console.log): Promise<number> {
  const vmm = createVMM({ clock: 'real', hooks: demoGuest() });
  try {
    const vm = await vmm.listenForTeleport({
      port: options.port, password: options.password, host: options.host, cpus: options.cpus, ...security(options),
      ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
      config: { NumCPUs: options.cpus, Name: 'teleport-target' }, ram: { sizeBytes: options.ramMib * MiB },
      onListening: ({ host, port }) => out(`listening on ${host}:${port}`),
      onRefused: (refusal) => out(refusalLine(refusal)),
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
    const result = await vm.teleport({ host: options.host, port: options.port, password: options.password, ...security(options) });
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
  const teleport = program.command('teleport').description('move a running VM between engines over TCP (TLS-PSK)');
  const common = (command: Command) =>
    command
      .requiredOption('--port <n>', 'TCP port (listen: 0 picks one)', parseInteger)
      .option('--password-file <path>', `file whose first line is the shared password (else $${TELEPORT_PASSWORD_ENV})`)
      .option('--host <address>', 'address to listen on / connect to', '127.0.0.1')
      .option('--cpus <n>', 'vCPUs (both ends must agree)', positive, 2)
      .option('--ram-mib <n>', 'guest RAM in MiB (both ends must agree)', positive, 4)
      .option('--run-ms <n>', 'how long the VM runs before sending / after arriving (ms)', parseInteger, 50)
      .option('--insecure-plain', 'no TLS: the password and the guest RAM cross the network in clear (both ends)');
  const withPassword = (opts: CliOptions, run: (options: CommonOptions) => Promise<number>) => {
    let password: string;
    try {
      password = passwordOf(opts.passwordFile);
    } catch (error) {
      console.log(`teleport failed: ${(error as Error).message}`);
      return Promise.resolve(2);
    }
    return run({ ...opts, password });
  };
  common(teleport.command('listen').description('wait for one teleport, resume the VM that arrives'))
    .option('--handshake-timeout-ms <n>', 'deadline for a whole handshake (ms)', positive, 10_000)
    .action(async (opts: CliOptions) => {
      process.exitCode = await withPassword(opts, (options) => runTeleportListen(options));
    });
  common(teleport.command('send').description('run a VM and teleport it to a listener'))
    .option('--dirty-mibps <n>', 'how fast the guest dirties its RAM (MiB/s)', parseInteger, 8)
    .action(async (opts: CliOptions & { dirtyMibps: number }) => {
      process.exitCode = await withPassword(opts, (options) => runTeleportSend({ ...options, dirtyMibps: opts.dirtyMibps }));
    });
}
