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

persistable('VBoxError', VBoxError, {
  save: (e): SavedError => ({ rc: e.rc, message: e.message, stack: e.stack ?? null }),
  restore: (e, data: SavedError) => {
    Object.assign(e, { rc: data.rc, name: new VBoxError(data.rc).name });
    Object.defineProperty(e, 'message', { value: String(data.message), writable: true, configurable: true });
    if (data.stack !== null) Object.defineProperty(e, 'stack', { value: String(data.stack), writable: true, configurable: true });
  },
});
