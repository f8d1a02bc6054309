/**
 * VMR3LoadFromFile / VMR3LoadFromStream (vbox-facts.md §1.4, §7.6) on EMT(0), without a rendezvous: CREATED or
 * SUSPENDED → LOADING, fTeleportedAndNotFullyResumedYet = fTeleporting, SSMR3Load, then LOADING → SUSPENDED, or
 * LOADING → LOAD_FAILURE with the load's status and VMSetError text (VirtualBox's "Unable to restore …" message
 * when the load raised none). A load is one EMT(0) request, a file's and a teleport target's alike (from the
 * source's "load" to the end of the stream, SUSPENDED or LOAD_FAILURE), as VMR3LoadFromStream's is.
 */
import { bindCode, defineCode, persistable } from '../../persist/registry.js';
import { isVBoxError, RT_FAILURE, VERR_INTERNAL_ERROR, VINF_SUCCESS } from '../../status.js';
import { reqCallOp, type Operation } from '../../vmm/external.js';
import type { ReqPool } from '../../vmm/requests.js';
import { emtSlices, type EmtContext, type EmtResult, type SliceStep } from '../../vmm/types.js';
import type { VmCore } from '../../vmm/vm-core.js';
import { SsmLoadRun } from '../load.js';
import type { PushSource, SsmSource } from '../sources.js';
import { savedStateOf } from '../vm-units.js';

import type { LoadOptions } from '../../vmm/save/ports.js';

export type LoadApi = 'VMR3LoadFromFile' | 'VMR3LoadFromStream';

export type { LoadOptions } from '../../vmm/save/ports.js';

/** VMR3LoadFromFile's failure text when nothing more specific was reported (VM.cpp). */
export const loadFailureMessage = (name: string): string =>
  `Unable to restore the virtual machine's saved state from '${name}'. It may be damaged or from an older version of VirtualBox. Please discard the saved state before starting the virtual machine`;

/**
 * A load's progress report, as code bound to its record: the embedder's onProgress (an observation, transient:
 * a restored load reports on vm.progress$ only) and the VM's progress stream.
 */
const loadProgress = defineCode('ssm.loadProgress', (load: { vm: VmCore; onProgress?: ((percent: number) => void) | undefined }, percent: number): void => {
  const vm = load.vm;
  if (load.onProgress) vm.callVoid('onProgress callback', load.onProgress, percent); // a failure goes to events$
  savedStateOf(vm).progress$.next({ op: 'load', percent, tNs: vm.nowNs() });
});

/** First half (EMT(0)): CREATED → LOADING or SUSPENDED → LOADING, and the teleport flag. */
export function vmR3LoadBegin(vm: VmCore, api: LoadApi, teleporting: boolean): number {
  const ordinal = vm.trySetState(api, vm.apiPairs(api).slice(0, 2));
  if (ordinal < 0) return ordinal;
  vm.fTeleportedAndNotFullyResumedYet = teleporting;
  return VINF_SUCCESS;
}

/** The load failed (or never got its stream): flag cleared, LOADING → LOAD_FAILURE, VMSetError. */
export function vmR3LoadFailed(vm: VmCore, rc: number, message: string | null, name: string): number {
  vm.fTeleportedAndNotFullyResumedYet = false;
  vm.setState('LOAD_FAILURE', 'LOADING');
  const failedCallback = vm.lastError?.error?.rc === rc ? vm.lastError.error : undefined; // a unit callback's: the cause
  vm.setError(rc, message ?? loadFailureMessage(name), failedCallback);
  return rc;
}

/**
 * Second half (EMT(0)): SSMR3Load(SSMAFTER_RESUME or TELEPORT), then SUSPENDED or LOAD_FAILURE, in slices
 * (emtSlices): EMT(0) stays in the load, and other actors and the host run between slices. A record: the SSM
 * load's position (SsmLoadRun) and what the end needs.
 */
export class VmLoadSlices implements Iterator<SliceStep, number, void> {
  readonly load: SsmLoadRun;
  /** The embedder's onProgress: an observation, not written to a snapshot. */
  onProgress: ((percent: number) => void) | undefined;

  constructor(
    readonly vm: VmCore,
    source: string | SsmSource,
    readonly name: string,
    teleporting: boolean,
    options: LoadOptions,
  ) {
    this.onProgress = options.onProgress;
    this.load = new SsmLoadRun(savedStateOf(vm).registry, source, { after: teleporting ? 'TELEPORT' : 'RESUME', onProgress: bindCode(loadProgress, this) });
  }

  next(): IteratorResult<SliceStep, number> {
    let step: IteratorResult<unknown, unknown>;
    try {
      step = this.load.next();
    } catch (error) {
      return { done: true, value: vmR3LoadEnd(this.vm, error, this.load.handle?.errorMessage ?? null, this.name) };
    }
    if (!step.done) return { done: false, value: undefined };
    return { done: true, value: vmR3LoadEnd(this.vm, null, null, this.name) };
  }
}
persistable('VmLoadSlices', VmLoadSlices, { transient: ['onProgress'] });

/** The end of a load (EMT(0)): SUSPENDED when it worked, else LOAD_FAILURE with its status and the unit's text. */
export function vmR3LoadEnd(vm: VmCore, error: unknown, raised: string | null, name: string): number {
  if (error === null) {
    vm.setState('SUSPENDED', 'LOADING');
    return VINF_SUCCESS;
  }
  const rc = isVBoxError(error) && RT_FAILURE(error.rc) ? error.rc : VERR_INTERNAL_ERROR;
  return vmR3LoadFailed(vm, rc, raised, name);
}

/**
 * VMR3LoadFromStream's SSMR3Load as the stream arrives (teleport target, teleporterTrg), for slices of the one
 * EMT(0) request that began the load (vmR3LoadBegin): SsmLoadRun over a PushSource the connection fills, so a
 * mismatch in pass 0 fails at once and the unit callbacks run on EMT(0), which sleeps on the source while bytes
 * are missing. Its last step returns, or throws the load's failure; the caller ends the load (vmR3LoadEnd) in
 * the same request.
 */
export function ssmLoadFromStream(vm: VmCore, source: PushSource, options: LoadOptions): SsmLoadRun {
  return new SsmLoadRun(savedStateOf(vm).registry, source, { after: 'TELEPORT', onProgress: bindCode(loadProgress, { vm, onProgress: options.onProgress }) }, source);
}

/**
 * vm.loadFromFile(path): one request to EMT(0), the load in slices (other actors and the host run between them).
 * The checker passes a source in memory, and for a teleport target VMR3LoadFromStream (fTeleporting) with the
 * whole stream at hand, in the same one request.
 */
export function loadFromFileOp(pool: ReqPool, path: string | SsmSource, options: LoadOptions = {}, api: LoadApi = 'VMR3LoadFromFile'): Operation {
  return reqCallOp(pool, { target: 0 }, bindCode(vmR3Load, new LoadRequest(path, options, api)), []);
}

/** A load asked for: VMR3LoadFromFile's / VMR3LoadFromStream's arguments as a record. */
export class LoadRequest {
  readonly teleporting: boolean;
  readonly name: string;
  /** The embedder's onProgress: an observation, not written to a snapshot. */
  onProgress: ((percent: number) => void) | undefined;

  constructor(
    readonly path: string | SsmSource,
    options: LoadOptions,
    readonly api: LoadApi,
  ) {
    this.teleporting = api === 'VMR3LoadFromStream';
    this.name = typeof path === 'string' ? path : (path.name ?? 'stream');
    this.onProgress = options.onProgress;
  }
}
persistable('LoadRequest', LoadRequest, { transient: ['onProgress'] });

/** The request's function on EMT(0): vmR3LoadBegin, then the load in slices. */
const vmR3Load = defineCode('ssm.vmR3Load', (request: LoadRequest, { vm }: EmtContext): EmtResult => {
  const rc = vmR3LoadBegin(vm, request.api, request.teleporting);
  if (RT_FAILURE(rc)) return rc;
  return emtSlices(new VmLoadSlices(vm, request.path, request.name, request.teleporting, request.onProgress ? { onProgress: request.onProgress } : {}));
});
