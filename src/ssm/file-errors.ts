/**
 * Errors of the read-only tools name the file they were given (a damaged header's status alone says nothing of
 * which file): the status and the cause stay VirtualBox's, the message gains the path. A source that is not a
 * path (a stream, memory) is named by whoever made it.
 */
import { VBoxError } from '../status.js';
import type { SsmSource } from './sources.js';

export function namingFile<T>(file: string | SsmSource, tool: () => T): T {
  try {
    return tool();
  } catch (error) {
    if (typeof file !== 'string' || !(error instanceof VBoxError) || error.message.includes(file)) throw error;
    throw Object.assign(new VBoxError(error.rc, `${file}: ${error.message}`), { cause: error });
  }
}
