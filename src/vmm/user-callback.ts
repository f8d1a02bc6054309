/**
 * Every call into embedder code goes through callUser: request and rendezvous callbacks, at-state / at-error /
 * at-runtime-error callbacks, components, the guest, halt, wait, notify and exit hooks, SSM unit and progress
 * callbacks. VirtualBox's callbacks are C functions that return a status; ours are JavaScript functions that
 * may also throw, return something that is not a status, or return a promise (an EMT step cannot await). None
 * of that may escape into the scheduler, so each becomes a UserCallbackError, a VBoxError with a status:
 *
 *   threw a VBoxError (or an Error with a failure status in `rc`, e.g. the engine's VmAssertion) → that status
 *   threw anything else → VERR_INTERNAL_ERROR
 *   returned a promise  → VERR_NOT_SUPPORTED (callbacks are synchronous; the promise's outcome is ignored)
 *   returned a non-status (not an int32, not undefined, not what the kind allows) → VERR_IPE_UNEXPECTED_STATUS
 *
 * `undefined` (a void callback) is VINF_SUCCESS, as before; void callbacks (at-state …) may return anything but
 * a promise. The call site decides where the failure goes: as the callback's status into the protocol around it
 * (and from there to the API call that ran it), or to `vm.events$` (kind 'error', VMSetError) where no call can
 * carry it.
 */
import { isVBoxError, VBoxError, VERR_INTERNAL_ERROR, VERR_IPE_UNEXPECTED_STATUS, VERR_NOT_SUPPORTED } from '../status.js';
import { codeStamp, persistable } from '../persist/registry.js';
import { restoreErrorText } from '../persist/builtins.js';

export type UserCallbackFailure = 'threw' | 'bad-return' | 'async';

/** A user callback failed; `callback` names it, `cause` is what it threw (or a TypeError describing its return). */
export class UserCallbackError extends VBoxError {
  readonly callback: string;

  constructor(
    rc: number,
    callback: string | (() => string),
    readonly failure: UserCallbackFailure,
    cause: unknown,
  ) {
    const name = typeof callback === 'string' ? callback : callback();
    super(rc, `${name} ${failure === 'threw' ? 'threw' : 'returned'} ${describe(failure, cause)}`);
    this.callback = name;
    this.cause = cause;
  }
}

function describe(failure: UserCallbackFailure, cause: unknown): string {
  if (failure === 'async') return 'a promise: callbacks run inside one EMT step and must be synchronous';
  if (failure === 'bad-return') return `${(cause as Error).message}, which is not a VirtualBox status`;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

/** What a callback may return: a check of the value's shape (undefined included). */
export type ResultCheck = (value: unknown) => boolean;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';

/** An int32 status (VINF_* >= 0, VERR_* < 0). */
export const isStatus = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value === (value | 0);

/** A status, or nothing (a void callback: VINF_SUCCESS). */
export const statusOrVoid: ResultCheck = (value) => value === undefined || isStatus(value);

/** Any value but a promise: a void callback's return is ignored. */
export const anyValue: ResultCheck = (value) => !isThenable(value);

/**
 * A request or rendezvous callback's result: a status, nothing, or an EmtBlock built by emtRendezvous() /
 * emtCallWait() / emtSlices() (which has a `then` of its own, so it is checked before the promise test).
 */
export const emtResult: ResultCheck = (value) => {
  if (statusOrVoid(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const block = value as { kind?: unknown; flags?: unknown; callback?: unknown; target?: unknown; fn?: unknown; then?: unknown; slices?: { next?: unknown } };
  if (block.then !== undefined && typeof block.then !== 'function') return false;
  if (block.kind === 'rendezvous') return isStatus(block.flags) && typeof block.callback === 'function';
  if (block.kind === 'slices') return typeof block.slices?.next === 'function';
  const target = block.target;
  const targetOk = Number.isInteger(target) || (typeof target === 'string' && NAMED_TARGETS.has(target));
  return block.kind === 'call' && targetOk && typeof block.fn === 'function';
};

/** The VMCPUID_* names a call block may carry besides a CPU id (its range is checked where it is queued). */
const NAMED_TARGETS: ReadonlySet<string> = new Set(['any', 'any-queue', 'all', 'all-reverse']);

/**
 * Call `fn(...args)`; never throws. Returns its result when `accepts` takes it, otherwise a UserCallbackError (a
 * promise is told apart from any other wrong value, and its later rejection is swallowed). `callback` names it;
 * a function is called only when it fails, so the hot path builds no string.
 */
export function callUser<A extends unknown[], R>(
  callback: string | (() => string),
  accepts: ResultCheck,
  fn: (...args: A) => R,
  ...args: A
): R | UserCallbackError {
  let value: R;
  try {
    value = fn(...args);
  } catch (error) {
    return new UserCallbackError(carriedStatus(error) ?? VERR_INTERNAL_ERROR, callback, 'threw', error);
  }
  if (accepts(value)) return value;
  if (isThenable(value)) {
    // Its outcome no longer matters; a later rejection must not become an unhandled one.
    Promise.resolve(value).catch(() => {});
    return new UserCallbackError(VERR_NOT_SUPPORTED, callback, 'async', new TypeError('a promise'));
  }
  return new UserCallbackError(VERR_IPE_UNEXPECTED_STATUS, callback, 'bad-return', new TypeError(preview(value)));
}

/** The failure status an Error carries in `rc` (VBoxError, VmAssertion), if any. */
function carriedStatus(error: unknown): number | undefined {
  if (isVBoxError(error)) return error.rc;
  const rc = error instanceof Error ? (error as { rc?: unknown }).rc : undefined;
  return isStatus(rc) && rc < 0 ? rc : undefined;
}

function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value !== 'object' && typeof value !== 'function') return String(value);
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** The name a callback goes by in messages: its kind and, when it has one, its function name. */
export const callbackName = (kind: string, fn: unknown): string => {
  if (typeof fn !== 'function') return kind;
  const stamp = codeStamp(fn); // a worker bound to its data (vmR3Suspend(reason)): the worker's own name
  const name = stamp?.args ? stamp.name.slice(stamp.name.lastIndexOf('.') + 1) : fn.name;
  return name ? `${kind} '${name}'` : kind;
};

export const isUserCallbackError = (value: unknown): value is UserCallbackError => value instanceof UserCallbackError;

/**
 * Kept as VmCore.lastError.error: saved as what it says (status, callback, failure, message, stack) and what
 * it threw when that is data; a thrown object that is not (an Error of the embedder's) is kept as its text.
 */
persistable('UserCallbackError', UserCallbackError, {
  save: (e) => ({
    rc: e.rc, name: e.name, callback: e.callback, failure: e.failure, message: e.message, stack: e.stack ?? null,
    cause: e.cause instanceof Error ? { name: e.cause.name, message: e.cause.message } : (typeof e.cause === 'object' && e.cause !== null) || typeof e.cause === 'function' ? String(e.cause) : e.cause,
  }),
  restore: (e, data: { rc: number; name: string; callback: string; failure: UserCallbackFailure; message: string; stack: string | null; cause: unknown }) => {
    Object.assign(e, { rc: data.rc, name: data.name, callback: data.callback, failure: data.failure, cause: data.cause });
    restoreErrorText(e, data.message, data.stack);
  },
});
