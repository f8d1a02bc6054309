/**
 * vmR3SaveTeleport (vbox-facts.md §7.1) as an Operation run by a thread outside the VM: vmR3Save on EMT(0);
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
import { RT_FAILURE, VBoxError, VERR_INVALID_PARAMETER, VERR_SSM_CANCELLED, VERR_TRY_AGAIN, VINF_SUCCESS } from '../../status.js';
import { NS_PER_MS } from '../../time/clock.js';
import { reqCallOp, type Operation } from '../external.js';
import { DESC_SOE } from '../lifecycle.js';
import { rendezvousOp } from '../operations.js';
import type { ReqPool } from '../requests.js';
import type { ReqFn } from '../types.js';
import type { VmCore } from '../vm-core.js';
import { LIVE_SAVE_DEFAULT_BANDWIDTH, savedStatePortOf, type SaveSink } from './ports.js';
import {
  ssmR3LiveDone, vmR3LiveDoStep1Cleanup, vmR3LiveDoStep2, vmR3LiveDoStep2Done, vmR3LiveDoSuspend, vmR3Save, type SaveContext,
} from './workers.js';

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
    return () => savedStatePortOf(vm).openFile(target);
  }
  if (typeof target === 'function') return target;
  if (typeof target === 'object' && target !== null && typeof target.write === 'function') return () => target;
  throw new VBoxError(VERR_INVALID_PARAMETER, 'save: the target must be a file name or a saved-state sink');
}

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
 * VMR3Save (op 'save') / VMR3Teleport (op 'teleport') from a thread outside the VM. `openSink` runs on EMT(0)
 * inside vmR3Save (SSMR3LiveSave opens the file there). The result lands in `out` before the status is reported.
 */
export function saveTeleportOp(
  pool: ReqPool,
  openSink: () => SaveSink,
  op: 'save' | 'teleport',
  options: SaveOptions,
  out: SaveOut,
): Operation {
  checkSaveOptions(options);
  const vm = pool.vm;
  const bandwidth = options.bandwidthBytesPerSec ?? LIVE_SAVE_DEFAULT_BANDWIDTH;
  return (thread, done) => {
    const sched = vm.host.sched;
    const port = savedStatePortOf(vm);
    const onProgress = (percent: number) => {
      if (options.onProgress) vm.callVoid('onProgress callback', options.onProgress, percent); // pfnProgress: its answer is ignored
      port.reportProgress(op, percent, vm.nowNs());
    };
    const ctx: SaveContext = {
      who: op === 'save' ? 'VMR3Save' : 'VMR3Teleport',
      after: op === 'teleport' ? 'TELEPORT' : options.continueAfterwards === false ? 'DESTROY' : 'CONTINUE',
      openSink,
      live: {
        maxDowntimeMs: options.maxDowntimeMs ?? VMR3SAVE_MAX_DOWNTIME_MS, bandwidthBytesPerSec: bandwidth, onProgress,
        ...(options.lzf !== undefined ? { lzf: options.lzf } : {}),
      },
      ssm: null, sink: null, suspended: false, suspendNs: null, finalBytes: 0, step2Rc: VINF_SUCCESS, plainBytes: 0, openError: null,
    };
    let passes = 0;
    const finish = (rc: number, downtimeNs: number | null = null) => {
      out.result = { rc, live: ctx.ssm !== null, passes, bytes: ctx.ssm?.offStream ?? ctx.plainBytes, downtimeNs, suspended: ctx.suspended };
      // A file error carries the file's name: the caller rejects with it rather than with the bare status.
      const error = ctx.openError ?? ctx.sink?.failure ?? null;
      if (RT_FAILURE(rc) && error?.rc === rc) out.error = error;
      done(rc);
    };
    const onEmt0 = (fn: ReqFn, then: (rc: number) => void) =>
      reqCallOp(pool, { target: 0 }, fn, [])(thread, then);
    // The stream moves `bytes` at the configured bandwidth (virtual clock only), then `then` runs as a thread step.
    const afterTransfer = (bytes: number, label: string, then: () => void) => {
      if (sched.mode !== 'deterministic') {
        // Real clock: the bytes take what the socket takes (ssmR3StrmCheckAndFlush waiting for the I/O thread).
        if (isDrainable(ctx.sink)) return ctx.sink.whenDrained(() => thread.post(then));
        return thread.post(then);
      }
      if (bytes <= 0) return thread.post(then);
      sched.setTimer(vm.nowNs() + Math.ceil((bytes * 1e9) / bandwidth), `${thread.id}/${label}`, () => thread.post(then));
    };

    // Step 4: step 1 failed — SSMR3LiveDone, then the ONCE cleanup; its error replaces VERR_SSM_CANCELLED.
    const step1Failed = (rc: number) =>
      onEmt0(ssmR3LiveDone(ctx), () =>
        rendezvousOp(pool, rendezvousFlags('once'), vmR3LiveDoStep1Cleanup(ctx))(thread, (rc2) =>
          finish(RT_FAILURE(rc2) && rc === VERR_SSM_CANCELLED ? rc2 : rc),
        ),
      );

    // Step 3: suspend (unless SAVING already), then step 2 in two halves around the final pass's transfer.
    const suspendThenStep2 = () => {
      if (vm.vmState === 'SAVING') return step2();
      rendezvousOp(pool, DESC_SOE, vmR3LiveDoSuspend(ctx))(thread, (rc) => {
        if (rc === VERR_TRY_AGAIN) {
          sched.setTimer(vm.nowNs() + LIVE_SUSPEND_RETRY_MS * NS_PER_MS, `${thread.id}/live-suspend-retry`, () => thread.post(suspendThenStep2));
          return;
        }
        if (RT_FAILURE(rc)) return onEmt0(ssmR3LiveDone(ctx), () => finish(rc));
        step2();
      });
    };
    const step2 = () =>
      onEmt0(vmR3LiveDoStep2(ctx), () =>
        afterTransfer(ctx.finalBytes, 'final-pass', () =>
          onEmt0(vmR3LiveDoStep2Done(ctx), (rc) => finish(rc, ctx.suspendNs === null ? null : vm.nowNs() - ctx.suspendNs)),
        ),
      );

    // Step 2 of vmR3SaveTeleport: SSMR3LiveDoStep1 on this thread, one run per step.
    const step1 = (ssm: NonNullable<SaveContext['ssm']>) => {
      const pass = () => {
        const ok = isDrainable(ctx.sink) ? (ctx.sink.isOk?.() ?? VINF_SUCCESS) : VINF_SUCCESS;
        if (RT_FAILURE(ok)) return step1Failed(ok);
        const bytes = ssm.execRun();
        if (RT_FAILURE(bytes)) return step1Failed(bytes);
        passes++;
        afterTransfer(bytes, `pass.${ssm.pass}`, () => {
          const rc = ssm.voteRun();
          if (RT_FAILURE(rc)) return step1Failed(rc);
          if (rc === VINF_SUCCESS) return suspendThenStep2();
          thread.post(pass);
        });
      };
      thread.post(() => {
        const rc = ssm.prepRun();
        if (RT_FAILURE(rc)) return step1Failed(rc);
        thread.post(pass);
      });
    };

    onEmt0(vmR3Save(ctx), (rc) => {
      if (RT_FAILURE(rc) || ctx.ssm === null) return finish(rc);
      step1(ctx.ssm);
    });
  };
}

