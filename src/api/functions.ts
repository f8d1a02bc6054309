/**
 * The embedder's own functions by name (`createVMM({ functions: { name: fn } })`). A snapshot cannot write a
 * function's code, so a pending reqCallWait `fn`, a rendezvous callback, an at-state / at-error callback or an
 * SSM unit's callbacks are written as the name the embedder gave them, and a restore in another process finds
 * the same function under that name in the `functions` it is given. The engine's own code is named by the
 * code table (src/persist/registry.ts); this table is only for what the embedder passes in.
 */
import { VBoxError, VERR_INVALID_PARAMETER, VERR_NOT_FOUND } from '../status.js';

/** What `createVMM({ functions })` takes: a name for each function the embedder hands the engine. */
export type UserFunctionMap = Readonly<Record<string, (...args: any[]) => unknown>>;

export class UserFunctions {
  private readonly byName = new Map<string, (...args: any[]) => unknown>();
  private readonly byFunction = new Map<unknown, string>();

  /** Checks the map: every value a function, every name non-empty, no function under two names. */
  constructor(functions: UserFunctionMap | undefined) {
    if (functions === undefined) return;
    if (typeof functions !== 'object' || functions === null || Array.isArray(functions)) {
      throw new VBoxError(VERR_INVALID_PARAMETER, 'createVMM({ functions }) takes an object: { name: function }');
    }
    for (const [name, fn] of Object.entries(functions)) {
      if (typeof fn !== 'function') throw new VBoxError(VERR_INVALID_PARAMETER, `createVMM({ functions }): '${name}' is not a function`);
      if (name.length === 0) throw new VBoxError(VERR_INVALID_PARAMETER, 'createVMM({ functions }): a function name must not be empty');
      const other = this.byFunction.get(fn);
      // A snapshot writes one name per function: two would make the name it writes depend on the order.
      if (other !== undefined) throw new VBoxError(VERR_INVALID_PARAMETER, `createVMM({ functions }): one function under two names, '${other}' and '${name}'`);
      this.byName.set(name, fn);
      this.byFunction.set(fn, name);
    }
  }

  /** The name the embedder gave `fn` (the snapshot writer's `userName`); undefined for any other value. */
  nameOf(fn: unknown): string | undefined {
    return this.byFunction.get(fn);
  }

  /** The function named `name` (a restore's `userFunction`); throws VERR_NOT_FOUND when the map lacks it. */
  get(name: string): (...args: any[]) => unknown {
    const fn = this.byName.get(name);
    if (!fn) throw missingFunctions([name]);
    return fn;
  }

  /** The names of `names` this table lacks. */
  missing(names: readonly string[]): string[] {
    return names.filter((name) => !this.byName.has(name));
  }
}

/** A snapshot names functions the restore's `functions` lack: refused, nothing created. */
export const missingFunctions = (names: readonly string[]): VBoxError =>
  new VBoxError(
    VERR_NOT_FOUND,
    `the snapshot names function${names.length > 1 ? 's' : ''} ${names.map((n) => `'${n}'`).join(', ')} that createVMM({ snapshot, functions }) does not give`,
  );
