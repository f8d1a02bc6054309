/**
 * The teleport conversation both ends share (in the spirit of ConsoleImplTeleporter.cpp, our own wire). By
 * default it runs inside TLS-PSK (secure.ts), whose handshake already proved the password on both sides:
 *
 *   target: "VirtualBox-Teleporter-1.0"        source: "load cpus=<n>"
 *   target: "ACK" (the VM is LOADING)          source: stream frames …, end frame (or cancel frame)
 *   target: "ACK" (loaded) | "NACK=…"          source: "done"
 *   target: "ACK"                              both close
 *
 * In plain mode (insecure: 'plain') the source first sends the password line and the target answers "ACK" or
 * "NACK=<rc>;<message>". "load" without cpus= is accepted (VirtualBox's command); with it, a vCPU-count mismatch
 * is refused before any state streams. The target NACKs a failed load at once, even mid-stream. Lines are at most
 * TELEPORTER_LINE_MAX bytes; NACK carries a VBox status and a one-line message, raised as a VBoxError.
 */
import { VBoxError, VERR_INVALID_MAGIC, VERR_INVALID_PARAMETER } from '../status.js';
import { TELEPORTER_LINE_MAX, type TeleportChannel } from './channel.js';

export const TELEPORTER_PASSWORD_MAX = 255;
export const TELEPORTER_DEFAULT_HOST = '127.0.0.1';

/** A NACK line for a status and message (newlines folded, length capped). */
export function nackLine(rc: number, message: string): string {
  const text = message.replace(/[\r\n]+/g, ' ').slice(0, TELEPORTER_LINE_MAX - 32);
  return `NACK=${rc};${text}`;
}

/** Read the peer's answer: "ACK" returns, "NACK=rc;message" throws that status, anything else is garbled. */
export async function expectAck(channel: TeleportChannel, phase: string, who: string): Promise<void> {
  const line = await channel.readLine(phase);
  if (line === 'ACK') return;
  const nack = /^NACK=(-?\d+);(.*)$/.exec(line);
  if (nack) {
    const rc = Number(nack[1]);
    throw channel.abort(new VBoxError(rc < 0 ? rc : VERR_INVALID_MAGIC, `${who}: the peer refused ${phase}: ${nack[2]}`));
  }
  throw channel.abort(new VBoxError(VERR_INVALID_MAGIC, `${who}: garbled reply while waiting for ${phase}`));
}

/** Password rules: a string of 1..255 bytes without newlines. */
export function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length === 0 || Buffer.byteLength(password) > TELEPORTER_PASSWORD_MAX || /[\r\n]/.test(password)) {
    throw new VBoxError(VERR_INVALID_PARAMETER, `teleport: the password must be 1..${TELEPORTER_PASSWORD_MAX} bytes without newlines`);
  }
  return password;
}

export function checkPort(port: unknown, allowZero: boolean): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new VBoxError(VERR_INVALID_PARAMETER, `teleport: port must be an integer ${allowZero ? 0 : 1}..65535, got ${String(port)}`);
  }
  return port;
}

export function checkPositive(name: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
    throw new VBoxError(VERR_INVALID_PARAMETER, `teleport: ${name} must be a positive number, got ${String(value)}`);
  }
}

/** The source's "load" line, announcing its vCPU count. */
export const loadCommand = (cpus: number): string => `load cpus=${cpus}`;

/** "load" or "load cpus=<n>"; null for anything else. */
export function parseCommand(line: string): { cpus: number | null } | null {
  const match = /^load(?: cpus=(\d{1,4}))?$/.exec(line);
  return match ? { cpus: match[1] === undefined ? null : Number(match[1]) } : null;
}
