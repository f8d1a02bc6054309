/**
 * A Vmm's host attachments — the options with their implementations, the embedder's function table, the call
 * tables and streams, system.get, the inspection session — and how a new, restored or copied engine gets them:
 * they are not state (a snapshot does not write them), so createVMM, a restore and an in-memory copy attach them.
 */
import { codeStamp } from '../persist/registry.js';
import { UserFunctions } from './functions.js';
import type { Vmm } from './vmm.js';
import type { VmmImplementations, VmmOptions } from './vmm-options.js';
import { VmmSystem } from './vmm-system.js';

/** The Vmm's fields that are host attachments: not written, rebuilt by attachHost. */
export const VMM_TRANSIENT = ['hostOptions', 'inspection', 'functions', 'calls', 'callResolvers', 'lifeEvents', 'system', 'restoredCalls', 'restoredCallEvents'];

/** Give a new or restored engine its host attachments: options (data + implementations), streams, system.get. */
export function attachHost(vmm: Vmm, options: VmmOptions, functions?: UserFunctions): void {
  const host = vmm as unknown as Record<(typeof VMM_TRANSIENT)[number], unknown>;
  host.hostOptions = options;
  host.functions = functions ?? new UserFunctions(options.functions);
  // The call tables and streams are made at first use: a checker's world copy needs none of them.
  host.calls = host.callResolvers = host.lifeEvents = host.restoredCallEvents = null;
  host.restoredCalls = [];
  host.system = new VmmSystem(vmm);
  host.inspection = undefined; // the constructor, or a restore once every object is back, attaches inspectors
}

/**
 * The Vmm's state is its own fields but the host attachments; a restore attaches the host from the saved config
 * and the implementations the restore was given (its parts, revived before it, read them through `options`).
 */
export const VMM_PERSIST = {
  transient: VMM_TRANSIENT,
  history: ['ids'],
  // The VM table, the id counters and the implementations record are the engine's alone (a copy copies them at once).
  owned: ['vms', 'ids', 'implementations'],
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
    attachHost(into, rebuiltOptions(vmm, implementations), vmm.functions);
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

/** Hooks or components whose every function a snapshot can name (code table, or the embedder's `functions`). */
export function isData(table: object | undefined, functions: UserFunctions): boolean {
  return Object.values(table ?? {}).every((fn) => fn === undefined || codeStamp(fn) !== undefined || functions.nameOf(fn) !== undefined);
}

/** A restored or copied engine's options: its saved config and test variants, and the implementations given. */
export function rebuiltOptions(vmm: Vmm, implementations: VmmImplementations): VmmOptions {
  const { clock, fidelity, gvmm } = vmm.config;
  return { clock, fidelity, ...(gvmm ? { gvmm } : {}), ...(vmm.faults ? { faults: vmm.faults } : {}), ...(vmm.machines ? { machines: vmm.machines } : {}), ...implementations };
}
