/**
 * The state key: a compact integer encoding of everything that decides what a world can do next, hashed to 64
 * bits. It reads engine internals directly — VM state and enmPrevVMState, force flags, each vCPU state, each
 * EMT's machine state, frame stack and current request, the rendezvous stack (machine snapshot, who entered),
 * queue contents by label, live request packets, pending timers relative to now, the scheduler's ready set,
 * the clients' script positions and the monitors' own state. Raw request ids, thread ids, rendezvous counters
 * and XState session ids never enter it: things are named by who made them (labels.ts).
 *
 * With symmetry the vCPUs of one orbit are relabelled to a canonical order first (symmetry.ts decides when that
 * is sound); every CPU number in the encoding goes through the same permutation.
 */
import { VM_STATES } from '../../machines/vm.js';
import { rendezvousTypeOf } from '../../machines/rendezvous.js';
import type { Frame } from '../vmm/emt.js';
import { CallFrame } from '../vmm/emt-frames.js';
import { RendezvousFrame, type RendezvousInstance } from '../vmm/rendezvous.js';
import type { VmReq } from '../vmm/requests.js';
import type { RequestQueue } from '../streams/request-queue.js';
import type { KeyWriter } from './key-writer.js';
import { intern } from './labels.js';
import { at } from './map-at.js';
import type { World } from './world.js';
import { SSMHANDLE_OK } from '../ssm/constants.js';
import { attachedSavedState } from '../ssm/vm-units.js';
import type { Gvm } from '../gvmm/gvm.js';
import type { Gvmm } from '../gvmm/gvmm.js';
import { haltOf, type VmHalt } from '../vmm/halt/state.js';
import { WaitU } from '../vmm/halt/wait-u.js';

const VM_STATE_INDEX = new Map<string, number>(VM_STATES.map((s, i) => [s, i]));
const stateIndex = (s: string | null | undefined) => (s ? (VM_STATE_INDEX.get(s) ?? intern(s)) : -1);

/** Maps a CPU id to its canonical position, and back for iteration (identity without symmetry). */
export interface CpuOrder {
  /** canonical[i] = the actual CPU encoded at position i. */
  readonly canonical: readonly number[];
  /** position[cpu] = where CPU `cpu` is encoded. */
  readonly position: readonly number[];
}

const IDENTITY: CpuOrder[] = [];

/** Shared per n (read-only): the explorer asks for it at every state. */
export function identityOrder(n: number): CpuOrder {
  let order = IDENTITY[n];
  if (!order) {
    const ids = Array.from({ length: n }, (_, i) => i);
    order = IDENTITY[n] = { canonical: ids, position: ids };
  }
  return order;
}

/** A CPU id through the renaming (`pos`: CpuOrder.position); -1 for none or out of range. */
function cpuAt(pos: readonly number[], c: number | null | undefined): number {
  return typeof c === 'number' && c >= 0 && c < pos.length ? pos[c]! : -1;
}

/**
 * The renaming as one module function for the monitors' encode (symmetry makes a new order per key, so a function
 * per order would be one closure per key): RENAME_POS is the order of the key being written, set just before.
 */
const NO_POS: readonly number[] = [];
let RENAME_POS = NO_POS;
const renameCpu = (c: number): number => cpuAt(RENAME_POS, c);

/**
 * Write the world's state into `key` (then call key.hash()). It runs at every transition, so it allocates nothing:
 * indexed loops (no iterators), module-level callbacks (no closures).
 */
export function encodeWorld(world: World, key: KeyWriter, order: CpuOrder): void {
  const core = world.core;
  const sched = world.sched;
  const labels = world.labels;
  const pos = order.position;
  key.reset();
  key.w(stateIndex(core.vmState));
  key.w(stateIndex((core.state.context as { prevState: string | null }).prevState));
  key.w(core.ff);
  key.w((core.fTerminateEMT ? 1 : 0) | (core.created ? 2 : 0) | (core.pendingResetSoft ? 4 : 0) | (core.fTeleportedAndNotFullyResumedYet ? 8 : 0));
  key.w(core.cActiveEmts);
  key.w(core.resetWaiters.length | (world.cancels << 8));
  const halt = haltEncoding(world);
  // Per vCPU, in canonical order.
  const canonical = order.canonical;
  for (let i = 0; i < canonical.length; i++) encodeCpu(world, canonical[i]!, key, halt);
  if (halt) encodeHaltVm(halt, key);
  encodeQueue(core.globalQueue, key, labels);
  // The rendezvous in progress, outermost first.
  const stack = core.rendezvousStack;
  key.w(stack.length);
  key.w(core.rendezvousLock ? stack.indexOf(core.rendezvousLock) : -2);
  for (let i = 0; i < stack.length; i++) encodeInstance(stack[i]!, key, world, pos);
  // Live packets (not FREE), sorted by label so the order they were allocated in does not matter.
  const live = liveReqs(labels.reqs);
  key.w(live);
  for (let i = 0; i < live; i++) {
    const req = LIVE.reqs[i]!;
    LIVE.reqs[i] = null; // (holds no world past its key)
    key.w(LIVE.ids[i]!); // labels.reqLabelId(req)
    key.w(req.cell.valueTag(intern)); // intern(req.state)
    key.w(req.status);
    key.w(typeof req.target === 'number' ? cpuAt(pos, req.target) : intern(req.target));
    key.w(req.cpu === null ? -1 : cpuAt(pos, req.cpu));
    key.w(req.caller || req.waiter ? 1 : 0); // someone waits on the packet's event
  }
  // Clients and their calls' threads.
  const clients = world.clients;
  for (let i = 0; i < clients.length; i++) {
    const client = clients[i]!;
    key.w(client.position);
    // The statuses its finished calls returned: history to the engine, but `outcomes` reports them, so two runs
    // that differ only there must not merge (one of their ends would go missing).
    const results = client.results;
    key.w(results.length);
    for (let r = 0; r < results.length; r++) key.w(results[r]!);
    key.w(client.pending ? client.pending.labelId : -1);
    key.w(sched.isReady(client) ? 1 : 0);
    const thread = client.thread;
    key.w(thread ? thread.pendingWork | (sched.isReady(thread) ? 256 : 0) : -1);
    // How many packets the call has used: where a multi-step call (save, destroy) is in its flow.
    key.w(client.pending ? labels.allocations(client.pending.label) : 0);
  }
  encodeSave(world, key);
  // Pending timers relative to now (virtual time itself is not state).
  if (sched.pendingTimers === 0) key.w(0);
  else encodeTimers(world, key, pos);
  const monitors = world.monitors;
  if (monitors.length === 0) return;
  RENAME_POS = pos;
  for (let i = 0; i < monitors.length; i++) monitors[i]!.encode?.(key, renameCpu);
  RENAME_POS = NO_POS;
}

function encodeTimers(world: World, key: KeyWriter, pos: readonly number[]): void {
  const now = world.sched.clock.nowNs();
  const timers = world.sched.timerList();
  key.w(timers.length);
  for (const timer of timers) {
    const name = timerName(world.labels.timerLabel(timer.label));
    key.w(name.id);
    key.w(cpuAt(pos, name.cpu)); // an EMT's own timer (halt sleeps, guest slices) names its CPU through the renaming
    key.wide(timer.dueNs - now);
  }
}

/** The live packets of the key being written, in label order, and their label ids: reused arrays never shrunk (a length reset would free their stores). */
const LIVE = { count: 0, reqs: [] as (VmReq | null)[], ids: [] as number[] };

/** Insert a live packet into LIVE by its label (a handful: insertion sort). */
function collectLive(label: { labelId: number }, req: VmReq): void {
  if (req.state === 'FREE') return;
  const { reqs, ids } = LIVE;
  let i = LIVE.count++;
  for (; i > 0 && ids[i - 1]! > label.labelId; i--) {
    reqs[i] = reqs[i - 1]!;
    ids[i] = ids[i - 1]!;
  }
  reqs[i] = req;
  ids[i] = label.labelId;
}

/** Collect the live packets into LIVE (no allocation per key once its arrays have grown); returns how many. */
function liveReqs(reqs: World['labels']['reqs']): number {
  LIVE.count = 0;
  reqs.forEach(collectLive);
  return LIVE.count;
}

/**
 * One vCPU's own part of the key: its vCPU state and force flags, its EMT (machine state, ready, frames, the
 * request it processes), its queue and, with halt methods on, its halt state. No CPU number occurs in it, so
 * symmetry's canonical order sorts the vCPUs by exactly this (plus their parts in the rendezvous and timers).
 */
export function encodeCpu(world: World, c: number, key: KeyWriter, halt: HaltEncoding | null): void {
  const core = world.core;
  const labels = world.labels;
  const emt = core.emts[c]!;
  key.w(core.cpuStates[c]!.valueTag(intern)); // intern(core.cpuState(c))
  key.w(core.cpuFF[c]!);
  key.w(emt.cell.valueTag(intern)); // intern(emt.state)
  key.w((world.sched.isReady(emt) ? 1 : 0) | (emt.countedInactive ? 2 : 0));
  const frames = emt.frames;
  key.w(frames.length);
  for (let i = 0; i < frames.length; i++) encodeFrame(frames[i]!, key, world);
  const processing = labels.processing[c]!;
  key.w(processing.length > 0 ? labels.reqLabelId(processing[processing.length - 1]!) : -1);
  encodeQueue(core.cpuQueues[c]!, key, labels);
  if (halt) encodeHaltCpu(halt, c, key);
}

const TIMER_NAMES = new Map<string, { id: number; cpu: number }>();
const EMT_TIMER = /^(vm\.\d+\/emt\.)(\d+)(\/.*)?$/;

/** `vm.1/emt.2/sem` → the interned name with the CPU left out (`vm.1/emt.` + `*` + `/sem`) and CPU 2; others: CPU -1. */
export function timerName(label: string): { id: number; cpu: number } {
  let name = TIMER_NAMES.get(label);
  if (!name) {
    const m = EMT_TIMER.exec(label);
    name = m ? { id: intern(`${m[1]}*${m[3] ?? ''}`), cpu: Number(m[2]) } : { id: intern(label), cpu: -1 };
    TIMER_NAMES.set(label, name);
  }
  return name;
}

const CALL = intern('call');
/** intern(frame.describe) of a rendezvous frame by its phase, then its type (direct) or role: no string built per key. */
const RENDEZVOUS_DESCRIBED = new Map<string, Map<string, number>>();
const newMap = (): Map<string, number> => new Map();

function rendezvousDescribed(frame: RendezvousFrame): number {
  const phase = frame.phase;
  const second = phase === 'direct' ? rendezvousTypeOf(frame.flags) : frame.role;
  const byPhase = at(RENDEZVOUS_DESCRIBED, phase, newMap);
  let id = byPhase.get(second); // not at(): its make would be a closure per key
  if (id === undefined) byPhase.set(second, (id = intern(frame.describe)));
  return id;
}

function encodeFrame(frame: Frame, key: KeyWriter, world: World): void {
  if (frame instanceof RendezvousFrame) {
    key.w(rendezvousDescribed(frame));
    key.w(frame.instance ? world.labels.rendezvousLabelId(frame.instance) : -1);
    key.w(frame.joined);
    return;
  }
  if (frame instanceof CallFrame) {
    key.w(CALL);
    key.w(world.labels.reqLabelId(frame.req));
    return;
  }
  key.w(intern(frame.describe));
}

function encodeQueue(queue: RequestQueue<VmReq>, key: KeyWriter, labels: World['labels']): void {
  encodeLane(queue.priority, key, labels);
  encodeLane(queue.normal, key, labels);
}

function encodeLane(lane: readonly VmReq[], key: KeyWriter, labels: World['labels']): void {
  key.w(lane.length);
  for (let i = 0; i < lane.length; i++) key.w(labels.reqLabelId(lane[i]!));
}

/** A CPU id in a rendezvous through the renaming: -1 for none, out of range as it is. */
function instanceCpu(pos: readonly number[], c: number | null): number {
  return c === null ? -1 : c >= 0 && c < pos.length ? pos[c]! : c;
}

/** Who entered a rendezvous as a mask of renamed CPUs (a Set's forEach with a module callback: no iterator). */
const ENTERED = { mask: 0, pos: [] as readonly number[] };

function enter(c: number): void {
  ENTERED.mask |= 1 << instanceCpu(ENTERED.pos, c);
}

/** Structural hash of a rendezvous snapshot's context, with CPU numbers relabelled. */
function encodeInstance(instance: RendezvousInstance, key: KeyWriter, world: World, pos: readonly number[]): void {
  const ctx = instance.ctx;
  key.w(world.labels.rendezvousLabelId(instance));
  key.w(instance.cell.valueTag(intern)); // intern(instance.phase)
  key.w(ctx.flags);
  key.w(ctx.status);
  key.w(ctx.cEntered | (ctx.cDone << 8) | (ctx.cReturned << 16) | (ctx.depth << 24));
  key.w(instanceCpu(pos, ctx.caller));
  key.w(instanceCpu(pos, ctx.runner));
  key.w((ctx.token ? 1 : 0) | (ctx.released ? 2 : 0));
  const order = ctx.order;
  key.w(order.length);
  for (let i = 0; i < order.length; i++) key.w(instanceCpu(pos, order[i]!));
  const ran = ctx.ran;
  key.w(ran.length);
  for (let i = 0; i < ran.length; i++) key.w(instanceCpu(pos, ran[i]!));
  ENTERED.mask = 0;
  ENTERED.pos = pos;
  instance.entered.forEach(enter);
  key.w(ENTERED.mask);
  key.w(instance.parent ? world.core.rendezvousStack.indexOf(instance.parent) : -1);
}

/** A save in progress: its flows' machine states, the SSM machine (phase, pass), the handle's status and cancel word, stream bytes. */
function encodeSave(world: World, key: KeyWriter): void {
  const saved = attachedSavedState(world.core);
  const handle = saved?.cancellable; // (registry.cancellable would make the registry)
  key.w(saved ? saved.ram.dirtyPages : -1);
  // Where each vmR3SaveTeleport flow is (its machine's state), in an order that does not depend on start order.
  const flows = saved?.saveFlows ?? [];
  key.w(flows.length);
  if (flows.length === 1) key.w(intern(flows[0]!.cell.value));
  else if (flows.length > 1) for (const id of flows.map((f) => intern(f.cell.value)).sort((a, b) => a - b)) key.w(id);
  if (!handle) return key.w(0);
  const live = handle.liveSave;
  key.w(intern(live ? live.state : handle.state));
  key.w(live ? live.pass : -1);
  key.w(handle.rc);
  key.w(handle.cancelled === SSMHANDLE_OK ? 0 : 1);
  key.wide(live ? live.offStream : 0);
}

/** What the halt part of a key reads (scenario `halt: 'on'`); with halt 'off' none of it ever changes. */
export interface HaltEncoding {
  readonly world: World;
  readonly halt: VmHalt;
  readonly gvmm: Gvmm;
  /** null once GVMMR0DestroyVM ran. */
  readonly gvm: Gvm | null;
  readonly nowNs: number;
}

/** The halt part's inputs, or null with halt methods off. */
export function haltEncoding(world: World): HaltEncoding | null {
  if (world.scenario.halt !== 'on') return null;
  const gvmm = world.core.gvmm!;
  const gvm = gvmm.table.lookup(world.core.handle);
  return { world, halt: haltOf(world.core), gvmm, gvm: typeof gvm === 'number' ? null : gvm, nowNs: world.sched.clock.nowNs() };
}

/**
 * One vCPU's hidden halt state: its VMR3WaitU wait (the EMT has no frame then), its UVMCPU halt state (fWait,
 * semaphore, METHOD_1 history, the halt loop of a halted vCPU) and its GVMM record (halt expiry, event, wait).
 */
function encodeHaltCpu(h: HaltEncoding, c: number, key: KeyWriter): void {
  const idle = h.world.core.emts[c]!.idle;
  if (idle instanceof WaitU) idle.writeState(key);
  else key.w(idle ? -2 : -1);
  h.halt.cpus[c]!.writeState(key, h.nowNs, h.halt.virtualSync);
  if (h.gvm) h.gvmm.schedOps.writeCpuState(h.gvm.cpus[c]!, key);
  else key.w(-4);
}

/** The VM's halt method and GVMM's early wake-up hint. */
function encodeHaltVm(h: HaltEncoding, key: KeyWriter): void {
  h.halt.writeState(key);
  h.gvmm.schedOps.writeState(key);
}
