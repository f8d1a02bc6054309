/**
 * vmm.getPersistedSnapshot() and createVMM({ snapshot }): the whole engine as one versioned, JSON-serializable
 * record (docs/snapshot.md). The engine's object graph is written by src/persist/graph.ts; this file is the
 * envelope around it (format, version, clock kind, the embedder's function names it uses) and the checks that
 * refuse a snapshot before anything is created.
 */
import { readGraph, writeGraph, type PersistedGraph } from '../persist/graph.js';
import { census } from '../persist/walk.js';
import { attachInspection } from '../inspect/session.js';
import { VBoxError, VERR_INVALID_MAGIC, VERR_INVALID_PARAMETER, VERR_NOT_SUPPORTED, VERR_VERSION_MISMATCH, VERR_VM_THREAD_IS_EMT } from '../status.js';
import { disposedError } from '../vmm/external.js';
import type { VmState } from '../../machines/vm.js';
import { missingFunctions, UserFunctions } from './functions.js';
import type { Vmm, VmmImplementations, VmmOptions } from './vmm.js';

export const SNAPSHOT_FORMAT = 'vmm-actors/engine';
/**
 * Raised whenever what a snapshot's names mean changes (older versions are refused): 2 — the saved-state units'
 * callbacks became unbound code that finds its VM through the unit's owner; 3 — EMT, vCPU, request, rendezvous and
 * halt-method cells became OwnedCells that reach their owner by a field (no listener bound to the VM); 4 — a save's
 * context is a SaveContext record that drops its SSM handle and sink when the handle closes (bytes kept as `bytes`);
 * 5 — a GVMM handle cell is an OwnedCell whose owner record holds the listening VM (no gvmm.handleEdge binding),
 * a checker world's pool names packets through its `watcher` field, its calls report to their client and its
 * check.world.ssmCancel is unbound (finds the world through the VM).
 * 6 — an operation's call reports as itself: a request call holds it as `done` (no doneId in the function table),
 * and a call not yet started holds its operation as code plus `opArgs` (no bound external.reqCallStart).
 * 7 — the save flow's and live save's cells are OwnedCells; the live save is its handle's `liveInfo` and keeps its
 * VM (no `options`); save.flow.edge/progress/resume, save.vmNowNs and save.ssmLiveSaveEdge are gone (the flow is
 * its waits' StatusReceiver); an SSM unit's `_callbacks` may name the shared constant `ssm.callbacks.<kind>`; the
 * pgm unit's owner is one record and a handle's build table is `_buildInfo`.
 * 8 — an EventSem's waiter is a SemWaiter record and its timeout timer is addressed to the waiter (EventSem.seq and
 * EventSem.timerFired are gone); a live save keeps no `clock` (SaveStart.nowNs and LiveSaveInfo.nowNs are gone: GIP
 * time is its VM's); a request call's `order` is frozen; an EMT's `current` request context is not written (made
 * again when the EMT first steps); a free request's `args` name the constant `vmm.noReqArgs`. Unchanged in form: an SSM unit's `_callbacks` (private
 * now, same field), the status/progress receivers (a function or a record, as before), the scheduler's fields (its
 * copy hook is in-memory copying only).
 * 9 — an engine's `implementations` record is frozen; GVMM's registry observers are the transient `eventListeners`
 * (made at first use; `listeners` reads them); empty at-* lists, reset waiters, save flows, thread work and the
 * scheduler's recorded choices name the constant `persist.emptyList`; a VM's last state and vCPU state changes are
 * frozen records; an EMT's METHOD_1 history names the constant `vmm.haltMethod1Fresh` until its first write; GVMM's
 * scheduling config is frozen (GVMMR0SetConfig replaces it) and GVMM keeps its scheduler (`sched`), not its options;
 * a VM's per-vCPU guest run times (execNs, execSince) are frozen lists; a request's `args` are frozen.
 * 10 — guest RAM's page bitmaps (`_nonZero`, `_dirty`) and page picker (`_prng`, from its `seed`) are null until
 * first used; an EMT's halt semaphore is CpuHalt's `semRecord`, null until first used (CpuHalt keeps its `vm`); a
 * halt loop or wait holds no `cpuHalt` (it looks it up); GVMM's scan wake-up index is the constant `gvmm.scanIndex`
 * (no `table`); an engine's id counters are its fields `lastReqId`, `lastCallerId`, `lastCallId` (no `ids` record)
 * and its `system` record is the transient `systemRecord`; a request pool's statistics are its fields `cAllocNew` …
 * `cMoreThan1` (no `stats` record); a VM's `lastCpu` is a frozen list; a rendezvous member's cell keeps no `frame`
 * (its frame reports its transitions); a halt hook's wake record is addressed to the EMT, not its halt frame; GVMM's
 * handle `links` are a frozen list (`persist.emptyList` until the first VM) and GVMM keeps no `sessions` table.
 * 11 — an EMT's `CpuHalt` keeps no `vm` (VmHalt.sem makes its semaphore) and GVMM's `GvmCpu` no `gvm` (its `handle`
 * instead); both, and a VM's request queues, are frozen while they hold only data (a queue: empty and unwatched; a
 * restore keeps them frozen; the first write replaces one, and the frozen per-vCPU list holding it with a new list);
 * an EMT's empty frame stack is `persist.emptyList`; a VM's `lastError` is frozen; a vCPU's state is a frozen
 * MachineCell (no owner) in a frozen list, replaced at each transition (a saved object frozen is frozen once restored).
 * 12 — no `OwnedCell` or `ReqCallCell`: the cells of an EMT's loop, a request packet, an external thread's request
 * call, a rendezvous and its members, the halt method, a save flow, a live save and a GVMM handle are `HeldCell`s
 * (`MemberCell`s) with no owner and no listener (their holder reports their edges; saved unfrozen); the VM state's
 * cell is a frozen MachineCell replaced at each transition; GVMM's handle table keeps its listening VMs in `sinks`
 * (no `GvmmHandleOwner`).
 */
export const SNAPSHOT_VERSION = 12;
/**
 * The persisted form SNAPSHOT_VERSION names, hashed: registered classes with their transient fields and hooks, and
 * the field names engines write (test/api/snapshot-form.test.ts). A change there fails that test: raise the version
 * (with its line above) and put the new hash here.
 */
export const SNAPSHOT_FINGERPRINT = '2f2ac42c7836dc24';

/** What vmm.getPersistedSnapshot() returns: plain data (JSON.stringify / JSON.parse keep it whole). */
export interface PersistedVmm {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: typeof SNAPSHOT_VERSION;
  /** The clock the engine ran on; a restore runs on the same kind. */
  readonly clock: 'virtual' | 'real';
  /** GIP time when the snapshot was taken. */
  readonly tNs: number;
  /** The names (createVMM({ functions })) of the embedder's functions the engine held: a restore needs each. */
  readonly functions: readonly string[];
  /** The VMs, for a reader that does not restore (the engine's own record of them is in `graph`). */
  readonly vms: readonly { readonly handle: number; readonly name: string; readonly state: VmState }[];
  /** The engine's objects (src/persist/graph.ts). */
  readonly graph: PersistedGraph;
}

/** The options a restore takes from the snapshot: giving them too is a mistake, refused. */
const FROM_SNAPSHOT = ['scheduler', 'clock', 'policy', 'seed', 'fidelity', 'gvmm', 'faults', 'machines'] as const;

/** How many closure paths a refusal lists (the rest are counted). */
const PATHS_SHOWN = 5;

export function persistVmm(vmm: Vmm): PersistedVmm {
  if (vmm.disposed) throw disposedError();
  // Inside a step an EMT's work is half done (a frame pushed, a status not merged yet): not a state to save.
  if (vmm.current !== null) {
    throw new VBoxError(VERR_VM_THREAD_IS_EMT, `getPersistedSnapshot() must not be called on an EMT (${vmm.current.vm.id}/emt.${vmm.current.cpu}): call it between steps, e.g. after an await`);
  }
  const used = new Set<string>();
  const userName = (fn: unknown): string | undefined => {
    const name = vmm.functions.nameOf(fn);
    if (name !== undefined) used.add(name);
    return name;
  };
  refuseUnnamed(vmm, userName);
  const graph = writeGraph(vmm, { userName });
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    clock: vmm.config.clock,
    tNs: vmm.clock.nowNs(),
    functions: [...used].sort(),
    vms: [...vmm.vms.values()].map((vm) => ({ handle: vm.handle, name: vm.name, state: vm.state })),
    graph,
  };
}

/**
 * A function the engine holds that neither the code table nor the embedder's `functions` names (most often an
 * embedder's callback given without a name), or an object of a class the registry lacks: refused, with where
 * it was found and what to do.
 */
function refuseUnnamed(vmm: Vmm, userName: (fn: unknown) => string | undefined): void {
  // From the VMs first, so a path names the VM it was found in (not the scheduler's ready list that also reaches it).
  const { closures, classes } = census({ vms: vmm.vms, vmm }, userName);
  if (closures.length > 0) {
    const shown = closures.slice(0, PATHS_SHOWN).map(readablePath).join(', ');
    const more = closures.length > PATHS_SHOWN ? ` and ${closures.length - PATHS_SHOWN} more` : '';
    throw new VBoxError(
      VERR_NOT_SUPPORTED,
      `getPersistedSnapshot(): a function without a name is pending at ${shown}${more}; give each function you pass the engine ` +
        `(reqCallWait fn, rendezvous, at-state / at-error callbacks, SSM unit callbacks) a name: createVMM({ functions: { myName: fn } })`,
    );
  }
  if (classes.size > 0) {
    const [name, path] = [...classes][0]!;
    throw new VBoxError(VERR_NOT_SUPPORTED, `getPersistedSnapshot(): an object of class ${name} at ${readablePath(path)} cannot be saved (not registered with persistable())`);
  }
}

/** A census path as the embedder reads it: from `vmm`, without the walk's marks for saved data. */
const readablePath = (path: string): string => `vmm${path.replace(/^\.vmm(?=[.[<]|$)/, '').replaceAll('<save>', '')}`;

/**
 * createVMM({ snapshot }): check, read, and give the engine its host (`attach`: the saved config plus the
 * implementations given now) before any part revives, since the parts rebuild their hooks from `vmm.options`.
 */
export function restoreVmm(snapshot: PersistedVmm, options: VmmOptions, attach: (vmm: Vmm, implementations: VmmImplementations) => void): Vmm {
  const given = FROM_SNAPSHOT.filter((key) => options[key] !== undefined);
  if (given.length > 0) throw new VBoxError(VERR_INVALID_PARAMETER, `createVMM({ snapshot }) takes ${given.join(', ')} from the snapshot; leave ${given.length > 1 ? 'them' : 'it'} out`);
  checkEnvelope(snapshot);
  const functions = new UserFunctions(options.functions);
  const missing = functions.missing(snapshot.functions);
  if (missing.length > 0) throw missingFunctions(missing);
  const { hooks, components, functions: named } = options;
  const implementations: VmmImplementations = { ...(hooks ? { hooks } : {}), ...(components ? { components } : {}), ...(named ? { functions: named } : {}) };
  const vmm = readGraph<Vmm>(snapshot.graph, { userFunction: (name: string) => functions.get(name), beforeRevive: (root) => attach(root as Vmm, implementations) });
  if (options.inspect) {
    const inspection = attachInspection(vmm.sched, options.inspect);
    (vmm as { inspection?: unknown }).inspection = inspection;
    for (const vm of vmm.vms.values()) inspection.addVm(vm.core);
  }
  for (const vm of vmm.vms.values()) vm.attachToCore();
  return vmm;
}

/** Format and version, before anything is read. */
function checkEnvelope(snapshot: PersistedVmm): void {
  const envelope = snapshot as Partial<PersistedVmm> | null;
  if (typeof envelope !== 'object' || envelope === null || envelope.format !== SNAPSHOT_FORMAT || typeof envelope.graph !== 'object' || envelope.graph === null) {
    throw new VBoxError(VERR_INVALID_MAGIC, `createVMM({ snapshot }): not a vmm-actors engine snapshot (format '${SNAPSHOT_FORMAT}' expected)`);
  }
  if (envelope.version !== SNAPSHOT_VERSION) {
    throw new VBoxError(VERR_VERSION_MISMATCH, `createVMM({ snapshot }): snapshot version ${String(envelope.version)}, this engine reads version ${SNAPSHOT_VERSION}`);
  }
  if (!Array.isArray(envelope.functions) || envelope.functions.some((name) => typeof name !== 'string')) {
    throw new VBoxError(VERR_INVALID_MAGIC, 'createVMM({ snapshot }): the function name list is damaged');
  }
  // The graph's root must be the engine itself (a snapshot of anything else would revive and then be dropped).
  const { root, objects } = envelope.graph as { root?: unknown; objects?: unknown };
  const rootEntry = Array.isArray(root) && root[0] === 'ref' && Array.isArray(objects) ? (objects[root[1] as number] as { name?: unknown } | undefined) : undefined;
  if (rootEntry?.name !== 'Vmm') throw new VBoxError(VERR_INVALID_MAGIC, 'createVMM({ snapshot }): the snapshot\'s root is not an engine (Vmm)');
}
