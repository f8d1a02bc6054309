/**
 * Where the engine keeps CPU numbers, for the snapshot key's vCPU renaming (symmetry.ts decides when renaming is
 * sound and the canonical order; key-walk.ts renames). Every registered class and every machine has an entry
 * here, an empty one when it holds no CPU number: with symmetry on, the walk refuses a class or a machine that
 * has none (test/check/key-cpus.test.ts checks that every one has), so a new class holding a CPU number cannot
 * slip past the renaming unnoticed; its author has to say what its fields are.
 *
 * What a field holds:
 * - 'cpu': a CPU id (a number in 0..n-1; anything else, null, 'any', -1, is written as it is);
 * - 'cpu-name': a name with a CPU id in it (`vm.1/emt.2`, `cpu.2`, `vm.1/emt.2/sem`);
 * - 'cpu-list': CPU ids in an order that means something (who ran the callback, in turn);
 * - 'cpu-set': CPU ids whose order means nothing (who has entered);
 * - 'by-cpu': an array indexed by CPU id (the EMTs, the per-vCPU queues);
 * - { byCpu }: the same, its items holding `byCpu`; { fields }: a plain object whose fields hold CPU ids.
 */
export type CpuField =
  | 'cpu'
  | 'cpu-name'
  | 'cpu-list'
  | 'cpu-set'
  | 'by-cpu'
  | { readonly byCpu: CpuField }
  | { readonly fields: Readonly<Record<string, CpuField>> };

export type CpuFields = Readonly<Record<string, CpuField>>;

const NONE: CpuFields = {};

/** Registered classes (persistable names) → their fields holding CPU ids. */
export const CLASS_CPU_FIELDS: Readonly<Record<string, CpuFields>> = {
  // The vCPUs themselves: everything indexed by CPU, and each vCPU's own number and names.
  VmCore: { emts: 'by-cpu', cpuStates: 'by-cpu', cpuQueues: 'by-cpu', cpuFF: 'by-cpu' },
  Emt: { cpu: 'cpu', id: 'cpu-name', current: { fields: { cpu: 'cpu' } } },
  RequestQueue: { name: 'cpu-name' },
  VmReq: { target: 'cpu', cpu: 'cpu' },
  RendezvousInstance: { entered: 'cpu-set' },
  VmHalt: { cpus: 'by-cpu' },
  CpuHalt: { cpu: 'cpu' },
  EventSem: { label: 'cpu-name' },
  Gvm: { cpus: 'by-cpu' },
  GvmCpu: { idCpu: 'cpu' },
  Labels: { processing: 'by-cpu' },
  // No CPU number in these (a vCPU they concern is a reference to its object, renamed by where it sits).
  ...Object.fromEntries(
    [
      'ApiStatusMonitor', 'BootstrapLoop', 'CallFrame', 'CallbackSink', 'CountingSink', 'DeadlockMonitor', 'DeterministicScheduler',
      'ExitFrame', 'ExternalThread', 'FileSink', 'FileSource', 'FunctionTable', 'Global1Loop', 'GuestRam', 'GuestSliceFrame', 'Gvmm',
      'GvmmHandleTable', 'GvmmHandlesMonitor', 'GvmmSched', 'HaltFrame', 'HeldCell', 'HeapIndex', 'LiveSaveCancelMonitor',
      'LoadRequest', 'MachineCell', 'MemberCell', 'MemorySink', 'MemorySource', 'Method1Loop', 'OldLoop', 'OperationCall',
      'PendingTimer', 'PgmLoadSlices', 'Prng', 'PushSource', 'RealClock', 'RealTimeScheduler', 'RendezvousFrame', 'RendezvousOrderMonitor',
      'ReqCall', 'ReqPool', 'RequestOnceMonitor', 'RequestOrderMonitor', 'SaveCleanupMonitor', 'SaveContext', 'SaveFlow',
      'SaveRequest', 'SavedState', 'ScanIndex', 'ScenarioClient', 'SchedHold', 'SemWaiter', 'SsmHandle', 'SsmLiveSave', 'SsmLoadError', 'SsmLoadExec',
      'SsmLoadRun', 'SsmProgress', 'SsmStreamReader', 'SsmStreamWriter', 'SsmUnit', 'SsmUnitDataReader', 'SsmUnitRegistry',
      'StatusMergeMonitor', 'StopOnErrorMonitor', 'TeleportFrameSink', 'TeleportInSource', 'TeleportLoadLink', 'TeleportLoadSlices',
      'TimerHeap', 'UserCallbackError', 'VBoxError', 'VM', 'VcpuAgreementMonitor', 'VirtualClock', 'VmGvmBinding', 'VmLoadSlices', 'Vmm',
      'VmstateEdgeMonitor', 'WaitU', 'WakeSlot', 'WakeUpMonitor', 'WorkSliceFrame', 'World', 'WorldView',
    ].map((name) => [name, NONE]),
  ),
};

/** Machines (by machine id) → the fields of their context holding CPU ids (a cell's context is written as data). */
export const MACHINE_CPU_CONTEXT: Readonly<Record<string, CpuFields>> = {
  rendezvous: { caller: 'cpu', runner: 'cpu', order: 'cpu-list', ran: 'cpu-list' },
  // aCpus[i].hEMT: the EMT registered at each CPU, by name.
  gvmmHandle: { emts: { byCpu: 'cpu-name' } },
  ...Object.fromEntries(['vm', 'vmcpu', 'emt', 'request', 'reqCall', 'rendezvousMember', 'ssmLiveSave', 'haltMethod', 'vmSaveTeleport'].map((id) => [id, NONE])),
};

/** A vCPU renaming: canonical[i] is the CPU written at position i, position[c] where CPU c is written. */
export interface Renaming {
  readonly canonical: readonly number[];
  readonly position: readonly number[];
}

const CPU_IN_NAME = /(emt\.|cpu\.)(\d+)/;

/** `v` with every CPU id `decl` says it holds renamed (new arrays and objects; the rest shared). */
export function renameData(decl: CpuField, v: unknown, r: Renaming): unknown {
  if (typeof decl === 'object') {
    if ('byCpu' in decl) return Array.isArray(v) ? byCpu(v, r).map((item) => renameData(decl.byCpu, item, r)) : v;
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const key of Object.keys(decl.fields)) if (key in out) out[key] = renameData(decl.fields[key]!, out[key], r);
    return out;
  }
  switch (decl) {
    case 'cpu':
      return typeof v === 'number' && v >= 0 && v < r.position.length && Number.isInteger(v) ? r.position[v] : v;
    case 'cpu-name': {
      if (typeof v !== 'string') return v;
      const m = CPU_IN_NAME.exec(v);
      const c = m ? Number(m[2]) : -1;
      return m && c < r.position.length ? `${v.slice(0, m.index)}${m[1]}${r.position[c]}${v.slice(m.index + m[0].length)}` : v;
    }
    case 'cpu-list':
      return Array.isArray(v) ? v.map((c) => renameData('cpu', c, r)) : v;
    case 'cpu-set':
      return v instanceof Set || Array.isArray(v) ? [...(v as Iterable<unknown>)].map((c) => renameData('cpu', c, r) as number).sort((a, b) => a - b) : v;
    case 'by-cpu':
      return Array.isArray(v) ? byCpu(v, r) : v;
  }
}

/** An array indexed by CPU in canonical order (one of another length is not indexed by CPU: refused). */
function byCpu(v: readonly unknown[], r: Renaming): unknown[] {
  if (v.length !== r.canonical.length) throw new Error(`vCPU renaming: an array declared by-cpu has ${v.length} items for ${r.canonical.length} vCPUs`);
  return r.canonical.map((c) => v[c]);
}

/** A field name that says it holds a CPU id: with symmetry on, the walk refuses one that is not declared. */
export const CPU_NAMED = /^(cpu|idCpu|.+Cpu)$/;

/** A class or machine without an entry, with symmetry on: the walk stops rather than leave CPU ids unrenamed. */
export function undeclared(what: string): Error {
  return new Error(`vCPU renaming: ${what} has no entry in src/check/key-cpus.ts (declare its fields holding CPU ids, or none)`);
}
