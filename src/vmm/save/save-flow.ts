/**
 * vmR3SaveTeleport (vbox-facts.md §7.1) as a SaveFlow record a thread outside the VM steps through the states of
 * machines/vm-save-teleport.ts (SAVE_STEPS maps each to its step; the live handle's ssmLiveSave machine routes
 * step 1): vmR3Save on EMT(0);
 * then, for a live save, step 1 as thread steps (the prepare run, and per pass an exec run, the time the
 * stream needs to move that pass, and a vote run), the vmR3LiveDoSuspend rendezvous (VERR_TRY_AGAIN retried
 * every 250 ms of GIP time), vmR3LiveDoStep2 on EMT(0), or SSMR3LiveDone and the vmR3LiveDoStep1Cleanup
 * ONCE rendezvous when step 1 failed. Every hop is a scheduler step, so a power-off or a suspend can land
 * between any two of them.
 *
 * Transfer time: on the virtual clock a pass's bytes take bytes / bandwidth of GIP time to move before the vote
 * (the stream's buffers drain at that rate), and so does the final pass before SSMR3LiveDone — which is why
 * vmR3LiveDoStep2 is two EMT(0) requests here with the drain between them. On the real clock the bytes take
 * whatever the file or socket takes (a socket sink is waited for between passes).
 */
import { rendezvousFlags } from '../../../machines/rendezvous.js';
import { vmSaveTeleportMachine, type VmSaveTeleportEvent, type VmSaveTeleportState } from '../../../machines/vm-save-teleport.js';
import { bindCode, defineCodes, persistable } from '../../persist/registry.js';
import { pushed, removedAt } from '../../persist/empty-list.js';
import { emitCellEdge } from '../../sched/cell-edges.js';
import { sharedEvents, type MachineCell, type TransitionListener } from '../../sched/machine-cell.js';
import { heldCell, sendHeld, type CellHolder } from '../../sched/held-cell.js';
import type { TimerTarget } from '../../sched/scheduler.js';
import {
  RT_FAILURE, VBoxError, VERR_INVALID_PARAMETER, VERR_SSM_CANCELLED, VERR_SSM_INVALID_STATE, VERR_TRY_AGAIN, VINF_SUCCESS,
} from '../../status.js';
import { NS_PER_MS } from '../../time/clock.js';
import { reqCallOp, type ExternalThread, type Operation } from '../external.js';
import { DESC_SOE } from '../lifecycle.js';
import { rendezvousOp } from '../operations.js';
import type { ReqPool } from '../requests.js';
import { deliverStatus, type ReqFn, type StatusReceiver } from '../types.js';
import type { VmCore } from '../vm-core.js';
import { LIVE_SAVE_DEFAULT_BANDWIDTH, savedStatePortOf, type SaveSink } from './ports.js';
import { SAVE_WORKERS, SaveContext } from './workers.js';

/** VMR3Save's cMsMaxDowntime. */
export const VMR3SAVE_MAX_DOWNTIME_MS = 250;
/** vmR3SaveTeleport sleeps this long before retrying a vmR3LiveDoSuspend that said VERR_TRY_AGAIN. */
export const LIVE_SUSPEND_RETRY_MS = 250;

export interface SaveOptions {
  /** Percent done, 0..100, rising (the live split is prepare 2 / live 93 / exec 3 / done 2). */
  onProgress?: (percent: number) => void;
  /** SSMAFTER_CONTINUE (default) or, when false, SSMAFTER_DESTROY. */
  continueAfterwards?: boolean;
  /** cMsMaxDowntime handed to the units' votes (VMR3Save: 250). */
  maxDowntimeMs?: number;
  /** Bytes per second the stream moves: the votes' estimate and, on the virtual clock, the transfer time. */
  bandwidthBytesPerSec?: number;
  /** LZF on 4 KiB blocks (default true). */
  lzf?: boolean;
}

export interface SaveResult {
  /** VINF_SUCCESS, or VINF_SSM_LIVE_SUSPENDED when the VM had been suspended by someone else. */
  readonly rc: number;
  readonly live: boolean;
  /** Live passes run (exec + vote); 0 for a plain save. */
  readonly passes: number;
  /** Bytes of the saved-state stream. */
  readonly bytes: number;
  /** From the live flow's suspend to the end of step 2, GIP ns; null when the flow did not suspend the VM. */
  readonly downtimeNs: number | null;
  /** *pfSuspended: the save suspended the VM. */
  readonly suspended: boolean;
}

/** What a save operation leaves for its caller besides the status: the figures, and a file error with its message. */
export interface SaveOut {
  result?: SaveResult;
  error?: VBoxError;
}

/** A sink whose bytes leave asynchronously (a socket): on the real clock the save waits for them between passes. */
export interface DrainableSink extends SaveSink {
  whenDrained(then: () => void): void;
  /**
   * The stream's pfnIsOk, asked between live passes (teleporterTcpOpIsOk: anything the target sent mid-stream is
   * its NACK, VERR_SSM_CANCELLED): a failure ends step 1 through its cleanup, the VM back to RUNNING.
   */
  isOk?(): number;
}

const isDrainable = (sink: SaveSink | null): sink is DrainableSink => typeof (sink as Partial<DrainableSink> | null)?.whenDrained === 'function';

/** Where a save goes: a file path (crash-safe temp file + rename), a sink, or a function that opens one on EMT(0). */
export type SaveTarget = string | SaveSink | (() => SaveSink);

export function openSinkOf(vm: VmCore, target: SaveTarget): () => SaveSink {
  if (typeof target === 'string') {
    if (target.length === 0) throw new VBoxError(VERR_INVALID_PARAMETER, 'save: the file name is empty');
    return bindCode(SINK_OPENERS.openFile, vm, target);
  }
  if (typeof target === 'function') return target;
  if (typeof target === 'object' && target !== null && typeof target.write === 'function') return bindCode(SINK_OPENERS.givenSink, target);
  throw new VBoxError(VERR_INVALID_PARAMETER, 'save: the target must be a file name or a saved-state sink');
}

/** How a save's stream is opened on EMT(0), as code bound to data (the path, or the embedder's sink). */
const SINK_OPENERS = defineCodes('save.open', {
  openFile: (vm: VmCore, path: string): SaveSink => savedStatePortOf(vm).openFile(path),
  givenSink: (sink: SaveSink): SaveSink => sink,
});

/** Check the options like the API checks its arguments: bad input throws and nothing runs. */
export function checkSaveOptions(options: SaveOptions): void {
  const positive = (name: string, v: number | undefined) => {
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new VBoxError(VERR_INVALID_PARAMETER, `${name} must be a positive number, got ${String(v)}`);
  };
  if (typeof options !== 'object' || options === null) throw new VBoxError(VERR_INVALID_PARAMETER, 'save options must be an object');
  positive('maxDowntimeMs', options.maxDowntimeMs);
  if (options.maxDowntimeMs !== undefined && (!Number.isInteger(options.maxDowntimeMs) || options.maxDowntimeMs > 0xffffffff)) {
    throw new VBoxError(VERR_INVALID_PARAMETER, `maxDowntimeMs must be a 32-bit integer, got ${options.maxDowntimeMs}`);
  }
  positive('bandwidthBytesPerSec', options.bandwidthBytesPerSec);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new VBoxError(VERR_INVALID_PARAMETER, 'onProgress must be a function');
}

/**
 * A save or teleport in progress as data: the arguments and out-parameters the EMT workers share (`ctx`), the
 * figures, and the flow's machine (machines/vm-save-teleport.ts), whose state is the wait in progress and so
 * names the step that runs when it ends (SAVE_STEPS). Step 1's route is read off the handle's machine
 * (machines/ssm-live-save.ts): LIVE_EXEC runs the next exec, LIVE_STEP2 suspends; a failure goes to
 * SSMR3LiveDone and the ONCE cleanup. The flow hangs off the VM's saved-state port (`saveFlows`) until it ends.
 * It is its own timer target: a wait that ends by time or by a thread step comes back as a record naming it.
 */
export class SaveFlow implements TimerTarget, CellHolder<VmSaveTeleportEvent> {
  /** vmR3SaveTeleport's control state: which wait is pending, hence which step comes next (its edges: cellEdge). */
  cell: MachineCell<VmSaveTeleportEvent>;
  readonly id: string;
  /** Live passes run (exec + vote). */
  passes = 0;
  /** The status step 1 or the suspend failed with, reported once SSMR3LiveDone (and the cleanup) ran. */
  failRc = VINF_SUCCESS;
  /**
   * The embedder's onProgress (pfnProgress: an observation, its answer ignored): a host attachment, not saved —
   * a restored flow reports its progress on vm.progress$ only (docs/snapshot.md).
   */
  onProgress: ((percent: number) => void) | undefined;

  constructor(
    readonly op: 'save' | 'teleport',
    readonly pool: ReqPool,
    readonly thread: ExternalThread,
    readonly ctx: SaveContext,
    readonly out: SaveOut,
    readonly done: StatusReceiver,
    readonly bandwidth: number,
  ) {
    // The flow holds its cell (sendHeld at each wait): the edges reach the VM through the flow's pool (cellEdge).
    this.cell = heldCell<VmSaveTeleportEvent>(vmSaveTeleportMachine, `${pool.vm.id}/${op}-${thread.id}`);
    this.id = `${thread.id}/${op}`;
  }

  /** One of the flow's requests or rendezvous completed (the flow is their StatusReceiver: no code bound per wait). */
  report(rc: number): void {
    resume(this, rc);
  }

  /** The flow resumes as its thread's next step (a record posted per wait: the flow keeps none between waits). */
  postResume(): void {
    this.thread.post({ target: this, event: 'step' });
  }

  /** An edge of the flow's machine, on the VM's event stream. */
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1], event: Parameters<TransitionListener>[2]): void {
    emitCellEdge(this.pool.vm, 'vmSaveTeleport', cell, from, event);
  }

  /** pfnProgress of the flow's SSM handle: the embedder's onProgress (its answer ignored), then vm.progress$. */
  progressed(percent: number): void {
    const vm = this.pool.vm;
    if (this.onProgress) vm.callVoid('onProgress callback', this.onProgress, percent);
    savedStatePortOf(vm).reportProgress(this.op, percent, vm.nowNs());
  }

  /** 'delay': a timer ran out, the flow goes on as the thread's next step; 'step': that step. */
  timerFired(event: string): void {
    if (event === 'delay') this.postResume();
    else resume(this, VINF_SUCCESS);
  }
}
// `id` names the flow after its thread (`ext.4/save`): a name, not a state.
persistable('SaveFlow', SaveFlow, { transient: ['onProgress'], history: ['id', 'passes'] });

/** A state in which the flow waits for something; `done` and `failed` wait for nothing. */
type WaitState = Exclude<VmSaveTeleportState, 'idle' | 'done' | 'failed'>;
type Wait = Exclude<VmSaveTeleportEvent, { type: 'finish' }>['type'];

/**
 * The step each wait leads to (vbox-facts.md §7.1), each one scheduler step; `rc` is what the wait that ended
 * answered (a request's or rendezvous' status).
 */
const SAVE_STEPS: { readonly [K in WaitState]: (flow: SaveFlow, rc: number) => void } = {
  // vmR3Save returned (EMT(0)): a plain save or a failure is over; a live one starts step 1 (SSMR3LiveDoStep1).
  vmR3Save: (flow, rc) => (RT_FAILURE(rc) || flow.ctx.ssm === null ? finish(flow, rc) : post(flow, 'prep')),
  // ssmR3DoLivePrepRun.
  livePrep: (flow) => afterStep1Run(flow, flow.ctx.ssm!.prepRun()),
  // The stream's pfnIsOk (a teleport target's NACK cancels), then ssmR3DoLiveExecRun; the pass's bytes move before the vote.
  liveExec: (flow) => {
    const { ctx } = flow;
    const ok = isDrainable(ctx.sink) ? (ctx.sink.isOk?.() ?? VINF_SUCCESS) : VINF_SUCCESS;
    if (RT_FAILURE(ok)) return step1Failed(flow, ok);
    const ssm = ctx.ssm!;
    const bytes = ssm.execRun();
    if (RT_FAILURE(bytes)) return step1Failed(flow, bytes);
    flow.passes++;
    transfer(flow, bytes, `pass.${ssm.pass}`, 'transfer');
  },
  // ssmR3DoLiveVoteRun.
  passDrain: (flow) => afterStep1Run(flow, flow.ctx.ssm!.voteRun()),
  suspending: (flow, rc) => {
    if (rc === VERR_TRY_AGAIN) return timer(flow, LIVE_SUSPEND_RETRY_MS * NS_PER_MS, 'live-suspend-retry', 'retry');
    if (!RT_FAILURE(rc)) return step2(flow);
    flow.failRc = rc;
    onEmt0(flow, bindCode(SAVE_WORKERS.ssmR3LiveDone, flow.ctx), 'liveDone');
  },
  suspendRetry: (flow) => suspend(flow),
  // vmR3LiveDoStep2's first half ran: the final pass moves, then the second half (SSMR3LiveDone, → SUSPENDED).
  step2a: (flow) => transfer(flow, flow.ctx.finalBytes, 'final-pass', 'drain'),
  drain: (flow) => onEmt0(flow, bindCode(SAVE_WORKERS.vmR3LiveDoStep2Done, flow.ctx), 'step2Done'),
  step2b: (flow, rc) => finish(flow, rc, flow.ctx.suspendNs === null ? null : flow.pool.vm.nowNs() - flow.ctx.suspendNs),
  // Step 4: step 1 failed and SSMR3LiveDone ran — the ONCE cleanup; its error replaces VERR_SSM_CANCELLED.
  liveDone: (flow) => {
    go(flow, 'cleanup');
    rendezvousOp(flow.pool, rendezvousFlags('once'), bindCode(SAVE_WORKERS.vmR3LiveDoStep1Cleanup, flow.ctx))(flow.thread, flow);
  },
  suspendLiveDone: (flow) => finish(flow, flow.failRc),
  cleanup: (flow, rc) => finish(flow, RT_FAILURE(rc) && flow.failRc === VERR_SSM_CANCELLED ? rc : flow.failRc),
};

/** The wait ended: take the step the flow's state names. */
const resume = (flow: SaveFlow, rc: number): void => SAVE_STEPS[flow.cell.value as WaitState](flow, rc);

/** The flow's code held in state: a drained socket's callback and the operation's start, bound to their records. */
const FLOW_CODE = defineCodes('save.flow', {
  postResume: (flow: SaveFlow): void => flow.postResume(),
  start: startSaveFlow,
});

/** Enter the next wait (an edge of the flow's machine; a refused one is an engine bug). */
function go(flow: SaveFlow, event: VmSaveTeleportEvent | Wait): void {
  const e = typeof event === 'string' ? WAIT_EVENTS[event] : event;
  if (!sendHeld(flow, e)) throw new Error(`${flow.cell.systemId}: no ${e.type} edge from ${flow.cell.value}`);
}

const WAIT_EVENTS = sharedEvents<Exclude<VmSaveTeleportEvent, { type: 'finish' }>>({
  start: true, prep: true, exec: true, transfer: true, suspend: true, retry: true, step2: true, drain: true, step2Done: true, liveDone: true, cleanup: true,
});

/** After a prepare or vote run the handle's machine says where step 1 goes. */
function afterStep1Run(flow: SaveFlow, rc: number): void {
  if (RT_FAILURE(rc)) return step1Failed(flow, rc);
  const state = flow.ctx.ssm!.state;
  if (state === 'LIVE_EXEC') return post(flow, 'exec'); // prepared, or some unit voted for another pass
  if (state === 'LIVE_STEP2') return suspend(flow); // "Step 1 completed after pass N"
  step1Failed(flow, VERR_SSM_INVALID_STATE);
}

/** Step 3: vmR3LiveDoSuspend (DESCENDING | STOP_ON_ERROR) unless the VM is SAVING already. */
function suspend(flow: SaveFlow): void {
  if (flow.pool.vm.vmState === 'SAVING') return step2(flow);
  go(flow, 'suspend');
  rendezvousOp(flow.pool, DESC_SOE, bindCode(SAVE_WORKERS.vmR3LiveDoSuspend, flow.ctx))(flow.thread, flow);
}

function step1Failed(flow: SaveFlow, rc: number): void {
  flow.failRc = rc;
  onEmt0(flow, bindCode(SAVE_WORKERS.ssmR3LiveDone, flow.ctx), 'liveDone');
}

const step2 = (flow: SaveFlow): void => onEmt0(flow, bindCode(SAVE_WORKERS.vmR3LiveDoStep2, flow.ctx), 'step2');

/** A request to EMT(0) (VMR3ReqCallWait); the flow resumes with its status. */
function onEmt0(flow: SaveFlow, fn: ReqFn, wait: Wait): void {
  go(flow, wait);
  reqCallOp(flow.pool, { target: 0 }, fn, [])(flow.thread, flow);
}

/** The flow resumes as the thread's next step. */
function post(flow: SaveFlow, wait: Wait): void {
  go(flow, wait);
  flow.postResume();
}

/** The flow resumes as a thread step once `delayNs` of GIP time passed. */
function timer(flow: SaveFlow, delayNs: number, label: string, wait: Wait): void {
  go(flow, wait);
  const vm = flow.pool.vm;
  vm.host.sched.setTimer(vm.nowNs() + delayNs, `${flow.thread.id}/${label}`, { target: flow, event: 'delay' });
}

/** The stream moves `bytes` at the configured bandwidth (virtual clock only), then the flow resumes as a thread step. */
function transfer(flow: SaveFlow, bytes: number, label: string, wait: Wait): void {
  const sink = flow.ctx.sink;
  if (flow.pool.vm.host.sched.mode !== 'deterministic') {
    // Real clock: the bytes take what the socket takes (ssmR3StrmCheckAndFlush waiting for the I/O thread).
    if (!isDrainable(sink)) return post(flow, wait);
    go(flow, wait);
    return sink.whenDrained(bindCode(FLOW_CODE.postResume, flow));
  }
  if (bytes <= 0) return post(flow, wait);
  timer(flow, Math.ceil((bytes * 1e9) / flow.bandwidth), label, wait);
}

function finish(flow: SaveFlow, rc: number, downtimeNs: number | null = null): void {
  const { ctx, out } = flow;
  go(flow, { type: 'finish', rc });
  const port = savedStatePortOf(flow.pool.vm);
  port.saveFlows = removedAt(port.saveFlows, port.saveFlows.indexOf(flow));
  out.result = { rc, live: ctx.liveHandle, passes: flow.passes, bytes: ctx.bytes, downtimeNs, suspended: ctx.suspended };
  // A file error carries the file's name: the caller rejects with it rather than with the bare status.
  const error = ctx.openError ?? ctx.sink?.failure ?? null;
  if (RT_FAILURE(rc) && error?.rc === rc) out.error = error;
  deliverStatus(flow.done, rc);
}

/**
 * VMR3Save (op 'save') / VMR3Teleport (op 'teleport') from a thread outside the VM: a SaveFlow that starts
 * with vmR3Save on EMT(0). `openSink` runs on EMT(0) inside vmR3Save (SSMR3LiveSave opens the file there).
 * The result lands in `out` before the status is reported.
 */
export function saveFlowOp(
  pool: ReqPool,
  openSink: () => SaveSink,
  op: 'save' | 'teleport',
  options: SaveOptions,
  out: SaveOut,
): Operation {
  checkSaveOptions(options);
  return bindCode(FLOW_CODE.start, new SaveRequest(pool, openSink, op, options, out));
}

/** A save or teleport asked for and not yet started: the operation's arguments as a record (options as data). */
export class SaveRequest {
  readonly after: SaveContext['after'];
  readonly live: SaveContext['live'];
  /** The embedder's onProgress: an observation, not written to a snapshot (as SaveFlow's). */
  onProgress: ((percent: number) => void) | undefined;

  constructor(
    readonly pool: ReqPool,
    readonly openSink: () => SaveSink,
    readonly op: 'save' | 'teleport',
    options: SaveOptions,
    readonly out: SaveOut,
  ) {
    this.after = op === 'teleport' ? 'TELEPORT' : options.continueAfterwards === false ? 'DESTROY' : 'CONTINUE';
    const bandwidth = options.bandwidthBytesPerSec ?? LIVE_SAVE_DEFAULT_BANDWIDTH;
    this.live = { maxDowntimeMs: options.maxDowntimeMs ?? VMR3SAVE_MAX_DOWNTIME_MS, bandwidthBytesPerSec: bandwidth, ...(options.lzf !== undefined ? { lzf: options.lzf } : {}) };
    this.onProgress = options.onProgress;
  }
}
persistable('SaveRequest', SaveRequest, { transient: ['onProgress'] });

/** The operation's first step on its thread: the flow record, then vmR3Save on EMT(0). */
function startSaveFlow(request: SaveRequest, thread: ExternalThread, done: StatusReceiver): void {
  const { pool, op } = request;
  const vm = pool.vm;
  const ctx = new SaveContext(op === 'save' ? 'VMR3Save' : 'VMR3Teleport', request.after, request.openSink, { ...request.live });
  const flow = new SaveFlow(op, pool, thread, ctx, request.out, done, request.live.bandwidthBytesPerSec);
  flow.onProgress = request.onProgress;
  ctx.live.onProgress = flow;
  const port = savedStatePortOf(vm);
  port.saveFlows = pushed(port.saveFlows, flow);
  onEmt0(flow, bindCode(SAVE_WORKERS.vmR3Save, ctx), 'start');
}
