/** Synthetic VBox.log text for the pitfall tests: a real-looking header, then timestamped messages. */

export interface SynthOptions {
  /** The version line (default 7.0.4, with a timestamp as from 6.0 on). */
  versionLine?: string;
  crlf?: boolean;
  cpus?: number;
}

const ts = (ms: number) => {
  const us = Math.round(ms * 1000);
  const s = Math.floor(us / 1e6);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}.${String(us % 1e6).padStart(6, '0')}`;
};

/** The header lines (5 of them) every synthetic log starts with. */
export function header(options: SynthOptions = {}): string[] {
  return [
    options.versionLine ?? `${ts(1)} VirtualBox VM 7.0.4 r154605 linux.amd64 (Nov 16 2022 15:33:13) release log`,
    `${ts(1)} Log opened 2023-06-22T10:59:59.258118800Z`,
    `${ts(2)} OS Product: Linux`,
    `${ts(3)}   NumCPUs           <integer> = 0x${(options.cpus ?? 2).toString(16).padStart(16, '0')} (${options.cpus ?? 2})`,
    `${ts(4)} VMEmt: Halt method global1 (5)`,
  ];
}

/** A state-change line (4.2 adds the trailing dot: `dot`). */
export const change = (ms: number, from: string, to: string, dot = false) => `${ts(ms)} Changing the VM state from '${from}' to '${to}'${dot ? '.' : ''}`;
export const msg = (ms: number, text: string) => `${ts(ms)} ${text}`;

/** from -> to pairs along a path, one line each, 10 ms apart from `startMs`. */
export function path(states: string[], startMs = 100): string[] {
  return states.slice(1).map((to, i) => change(startMs + i * 10, states[i]!, to));
}

export function synth(body: string[], options: SynthOptions = {}): string {
  const lines = [...header(options), ...body];
  return lines.join(options.crlf ? '\r\n' : '\n') + (options.crlf ? '\r\n' : '\n');
}

export const LIFE = ['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING', 'SUSPENDING', 'SUSPENDED', 'RESUMING', 'RUNNING', 'POWERING_OFF', 'OFF', 'DESTROYING', 'TERMINATED'];
