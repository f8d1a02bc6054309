/**
 * Classes below the persist layer whose instances engine state may hold: a VBoxError (a failed operation's
 * status kept for its caller, a monitor's verdict). An Error's message and stack are own non-enumerable
 * properties, invisible to a field walk, so it is saved as data.
 */
import { VBoxError } from '../status.js';
import { persistable } from './registry.js';

interface SavedError {
  rc: number;
  message: string;
  stack: string | null;
}

/** An Error's text back on a restored instance: message and stack are own non-enumerable properties, as `new` makes them. */
export function restoreErrorText(e: Error, message: string, stack: string | null): void {
  Object.defineProperty(e, 'message', { value: String(message), writable: true, configurable: true });
  if (stack !== null) Object.defineProperty(e, 'stack', { value: String(stack), writable: true, configurable: true });
}

persistable('VBoxError', VBoxError, {
  save: (e): SavedError => ({ rc: e.rc, message: e.message, stack: e.stack ?? null }),
  restore: (e, data: SavedError) => {
    Object.assign(e, { rc: data.rc, name: new VBoxError(data.rc).name });
    restoreErrorText(e, data.message, data.stack);
  },
});
