/**
 * What the hand-written state key (state-key.ts) does with every field the snapshot key writes (its walk names them:
 * key-names.ts): an entry for every registered class, and in it a declaration for every field its objects write in
 * the worlds of the checker's suite scenarios. test/check/key-fields.test.ts refuses a world holding a field with no
 * declaration and a declaration of a field no world holds, so a field added to an engine class cannot be left out of
 * the hand key silently: its author has to say what the key does with it. And it gives `keyed` teeth: a keyed field
 * holding a primitive must change the hand key when changed (numbers +1, booleans negated, strings suffixed) in
 * some world.
 *
 * - 'keyed': the hand key reads it, directly or through what it encodes (a machine cell's state, a label, a
 *   collection it walks);
 * - { implied: why }: the hand key does not read it; the keyed fields decide it (`why` names them, in a word);
 * - 'constant': fixed for its object's life in a checker run: configuration, and references to the object's owner
 *   or to other parts of the engine's structure.
 *
 * Only the `implied` ones rest on an argument rather than on the key's code: test/check/key-implied.test.ts checks
 * each on the suite scenarios' states (worlds of one hand key hold one value there), the key audit (key-audit.ts)
 * beyond them. A class no suite scenario's world holds (a real-time clock, a file sink) has no
 * entry: its fields are declared when a scenario first reaches it, and the test then asks for them.
 */
export type KeyFieldUse = 'keyed' | 'constant' | { readonly implied: string };
export type KeyFieldUses = Readonly<Record<string, KeyFieldUse>>;

const K = 'keyed';
const C = 'constant';
const I = (why: string): KeyFieldUse => ({ implied: why });

/** A halt loop's fields (halt-loops.ts): writeState writes code, waiting, woken, done, ignoreInterrupts, untilNs. */
const HALT_LOOP: KeyFieldUses = {
  code: K, done: K, ignoreInterrupts: K, waiting: K, woken: K, untilNs: K,
  busyEndNs: I('waiting'), spinTimer: I('waiting'), wakeUp: C, 'wakeUp.event': C, 'wakeUp.target': C,
  emt: C, halt: C,
};

/** A machine cell's record (MachineCell's keySave): the machine is its class, the state value keyed. */
const CELL: KeyFieldUses = { machine: C, value: K, context: K, fields: C };

/**
 * Registered class (a machine cell by class and machine: `Class:machine`) → its fields: `field`, a plain record's
 * `field.sub`, `field[].sub` under a collection, `field<value>.sub` under a Map (key-names.ts).
 */
export const KEY_FIELDS: Readonly<Record<string, KeyFieldUses>> = {
  // The world and the checker's own records.
  World: {
    cancels: K, clients: K, core: K, labels: K, monitors: K, sched: K, view: C, vm: C, vmm: C, pool: C,
    faults: C, invariants: C, machines: C, scenario: C, variant: C,
    stepping: I('between steps'), violation: I('monitors'), watching: C,
  },
  WorldView: { world: C },
  ScenarioClient: {
    // pending (a CallRef) is frozen data: the snapshot key writes it whole.
    position: K, results: K, pending: K, thread: K,
    host: C, id: C, index: C, spec: C,
  },
  Labels: {
    // Their labels and calls are frozen data: the snapshot key writes each whole.
    processing: K, reqs: K, rendezvous: K, allocs: K, threadCall: K,
    core: C, host: C,
  },
  OperationCall: {
    op: I('label'), opArgs: I('label'), callId: I('label'), onDone: C, thread: C,
    release: I('thread work'), reported: I('client results'), settled: I('client results'),
  },
  ExternalThread: { work: K, 'work[].event': I('call'), 'work[].target': I('call'), vm: C },
  // The engine: the VMM, the VM, its EMTs, queues and packets.
  Vmm: {
    config: C, faults: C, fidelity: C, gvmm: C, implementations: C, machines: C, sched: C, vms: C, current: I('between steps'), isDisposed: C,
    // The code tables (frozen, holding code: the key walks them; a world's own ssmCancel is bound to the world).
    'implementations.components': C, 'implementations.components.ssmCancel': C, 'implementations.hooks': C, 'implementations.hooks.executeGuest': C,
  },
  VM: { core: C, pool: C, announced: I('VM state'), ended: I('VM state') },
  VmCore: {
    cActiveEmts: K, created: K, fTeleportedAndNotFullyResumedYet: K, fTerminateEMT: K, ff: K, handle: K, pendingResetSoft: K,
    cpuFF: K, cpuQueues: K, cpuStates: K, emts: K, globalQueue: K, rendezvousStack: K, rendezvousLock: K, resetWaiters: K, state: K, halt: K, ssm: K,
    lastError: I('VM state'), resumeReason: I('VM state'), suspendReason: I('VM state'), onTerminated: I('VM state'),
    atError: C, atRuntimeError: C, atState: C, cCpus: C, config: C, functions: C, gvmm: C, host: C,
  },
  'MachineCell:vm': { ...CELL, 'context.prevState': K },
  'MachineCell:vmcpu': CELL,
  'HeldCell:emt': CELL,
  'HeldCell:request': CELL,
  'HeldCell:haltMethod': CELL,
  'HeldCell:vmSaveTeleport': CELL,
  Emt: { cell: K, countedInactive: K, frames: K, idle: K, cpu: I('position'), id: I('position'), pool: C, vm: C },
  RequestQueue: { normal: K, priority: K, name: I('position') },
  ReqPool: { vm: C, watcher: C },
  VmReq: {
    cell: K, cpu: K, status: K, target: K, caller: K, waiter: K,
    args: I('label'), fnId: I('label'), flags: I('label'), completions: I('request state'), vm: C,
  },
  ReqCall: {
    cell: I('request state'), req: I('label'), at: I('label'), order: I('label'), timeoutMs: I('label'), timer: I('timers'),
    done: C, pool: C, thread: C,
  },
  'HeldCell:reqCall': { ...CELL, value: I('request state'), context: I('request state') },
  // Rendezvous.
  RendezvousInstance: { cell: K, entered: K, parent: K, callbackId: I('label'), vm: C },
  'HeldCell:rendezvous': {
    ...CELL, 'context.cDone': K, 'context.cEntered': K, 'context.cReturned': K, 'context.caller': K, 'context.depth': K, 'context.flags': K,
    'context.released': K, 'context.runner': K, 'context.status': K, 'context.token': K, 'context.order': K, 'context.ran': K,
    'context.cCpus': C, 'context.stopOnError': I('flags'), 'context.type': I('flags'),
  },
  RendezvousFrame: {
    cell: K, instance: K, callbackId: I('label'), depth: I('rendezvous stack'), flags: I('instance flags'), kind: C,
    next: I('processing'), 'next.k': I('processing'), 'next.req': I('processing'), emt: C,
  },
  'MemberCell:rendezvousMember': { ...CELL, 'context.joined': K, 'context.role': K, 'context.releaseLock': I('role') },
  // Halting: the VM's method, each vCPU's halt state, its wait, the semaphore, GVMM.
  VmHalt: { cell: K, cpus: K, global1ThresholdNs: K, method1: K, virtualSync: K, gvmm: C, initHook: C, options: C, vm: C },
  CpuHalt: { active: K, fWait: K, mayHaltInRing0: K, method1: K, semRecord: K, spinBlockThresholdNs: K, cpu: I('position') },
  BootstrapLoop: HALT_LOOP,
  OldLoop: HALT_LOOP,
  Global1Loop: { ...HALT_LOOP, loops: I('waiting') },
  Method1Loop: { ...HALT_LOOP, blockOnce: K, spinning: K, blockNsToNext: I('waiting'), blockStartNs: I('waiting') },
  HaltFrame: {
    wait: K, kind: I('wait'), expired: I('wait'), ignoreInterrupts: I('wait'), pending: I('wait'), timer: I('wait'), untilNs: I('wait'), next: I('wait'), emt: C,
  },
  WaitU: { fatal: K, kind: K, waiting: K, woken: K, timer: I('waiting'), wakeUp: C, 'wakeUp.event': C, 'wakeUp.target': C, emt: C, halt: C },
  EventSem: { fSignalled: K, waiter: K, label: I('position'), sched: C },
  SemWaiter: { timer: I('timers'), sem: C, wake: C },
  Gvmm: {
    // config is frozen (GVMMR0SetConfig replaces it; no checker world sets it).
    schedOps: K, table: K, config: C, sched: C,
  },
  GvmmSched: { cHaltedEMTs: K, uNsNextEmtWakeup: K, asWritten: C, config: C, doingEarlyWakeUps: I('between steps'), index: C, sched: C, table: C },
  GvmmHandleTable: {
    gvms: K, cells: I('handle'), sinks: C, links: I('handle'), cEMTs: I('handle'), cVMs: I('handle'), iFreeHead: I('handle'), iUsedHead: I('handle'), maxHandles: C,
  },
  'HeldCell:gvmmHandle': { ...CELL, 'context.cCpus': C, 'context.emts': I('handle'), 'context.session': I('handle') },
  Gvm: { cpus: K, alive: I('VM state'), handle: I('VmCore.handle'), session: I('handle'), cCpus: C, binding: C },
  GvmCpu: { haltExpireNs: K, signalled: K, wait: K, idCpu: I('position'), handle: C, 'wait.result': I('wait'), 'wait.startNs': I('wait'), 'wait.timer': I('timers'), 'wait.wake': C },
  VmGvmBinding: { vm: C },
  // Time and the scheduler.
  DeterministicScheduler: {
    readyList: K, timers: K, clock: K,
    autoRun: C, disposed: C, mode: C, policy: C, prng: C, record: C, holds: I('between steps'), replayAt: C, settled: I('between steps'),
  },
  VirtualClock: { now: K, kind: C },
  PendingTimer: { dueNs: K, action: I('timer label'), 'action.event': I('timer label'), 'action.target': I('timer label'), daemon: I('timer label') },
  // A save or a teleport: the flows, the SSM handle, its live save and stream.
  SavedState: { ram: K, saveFlows: K, _registry: K, execNs: I('SSM state'), execSince: I('SSM state'), vm: C },
  SsmUnitRegistry: { cancellable: K, _units: I('SSM state') },
  SaveFlow: {
    cell: K, ctx: I('flow state'), failRc: I('flow state'), bandwidth: C, op: I('label'), out: C, done: C, pool: C, thread: C,
  },
  SaveRequest: {
    op: I('label'), after: I('label'), live: I('label'), 'live.bandwidthBytesPerSec': I('label'), 'live.maxDowntimeMs': I('label'),
    openSink: I('label'), out: C, pool: C,
  },
  SaveContext: {
    after: I('label'), finalBytes: I('flow state'), live: I('label'), 'live.bandwidthBytesPerSec': I('label'), 'live.maxDowntimeMs': I('label'),
    'live.onProgress': C, liveHandle: I('flow state'), openError: I('flow state'), openSink: I('flow state'), sink: I('flow state'), ssm: I('flow state'),
    step2Rc: I('flow state'), suspendNs: I('flow state'), suspended: I('flow state'), who: I('label'),
  },
  SsmHandle: {
    cancelled: K, rc: K, liveSave: K, state: I('live save state'),
    after: I('SSM state'), errorMessage: I('rc'), live: I('SSM state'), liveInfo: I('SSM state'), progress: I('SSM state'), reader: I('SSM state'),
    reportedLivePercent: I('SSM state'), unit: I('SSM state'), unitPass: I('SSM state'), unitVersion: I('SSM state'), writer: I('liveSave'),
    _buildInfo: C, _maxDowntimeMs: C, hostBits: C, hostOsAndArch: C,
  },
  SsmLiveSave: {
    cell: K, writer: K, bandwidthBytesPerSec: C, cbMax: I('SSM state'), doneRunDone: I('SSM state'), handle: C, registry: C, sink: C, vm: C,
  },
  'HeldCell:ssmLiveSave': {
    ...CELL, 'context.pass': K, 'context.after': I('SSM state'), 'context.cancellable': I('SSM state'), 'context.cancelled': I('cancelled'),
    'context.live': I('SSM state'), 'context.rc': I('rc'),
  },
  SsmStreamWriter: {
    base: K, off: K, _chunk: I('offStream'), _closed: I('SSM state'), _crc: I('offStream'), _data: I('offStream'), _finished: I('SSM state'),
    _lzf: C, _offUnit: I('offStream'), crcOff: I('offStream'), dataOff: I('offStream'), footerStreamCrc: I('offStream'), live: C, progress: C, sink: C,
  },
  SsmProgress: {
    _callback: C, cbEstTotal: I('offStream'), live: C, offEst: I('offStream'), offEstProgress: I('offStream'), offEstUnitEnd: I('offStream'),
    percent: I('offStream'), percentDone: C, percentLive: C, percentPrepare: C,
  },
  SsmUnit: {
    _callbacks: C, called: I('SSM state'), cbGuess: C, doneLive: I('SSM state'), instance: C, name: C, offStream: I('offStream'), onCallbackError: C,
    owner: C, 'owner.bestMs': I('pass'), 'owner.idleZeroPages': I('pass'), 'owner.lastPass': I('pass'), 'owner.passesSinceBest': I('pass'), 'owner.ram': C, version: C,
  },
  GuestRam: {
    dirtyPages: K, tracking: I('SSM state'), _dirty: I('dirtyPages'), _nonZero: I('guest writes'), _ram: I('guest writes'), _prng: I('guest writes'), seed: C,
    carryBytes: I('guest writes'), lastNs: I('guest writes'), pagesWritten: I('guest writes'), stamp: I('guest writes'),
    dirtyBytesPerSec: C, pageCount: C, sizeBytes: C,
  },
  CountingSink: { aborted: I('SSM state'), bytes: I('offStream'), committed: I('SSM state'), isFile: C },
  MemorySource: { _pos: I('load state'), bytes: C, isFile: C, name: C },
  LoadRequest: { api: I('label'), name: I('label'), path: I('label'), teleporting: I('label') },
};
