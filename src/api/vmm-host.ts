/**
 * A Vmm's host attachments — the options with their implementations, the embedder's function table, the call
 * tables and streams, system.get, the inspection session — and how a new, restored or copied engine gets them:
 * they are not state (a snapshot does not write them), so createVMM, a restore and an in-memory copy attach them.
 */
import { codeStamp } from '../persist/registry.js';
import { UserFunctions } from './functions.js';
import type { Vmm } from './vmm.js';
import type { VmmImplementations, VmmOptions } from './vmm-options.js';

/** The Vmm's fields that are host attachments: not written, rebuilt by attachHost. */
export const VMM_TRANSIENT = ['hostOptions', 'inspection', 'functions', 'calls', 'callResolvers', 'lifeEvents', 'systemRecord', 'restoredCalls', 'restoredCallEvents'];

/** An engine's restoredCalls until one arrives (replaced, never pushed to): shared by every copy. */
const NO_RESTORED_CALLS: readonly never[] = Object.freeze([]);

/** Give a new or restored engine its host attachments: options (data + implementations), streams, system.get. */
export function attachHost(vmm: Vmm, options: VmmOptions, functions?: UserFunctions): void {
  const host = vmm as unknown as Record<(typeof VMM_TRANSIENT)[number], unknown>;
  host.hostOptions = options;
  host.functions = functions ?? new UserFunctions(options.functions);
  // The call tables and streams are made at first use: a checker's world copy needs none of them.
  host.calls = host.callResolvers = host.lifeEvents = host.restoredCallEvents = null;
  host.restoredCalls = NO_RESTORED_CALLS;
  host.systemRecord = null; // Vmm.system makes it at first use
  host.inspection = undefined; // the constructor, or a restore once every object is back, attaches inspectors
}

/**
 * The Vmm's state is its own fields but the host attachments; a restore attaches the host from the saved config
 * and the implementations the restore was given (its parts, revived before it, read them through `options`).
 */
export const VMM_PERSIST = {
  transient: VMM_TRANSIENT,
  history: ['lastReqId', 'lastCallerId', 'lastCallId'],
  // The VM table and the implementations record are the engine's alone (a copy copies them at once).
  owned: ['vms', 'implementations'],
  revive: (vmm: Vmm): void => {
    if (!(vmm as unknown as { hostOptions?: VmmOptions }).hostOptions) attachHost(vmm, vmm.options);
  },
  // An in-memory copy (the checker's worlds) lives in the same process: its state fields copied as usual, it shares
  // the original's implementations, but a table made only of code (bound to data, e.g. a world's ssmCancel bound to
  // its world) is copied with the engine, so the copy's code acts on the copy's data.
  // The embedder's function table (immutable once built) is shared as well.
  copied: (vmm: Vmm, into: Vmm, clone: (value: unknown) => unknown): void => {
    const { hooks, components, functions } = vmm.options;
    const implementations: VmmImplementations = {};
    if (hooks) implementations.hooks = ownTable(hooks, clone);
    if (components) implementations.components = ownTable(components, clone);
    if (functions) implementations.functions = functions;
    const given = vmm.options;
    attachHost(into, isRebuilt(given, vmm, implementations) ? given : rebuiltOptions(vmm, implementations), vmm.functions);
  },
};

/**
 * A hooks or components table in a copy: cloned when made only of code and some of it is bound to data (the
 * copy's code must act on the copy's data), else the original's (shared: code without data is the same in every
 * copy, so the EMT hooks built from it, emtHooksOf, are built once, not per copy).
 */
function ownTable<T extends object>(table: T, clone: (value: unknown) => unknown): T {
  let bound = false;
  for (const key in table) {
    const fn = table[key];
    if (fn === undefined) continue;
    const stamp = codeStamp(fn);
    if (stamp === undefined) return table;
    bound ||= stamp.args !== undefined;
  }
  return bound ? (clone(table) as T) : table;
}

/**
 * Whether `given` (frozen) is what rebuiltOptions(vmm, implementations) would make: a copy of a copy shares its
 * options instead of making them again (an embedder's own options, which may hold a scheduler, never are).
 */
function isRebuilt(given: VmmOptions, vmm: Vmm, implementations: VmmImplementations): boolean {
  if (!Object.isFrozen(given)) return false;
  const { clock, fidelity, gvmm } = vmm.config;
  const { faults, machines } = vmm;
  const { hooks, components, functions } = implementations;
  if (given.clock !== clock || given.fidelity !== fidelity || given.gvmm !== gvmm || given.faults !== faults || given.machines !== machines) return false;
  if (given.hooks !== hooks || given.components !== components || given.functions !== functions) return false;
  const defined = 2 + +(gvmm !== undefined) + +(faults !== undefined) + +(machines !== undefined) + +(hooks !== undefined) + +(components !== undefined) + +(functions !== undefined);
  let keys = 0;
  for (const _ in given) keys++;
  return keys === defined; // nothing else (a scheduler, an inspector …)
}

/** Hooks or components whose every function a snapshot can name (code table, or the embedder's `functions`). */
export function isData(table: object | undefined, functions: UserFunctions): boolean {
  return Object.values(table ?? {}).every((fn) => fn === undefined || codeStamp(fn) !== undefined || functions.nameOf(fn) !== undefined);
}

/** A restored or copied engine's options: its saved config and test variants, and the implementations given. */
export function rebuiltOptions(vmm: Vmm, implementations: VmmImplementations): VmmOptions {
  const { clock, fidelity, gvmm } = vmm.config;
  // Frozen: never changed, so a copy with the same tables shares it (VMM_PERSIST.copied).
  return Object.freeze({ clock, fidelity, ...(gvmm ? { gvmm } : {}), ...(vmm.faults ? { faults: vmm.faults } : {}), ...(vmm.machines ? { machines: vmm.machines } : {}), ...implementations });
}
