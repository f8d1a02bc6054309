/**
 * VirtualBox status codes (VINF_* >= 0 informational, VERR_* < 0 failure).
 *
 * The numbers are VirtualBox's real values. They come from
 * /work/shared/reference/vbox-facts.md (sections 6.5, 8.9, 10) and, for the rest,
 * from VirtualBox's include/iprt/err.h and include/VBox/err.h (trunk, 2024).
 * Only the numbers are taken; the messages are our own short wording.
 *
 * EM scheduling statuses use the newer err.h order (SUSPEND 1110, RESET 1111).
 * VINF_EM_RESCHEDULE_HM/RAW/PARAV (1116/1117/1119) are from the err.h revision that
 * vbox-facts.md follows; the newest trunk renamed 1116 to VINF_EM_RESCHEDULE_EXEC_ENGINE
 * and dropped 1117 and 1119.
 *
 * Aliases (two names, one value) are marked ALIAS in STATUS_TABLE; statusInfo() and
 * statusName() give the primary name, statusByName() accepts either.
 */
import { ALIAS, STATUS_TABLE, type StatusInfo } from './status/table.js';
import { VINF_EM_FIRST, VINF_EM_LAST } from './status/codes.js';

export * from './status/codes.js';
export { STATUS_TABLE, type StatusInfo, type StatusRow } from './status/table.js';

const byRc = new Map<number, StatusInfo>();
const byName = new Map<string, StatusInfo>();
for (const [name, rc, message, alias] of STATUS_TABLE) {
  const info: StatusInfo = Object.freeze({ rc, name, message });
  if (byName.has(name)) throw new Error(`status.ts: duplicate status name ${name}`);
  byName.set(name, info);
  if (alias === ALIAS) continue;
  if (byRc.has(rc)) throw new Error(`status.ts: two primary names for rc=${rc}`);
  byRc.set(rc, info);
}

/** The primary entry for a status code, or undefined if unknown. */
export function statusInfo(rc: number): StatusInfo | undefined {
  return byRc.get(rc);
}

/** The primary name of a status code, or `rc=<n>` when unknown. */
export function statusName(rc: number): string {
  return byRc.get(rc)?.name ?? `rc=${rc}`;
}

/** Looks a status up by name (primary or alias). */
export function statusByName(name: string): StatusInfo | undefined {
  return byName.get(name);
}

/** True for success and informational statuses (rc >= 0). */
export const RT_SUCCESS = (rc: number): boolean => rc >= 0;

/** True for failure statuses (rc < 0). */
export const RT_FAILURE = (rc: number): boolean => rc < 0;

/** True for EM scheduling statuses, VINF_EM_FIRST..VINF_EM_LAST inclusive. */
export function isEmStatus(rc: number): boolean {
  return rc >= VINF_EM_FIRST && rc <= VINF_EM_LAST;
}

/** An Error carrying a VirtualBox status code; `name` is the status name. */
export class VBoxError extends Error {
  readonly rc: number;
  override readonly name: string;

  constructor(rc: number, message?: string) {
    const info = byRc.get(rc);
    super(message ?? info?.message ?? `Unknown status code ${rc}.`);
    this.rc = rc;
    this.name = info?.name ?? `rc=${rc}`;
  }

  toJSON(): { rc: number; name: string; message: string } {
    return { rc: this.rc, name: this.name, message: this.message };
  }
}

export function isVBoxError(e: unknown): e is VBoxError {
  return e instanceof VBoxError;
}

export function vboxError(rc: number, message?: string): VBoxError {
  return new VBoxError(rc, message);
}
