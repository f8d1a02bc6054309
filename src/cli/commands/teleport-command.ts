/**
 * `vmm-actors teleport listen|send`: one VM leaves one engine and arrives in another over TCP (TLS-PSK).
 *   listen --port N [--password-file F] [--host H] [--cpus N] [--ram-mib N] [--run-ms N] [--handshake-timeout-ms N]
 *     prints "listening on H:N" and one "refused …" line per refused attempt, waits for one teleport, resumes the
 *     arrived VM, lets it run, powers it off.
 *   send --port N [--password-file F] [--host H] [--cpus N] [--ram-mib N] [--dirty-mibps N] [--run-ms N]
 *     runs a VM with the demo guest for a while, teleports it live, destroys what is left of it.
 * The password comes from --password-file (first line) or VMM_TELEPORT_PASSWORD, never from argv (visible in
 * ps). --insecure-plain drops TLS on both ends (password and RAM in clear). Both print one line per step; a failure
 * is one line on stderr with the shared exit code (src/cli/exit-code.ts): 1 a VBox status, 2 bad input (no
 * password, a port out of range). Real clock (the peer is real).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { demoGuest } from '../../guest/demo-guest.js';
import { statusName, VBoxError, VERR_INVALID_PARAMETER } from '../../status.js';
import type { TeleportRefusal } from '../../teleport/admission.js';
import { createVMM } from '../../api/vmm.js';
import { parseInteger } from './options.js';
import { CliError, ExitCode, reportError } from '../exit-code.js';
import { readInputFile } from '../input-file.js';

const MiB = 1024 * 1024;
/** A password file holds one line; anything bigger is not one. */
const PASSWORD_FILE_MAX_BYTES = 64 * 1024;

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
      text = readInputFile(file, 'password file', PASSWORD_FILE_MAX_BYTES);
    } catch (error) {
      throw new VBoxError(VERR_INVALID_PARAMETER, `teleport: ${(error as Error).message}`);
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

/** A failed teleport: one line (stderr by default) and its exit code, as every command reports an error. */
const fail = (error: unknown, err: (line: string) => void): ExitCode => reportError(error, (line) => err(`teleport failed: ${line}`));

export async function runTeleportListen(options: CommonOptions, out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<ExitCode> {
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
    return ExitCode.Ok;
  } catch (error) {
    return fail(error, err);
  } finally {
    vmm.dispose();
  }
}

export async function runTeleportSend(
  options: CommonOptions & { dirtyMibps: number }, out: (line: string) => void = console.log, err: (line: string) => void = console.error,
): Promise<ExitCode> {
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
    return ExitCode.Ok;
  } catch (error) {
    return fail(error, err);
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
  const withPassword = (opts: CliOptions, run: (options: CommonOptions) => Promise<ExitCode>) => {
    let password: string;
    try {
      password = passwordOf(opts.passwordFile);
    } catch (error) {
      throw new CliError((error as Error).message); // one line naming the file, exit 2
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
