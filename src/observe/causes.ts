/**
 * Why each state change happened, in the log's words: the context lines between the previous change and this
 * one (a pause reason, a save target, an ACPI reset, a guest power-off request …) or, for a Guru Meditation,
 * the block VirtualBox writes right after the change.
 */
import type { AnnotationKind } from './log-lines.js';
import type { LogAnnotation, LogStateChange, ObservedLog } from './parser.js';

type Pick = { kinds: AnnotationKind[]; text: (a: LogAnnotation) => string; after?: boolean; otherwise?: string };

/** By target state (and source where it matters): which lines explain it, in order of preference. */
function ruleFor(c: LogStateChange): Pick | undefined {
  switch (c.to) {
    case 'SUSPENDING':
    case 'SUSPENDING_EXT_LS':
      return {
        kinds: ['runtime-error', 'pause', 'save-begin'],
        text: (a) => (a.kind === 'runtime-error' ? `runtime error '${a.detail}'` : a.kind === 'pause' ? `pause, reason '${a.detail}'` : `save, reason '${a.detail}'`),
      };
    case 'RESUMING':
      return { kinds: ['resume'], text: (a) => `resume, reason '${a.detail}'` };
    case 'SAVING':
      return { kinds: ['save-begin'], text: (a) => `save, reason '${a.detail}'`, otherwise: 'save' };
    case 'LOADING':
      return { kinds: ['restore'], text: () => 'restore from saved state', after: true, otherwise: 'restore from saved state' };
    case 'RESETTING':
    case 'SOFT_RESETTING':
      return { kinds: ['reset'], text: (a) => (a.detail.startsWith('ACPI') ? 'reset by ACPI' : `reset by guest: ${a.detail}`), otherwise: 'reset (no cause logged: a user reset, or the guest through a device)' };
    case 'GURU_MEDITATION':
    case 'GURU_MEDITATION_LS':
      return { kinds: ['guru'], text: (a) => `guru meditation ${a.detail}`, after: true, otherwise: 'guru meditation' };
    case 'FATAL_ERROR':
    case 'FATAL_ERROR_LS':
      return { kinds: ['runtime-error'], text: (a) => `fatal runtime error '${a.detail}'` };
    case 'POWERING_OFF':
    case 'POWERING_OFF_LS':
      return {
        kinds: ['guest-power-off', 'acpi-s5', 'user-power-off', 'power-down'],
        text: (a) =>
          a.kind === 'guest-power-off' ? 'guest requested power off'
          : a.kind === 'acpi-s5' ? 'guest power off (ACPI S5)'
          : a.kind === 'user-power-off' ? `user power off (${a.detail.replace(/^GUI: /, '')})` : 'power off (Console::powerDown)',
      };
    default:
      if (c.from === 'SAVING') {
        return { kinds: ['saved', 'save-failed'], text: (a) => (a.kind === 'saved' ? `saved to '${a.detail}'` : `save failed (${a.detail})`) };
      }
      return undefined;
  }
}

/** Fill in `cause` and `by` on every change of the log. */
export function attachCauses(log: ObservedLog): void {
  const { changes, annotations } = log;
  let a = 0;
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const prevLine = i > 0 ? changes[i - 1]!.line : 0;
    const nextLine = i + 1 < changes.length ? changes[i + 1]!.line : Infinity;
    while (a < annotations.length && annotations[a]!.line <= prevLine) a++;
    const rule = ruleFor(c);
    if (!rule) continue;
    const before: LogAnnotation[] = [];
    const after: LogAnnotation[] = [];
    for (let j = a; j < annotations.length && annotations[j]!.line < nextLine; j++) {
      (annotations[j]!.line < c.line ? before : after).push(annotations[j]!);
    }
    const pool = rule.after ? [...after, ...before] : before;
    const found = rule.kinds.map((k) => pool.find((x) => x.kind === k)).find((x) => x !== undefined);
    if (found) {
      c.cause = rule.text(found);
      c.by = found;
    } else if (rule.otherwise) c.cause = rule.otherwise;
  }
}
