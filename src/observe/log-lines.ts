/**
 * The VirtualBox release-log lines `observe` reads (docs/observe.md lists them with examples). Each pattern is
 * matched against the message after the `HH:MM:SS.uuuuuu ` timestamp (`HH:MM:SS.mmm ` up to 4.1); the
 * state-change one anywhere in the line, because from 7.2 the NAT code can glue it onto the previous message.
 */

/** Elapsed time since the logger started; hours go past 24. Microseconds from 4.2 on, milliseconds in 3.1–4.1. */
export const TIMESTAMP = /^(\d{2,}):(\d{2}):(\d{2})\.(\d{6}|\d{3}) /;
/** With the glued-on line's own timestamp in front of it when there is one (`…NAT: foo00:00:11.528235 Changing …`). */
export const STATE_CHANGE = /(?:(\d{2,}):(\d{2}):(\d{2})\.(\d{6}|\d{3}) )?Changing the VM state from '([A-Z_0-9]+)' to '([A-Z_0-9]+)'/;
/** `VirtualBox VM 7.2.4 r170995 win.amd64 (…) release log`; before 4.0 `VirtualBox 3.1.6 r59338 …`. */
export const VERSION = /VirtualBox(?: VM)? (\d+)\.(\d+)\.(\d+)\S* r(\d+) (\S+) \(.*\) release log/;
export const LOG_OPENED = /^Log opened (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/;
export const OS_PRODUCT = /^OS Product: (.+)$/;
/** The CFGM dump's root NumCPUs (the first one is the VM's). */
export const NUM_CPUS = /^\s+NumCPUs\s+<integer> = 0x[0-9a-fA-F]+ \((\d+)\)/;
/** `VMEmt: Halt method global1 (5)`; 4.2 says `VM: Halt method`. */
export const HALT_METHOD = /^(?:VMEmt|VM): Halt method (\S+) \((\d+)\)/;
/** The guest's own log relayed by VMMDev (before 4.3 without the `VMMDev: ` prefix): its timestamps and even its
 * "Log opened" are not the VM's. */
export const GUEST_LOG = /^(?:VMMDev: )?Guest Log:/;

/** Context lines: the cause of a state change, in the words of the log. */
export const ANNOTATIONS: readonly { kind: AnnotationKind; re: RegExp }[] = [
  { kind: 'pause', re: /^Pausing VM execution, reason '([^']*)'/ },
  { kind: 'resume', re: /^Resuming VM execution, reason '([^']*)'/ },
  { kind: 'save-begin', re: /^Saving state of VM, reason '([^']*)'/ },
  { kind: 'saved', re: /^SSM: Successfully saved the VM state to '(.*)'/ },
  { kind: 'save-failed', re: /^SSM: .*(?:fail|Failed).*?\b(VERR_[A-Z0-9_]+|rc=-?\d+)/ },
  { kind: 'restore', re: /^SSM: File header: (.*)/ },
  { kind: 'reset', re: /^ACPI: Reset initiated by ACPI/ },
  { kind: 'reset', re: /^(?:VMMDev|PDM|EM|GIM|VMM): .*(?:[Gg]uest requested|triple fault).*reset/ },
  { kind: 'acpi-s5', re: /^ACPI: Entering S5/ },
  { kind: 'guest-power-off', re: /^Guest requests the VM to be turned off/ },
  { kind: 'power-down', re: /^Console::powerDown\(\)/ },
  { kind: 'user-power-off', re: /^GUI: (?:User requested to power VM off.*|Powering VM off.*)/ },
  { kind: 'runtime-error', re: /^VM: Raising runtime error '([^']+)'(?: \(fFlags=(0x[0-9a-fA-F]+)\))?/ },
  { kind: 'guru', re: /Guru Meditation (-?\d+ \([A-Z0-9_]+\))/ },
  { kind: 'console', re: /^Console: Machine state changed to '([^']+)'/ },
  { kind: 'set-error', re: /^VMSetError: (.*)/ },
  { kind: 'power-up-failed', re: /^Power up failed \((.*)\)/ },
];

export type AnnotationKind =
  | 'pause' | 'resume' | 'save-begin' | 'saved' | 'save-failed' | 'restore' | 'reset' | 'acpi-s5' | 'guest-power-off'
  | 'power-down' | 'user-power-off' | 'runtime-error' | 'guru' | 'console' | 'set-error' | 'power-up-failed';

/** Every pattern starts with one of these words (a cheap pre-filter before the regexes, for 100 MB logs). */
export const ANNOTATION_PREFIXES = ['Pausing', 'Resuming', 'Saving', 'SSM: ', 'ACPI: ', 'VMMDev', 'PDM', 'EM', 'GIM', 'VMM', 'Guest requests', 'Console', 'GUI: ', 'VM: ', '!!', 'VMSetError', 'Power up failed'];

/** Nanoseconds of an `HH:MM:SS.uuuuuu` (or `HH:MM:SS.mmm`) match. */
export function timestampNs(m: RegExpExecArray): number {
  const fraction = m[4]!;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e9 + Number(fraction) * (fraction.length === 3 ? 1e6 : 1e3);
}

/** `HH:MM:SS.mmm` for printing. */
export function formatElapsed(tNs: number): string {
  const us = Math.round(tNs / 1e3);
  const s = Math.floor(us / 1e6);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${String(us % 1e6).padStart(6, '0')}`;
}
