/**
 * The VM.cpp workers of a save (vbox-facts.md §7.1): vmR3Save on EMT(0), the vmR3LiveDoSuspend rendezvous
 * callback with its state table, vmR3LiveDoStep2 on EMT(0) (split in two around the final pass's transfer
 * time, see save-flow.ts) and the ONCE rendezvous callback vmR3LiveDoStep1Cleanup with its eight ordered pairs.
 * State changes go through VmCore.trySetState / setState, i.e. the VM machine and VM_API_TRANSITIONS.
 */
import {
  RT_FAILURE, VERR_SSM_LIVE_FATAL_ERROR, VERR_SSM_LIVE_GURU_MEDITATION, VERR_SSM_LIVE_POWERED_OFF, VERR_TRY_AGAIN,
  VERR_VM_UNEXPECTED_UNSTABLE_STATE, VERR_VM_UNEXPECTED_VM_STATE, VINF_EM_SUSPEND, VINF_SSM_LIVE_SUSPENDED, VINF_SUCCESS,
  isVBoxError, type VBoxError,
} from '../../status.js';
import { defineCodes, persistable } from '../../persist/registry.js';
import { componentsOf } from '../lifecycle.js';
import type { EmtContext } from '../types.js';
import type { VmCore } from '../vm-core.js';
import { savedStatePortOf, type SaveDriver, type SaveSink, type SaveStart } from './ports.js';

/** What the thread running vmR3SaveTeleport and the EMT workers share (the arguments and out-parameters). */
export class SaveContext {
  /** Opens the stream on EMT(0) (code-table bound, or the embedder's own function); null once it ran. */
  openSink: (() => SaveSink) | null;
  /** The live handle vmR3Save returned (ppSSM) until SSMR3LiveDone frees it; null for a plain save. */
  ssm: SaveDriver | null = null;
  /** SSMR3LiveSave opened a live handle (the result's `live`). */
  liveHandle = false;
  /** The sink vmR3Save opened, until the handle's close closes it. */
  sink: SaveSink | null = null;
  /** *pfSuspended. */
  suspended = false;
  /** GIP time the live flow suspended the VM (RUNNING_LS → SUSPENDING_LS), for the downtime figure. */
  suspendNs: number | null = null;
  /** Stream bytes of the final pass (what the stream still had to move while the VM was down). */
  finalBytes = 0;
  /** vmR3LiveDoStep2's status so far (VINF_SSM_LIVE_SUSPENDED when someone else suspended the VM). */
  step2Rc = VINF_SUCCESS;
  /** Stream bytes written, read when the handle closes (the caller's figure). */
  bytes = 0;
  /** The error that opening or writing the stream threw (its message names the file). */
  openError: VBoxError | null = null;

  constructor(
    readonly who: 'VMR3Save' | 'VMR3Teleport',
    readonly after: SaveStart['after'],
    openSink: () => SaveSink,
    readonly live: Pick<SaveStart, 'maxDowntimeMs' | 'bandwidthBytesPerSec' | 'lzf' | 'onProgress'>,
  ) {
    this.openSink = openSink;
  }
}
// `bytes` is a figure for the caller (SaveResult.bytes): it decides no step of the flow.
persistable('SaveContext', SaveContext, { history: ['bytes'] });

const isFirst = ({ vm, cpu }: EmtContext) => cpu === vm.cCpus - 1;
const statusOf = (error: unknown, fallback: number) => (isVBoxError(error) ? error.rc : fallback);

/**
 * vmR3Save (EMT(0)): SUSPENDED → SAVING (ordinal 1) or RUNNING → RUNNING_LS (ordinal 2). Ordinal 1 without a
 * teleport is the plain save, done here; otherwise SSMR3LiveSave opens the live handle for the caller thread.
 * When SSMR3LiveSave cannot even open the stream, VirtualBox leaves the VM in RUNNING_LS (or SAVING) with the
 * teleport flag set (vbox-facts.md §7.6b); `fidelity: 'as-written'` does so, the default moves the state back.
 */
function vmR3Save(ctx: SaveContext, { vm }: EmtContext): number {
  const ordinal = vm.trySetState(ctx.who, vm.apiPairs(ctx.who).slice(0, 2));
  if (ordinal < 0) return ordinal;
  const port = savedStatePortOf(vm);
  const base = { ...ctx.live, after: ctx.after, vm, id: `${vm.id}/ssm` };
  if (ordinal === 1 && ctx.after !== 'TELEPORT') {
    let rc: number;
    try {
      ctx.sink = openSink(ctx);
      const ssm = port.startSave({ ...base, sink: ctx.sink, live: false });
      ssm.save();
      rc = closeHandle(ctx, ssm);
    } catch (error) {
      rc = failedWith(ctx, error);
    }
    vm.setState('SUSPENDED', 'SAVING');
    return rc;
  }
  if (ctx.after === 'TELEPORT') vm.fTeleportedAndNotFullyResumedYet = true;
  let sink: SaveSink | null = null;
  try {
    sink = openSink(ctx);
    ctx.sink = sink;
    ctx.ssm = port.startSave({ ...base, sink, live: true });
    ctx.liveHandle = true;
    return VINF_SUCCESS;
  } catch (error) {
    sink?.abort(false);
    if (vm.host.fidelity === 'as-written') return failedWith(ctx, error);
    if (vm.vmState === 'RUNNING_LS') vm.setState('RUNNING', 'RUNNING_LS');
    else vm.setState('SUSPENDED', 'SAVING');
    if (ctx.after === 'TELEPORT') vm.fTeleportedAndNotFullyResumedYet = false;
    return failedWith(ctx, error);
  }
}

/** SSMR3LiveSave opens the stream here (EMT(0)); the opener is not needed afterwards. */
function openSink(ctx: SaveContext): SaveSink {
  const open = ctx.openSink!;
  ctx.openSink = null;
  return open();
}

/** The stream could not be opened (or a plain save threw): keep the error for the caller, return its status. */
function failedWith(ctx: SaveContext, error: unknown): number {
  if (isVBoxError(error)) ctx.openError ??= error;
  return statusOf(error, VERR_VM_UNEXPECTED_VM_STATE);
}

/**
 * vmR3LiveDoSuspend (DESCENDING | STOP_ON_ERROR): the first EMT switches on the state under the lock; every
 * EMT then wants SUSPENDING_LS; EMT(0) suspends the devices and ends in SUSPENDED_LS.
 * (as written) A VM already SUSPENDED_EXT_LS or SUSPENDED_LS passes the switch but fails the SUSPENDING_LS
 * check with VERR_VM_UNEXPECTED_UNSTABLE_STATE (§12 item 2); the default treats it as suspended already.
 */
function vmR3LiveDoSuspend(ctx: SaveContext, emt: EmtContext): number {
  const { vm, cpu } = emt;
  const asWritten = vm.host.fidelity === 'as-written';
  if (isFirst(emt)) {
    switch (vm.vmState) {
      case 'RUNNING_LS':
        vm.setState('SUSPENDING_LS', 'RUNNING_LS');
        ctx.suspendNs = vm.nowNs();
        break;
      case 'SUSPENDED_EXT_LS':
      case 'SUSPENDED_LS':
        break; // rc = VINF_SUCCESS, no state change
      case 'DEBUGGING_LS':
        return VERR_TRY_AGAIN;
      case 'OFF_LS':
        vm.setState('OFF', 'OFF_LS');
        return VERR_SSM_LIVE_POWERED_OFF;
      case 'FATAL_ERROR_LS':
        vm.setState('FATAL_ERROR', 'FATAL_ERROR_LS');
        return VERR_SSM_LIVE_FATAL_ERROR;
      case 'GURU_MEDITATION_LS':
        vm.setState('GURU_MEDITATION', 'GURU_MEDITATION_LS');
        return VERR_SSM_LIVE_GURU_MEDITATION;
      default:
        return vm.setError(VERR_VM_UNEXPECTED_VM_STATE, `vmR3LiveDoSuspend: unexpected VM state ${vm.vmState}`);
    }
  }
  const state = vm.vmState;
  if (!asWritten && (state === 'SUSPENDED_EXT_LS' || state === 'SUSPENDED_LS')) {
    // Already suspended (by VMR3Suspend, or by a reset during the live phase): nothing to do here.
    if (cpu === 0) ctx.suspended = state === 'SUSPENDED_LS';
    return VINF_SUCCESS;
  }
  if (state !== 'SUSPENDING_LS') return VERR_VM_UNEXPECTED_UNSTABLE_STATE;
  if (cpu === 0) {
    componentsOf(vm).pdmSuspend(vm);
    if (vm.trySetState('vmR3LiveDoSuspend', [['SUSPENDING_LS', 'SUSPENDED_LS']]) < 0) return VERR_VM_UNEXPECTED_UNSTABLE_STATE;
    ctx.suspended = true;
  }
  return VINF_EM_SUSPEND;
}

/** vmR3LiveDoStep2, first half (EMT(0)): → SAVING, then SSMR3LiveDoStep2 writes the final pass. */
function vmR3LiveDoStep2(ctx: SaveContext, { vm }: EmtContext): number {
  const ssm = ctx.ssm!;
  const state = vm.vmState;
  ctx.step2Rc = VINF_SUCCESS;
  if (state === 'SUSPENDED_LS') vm.setState('SAVING', 'SUSPENDED_LS');
  else {
    if (state !== 'SAVING') vm.setState('SAVING', 'SUSPENDED_EXT_LS');
    ctx.step2Rc = VINF_SSM_LIVE_SUSPENDED;
  }
  const before = ssm.offStream;
  const rc = ssm.step2();
  ctx.finalBytes = ssm.offStream - before;
  if (ctx.step2Rc === VINF_SUCCESS || (RT_FAILURE(rc) && !RT_FAILURE(ctx.step2Rc))) ctx.step2Rc = rc;
  return VINF_SUCCESS;
}

/** vmR3LiveDoStep2, second half (EMT(0)): SSMR3LiveDone, the first error wins, SAVING → SUSPENDED. */
function vmR3LiveDoStep2Done(ctx: SaveContext, { vm }: EmtContext): number {
  let rc = ctx.step2Rc;
  const rc2 = closeHandle(ctx, ctx.ssm!);
  if (rc === VINF_SUCCESS || (RT_FAILURE(rc2) && !RT_FAILURE(rc))) rc = rc2;
  vm.setState('SUSPENDED', 'SAVING');
  return rc;
}

/** SSMR3LiveDone on EMT(0) after a failed step 1 or a failed suspend. */
function ssmR3LiveDone(ctx: SaveContext): number {
  return closeHandle(ctx, ctx.ssm!);
}

/**
 * SSMR3LiveDone / ssmR3SaveDoClose: close the handle and its stream, then let both go (VirtualBox frees the
 * handle): the flow keeps only what the caller is told — the bytes written and the stream's error.
 */
function closeHandle(ctx: SaveContext, ssm: SaveDriver): number {
  const rc = ssm.close();
  ctx.bytes = ssm.offStream;
  ctx.openError ??= ctx.sink?.failure ?? null;
  ctx.ssm = null;
  ctx.sink = null;
  ctx.finalBytes = 0; // moved already (the final pass's transfer ran before the close)
  return rc;
}

/** vmR3LiveDoStep1Cleanup (ONCE): the eight pairs in order; the first three report why the save died. */
function vmR3LiveDoStep1Cleanup(ctx: SaveContext, { vm }: EmtContext): number {
  const ordinal = vm.trySetState('vmR3LiveDoStep1Cleanup', vm.apiPairs('vmR3LiveDoStep1Cleanup'));
  switch (ordinal) {
    case 1: return VERR_SSM_LIVE_POWERED_OFF;
    case 2: return VERR_SSM_LIVE_FATAL_ERROR;
    case 3: return VERR_SSM_LIVE_GURU_MEDITATION;
    case 4:
      ctx.suspended = true;
      return VINF_SUCCESS;
    default:
      // A running VM is not "teleported and not fully resumed": the default drops the flag vmR3Save set.
      if (ordinal === 7 && ctx.after === 'TELEPORT' && vm.host.fidelity !== 'as-written') vm.fTeleportedAndNotFullyResumedYet = false;
      return ordinal < 0 ? ordinal : VINF_SUCCESS;
  }
}

/**
 * The workers in the code table: the flow binds each to its SaveContext (`bindCode(SAVE_WORKERS.vmR3Save, ctx)`),
 * so a request or rendezvous in flight names its worker and the context as data.
 */
export const SAVE_WORKERS = defineCodes('save', {
  vmR3Save, vmR3LiveDoSuspend, vmR3LiveDoStep2, vmR3LiveDoStep2Done, ssmR3LiveDone, vmR3LiveDoStep1Cleanup,
});

export type { VmCore };
