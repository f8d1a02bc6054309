/**
 * SSMR3Save, the non-live save (vbox-facts.md §7.3): a handle with the 20 % prepare / 2 % done progress split,
 * the file header, then ssmR3SaveDoCommon (prep, final exec, END + directory + footer, done) and
 * ssmR3SaveDoClose: a complete stream is committed (for a file: fsync + rename over the target) and reports 100;
 * anything else is discarded (the temp file deleted) after the done run. Pure of VM state: it takes a unit
 * registry, a target (a path or any sink) and a progress callback; the VM wraps it for vm.save().
 */
import { RT_FAILURE, VBoxError, VERR_INVALID_PARAMETER, VERR_SSM_CANCELLED, VERR_WRONG_ORDER } from '../status.js';
import type { SsmAfter } from './constants.js';
import { SsmHandle } from './handle.js';
import type { SsmProgressCallback } from './progress.js';
import { saveDoCommon, saveDoDoneRun } from './save-runs.js';
import { FileSink, type SsmSink } from './sinks.js';
import { SsmStreamWriter } from './stream-writer.js';
import type { SsmUnitRegistry } from './units.js';

export interface SsmSaveOptions {
  /** SSMAFTER_DESTROY (default) or SSMAFTER_CONTINUE. */
  after?: Extract<SsmAfter, 'DESTROY' | 'CONTINUE'>;
  onProgress?: SsmProgressCallback;
  /** LZF on 4 KiB blocks (default true, as VirtualBox). */
  lzf?: boolean;
  /** Called with the handle once it is cancellable (tests and embedders that cancel from elsewhere). */
  onHandle?: (handle: SsmHandle) => void;
}

export interface SsmSaveResult {
  /** Bytes written, footer included. */
  cbStream: number;
  /** The finished stream CRC (footer u32StreamCRC). */
  streamCrc: number;
}

/** A registry or anything that carries one (a VM's SSM state). */
export type SsmRegistryHolder = SsmUnitRegistry | { ssmRegistry: SsmUnitRegistry };

export function registryOf(holder: SsmRegistryHolder): SsmUnitRegistry {
  return 'ssmRegistry' in holder ? holder.ssmRegistry : holder;
}

/** SSMR3Save. Throws VBoxError (the handle status, e.g. VERR_SSM_CANCELLED or a unit's failure) and leaves no file. */
export function ssmSave(holder: SsmRegistryHolder, target: string | SsmSink, opts: SsmSaveOptions = {}): SsmSaveResult {
  const registry = registryOf(holder);
  const after = opts.after ?? 'DESTROY';
  if (after !== 'DESTROY' && after !== 'CONTINUE') throw new VBoxError(VERR_INVALID_PARAMETER, `SSMR3Save: enmAfter ${after} is not DESTROY or CONTINUE.`);
  if (registry.cancellable) throw new VBoxError(VERR_WRONG_ORDER, 'Another saved-state operation is in progress on this registry.');

  const handle = new SsmHandle({ after, live: false, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  handle.progress.setSplit(20, 0, 2);
  const sink = typeof target === 'string' ? new FileSink(target) : target;
  let writer: SsmStreamWriter;
  try {
    writer = new SsmStreamWriter(sink, { cUnits: registry.cUnits, lzf: opts.lzf ?? true, progress: handle.progress });
  } catch (e) {
    sink.abort(false);
    throw e;
  }
  handle.writer = writer;
  registry.resetUnits();

  registry.cancellable = handle;
  opts.onHandle?.(handle);
  saveDoCommon(handle, writer, registry.units);
  return saveDoClose(handle, writer, registry, sink);
}

/** ssmR3SaveDoClose: not cancellable any more; commit a complete stream, discard anything else. */
function saveDoClose(handle: SsmHandle, writer: SsmStreamWriter, registry: SsmUnitRegistry, sink: SsmSink): SsmSaveResult {
  if (registry.cancellable === handle) registry.cancellable = null;
  if (handle.isCancelled && !RT_FAILURE(handle.rc)) handle.rc = VERR_SSM_CANCELLED;
  if (!RT_FAILURE(handle.rc)) {
    try {
      writer.commit();
    } catch (e) {
      handle.fail(e instanceof VBoxError ? e.rc : VERR_INVALID_PARAMETER);
    }
  }
  if (!RT_FAILURE(handle.rc)) {
    registry.resetUnits(); // the handle is freed: the units keep their registration only
    handle.progress.report(100);
    handle.state = 'END';
    return { cbStream: writer.offStream, streamCrc: writer.footerStreamCrc };
  }
  writer.abort(handle.rc === VERR_SSM_CANCELLED);
  if (handle.state !== 'SAVE_DONE') saveDoDoneRun(handle, registry.units);
  registry.resetUnits();
  handle.state = 'END';
  throw new VBoxError(handle.rc, saveFailureMessage(handle, sink));
}

/** The unit that was running, and the sink's own error (it names the file) when that is what failed the save. */
function saveFailureMessage(handle: SsmHandle, sink: SsmSink): string {
  const unit = handle.unit ? ` (unit '${handle.unit.name}' instance #${handle.unit.instance})` : '';
  const failure = sink.failure?.rc === handle.rc ? sink.failure : new VBoxError(handle.rc);
  return `Failed to save the VM state${unit}: ${failure.message}`;
}

