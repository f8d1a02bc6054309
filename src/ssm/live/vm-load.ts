/**
 * VMR3LoadFromFile / VMR3LoadFromStream (vbox-facts.md §1.4, §7.6) on EMT(0), without a rendezvous: CREATED or
 * SUSPENDED → LOADING, fTeleportedAndNotFullyResumedYet = fTeleporting, SSMR3Load, then LOADING → SUSPENDED, or
 * LOADING → LOAD_FAILURE with the load's status and VMSetError text (VirtualBox's "Unable to restore …" message
 * when the load raised none). A file load is one EMT(0) request; a teleport target enters LOADING when the
 * source says "load" and finishes (or fails) once the stream has arrived, as two requests.
 */
import { isVBoxError, RT_FAILURE, VERR_INTERNAL_ERROR, VINF_SUCCESS } from '../../status.js';
import { reqCallOp, type Operation } from '../../vmm/external.js';
import type { ReqPool } from '../../vmm/requests.js';
import type { EmtContext } from '../../vmm/types.js';
import type { VmCore } from '../../vmm/vm-core.js';
import type { SsmHandle } from '../handle.js';
import { ssmLoad } from '../load.js';
import type { SsmSource } from '../sources.js';
import { savedStateOf } from '../vm-units.js';

export type LoadApi = 'VMR3LoadFromFile' | 'VMR3LoadFromStream';

export interface LoadOptions {
  onProgress?: (percent: number) => void;
}

/** VMR3LoadFromFile's failure text when nothing more specific was reported (VM.cpp). */
export const loadFailureMessage = (name: string): string =>
  `Unable to restore the virtual machine's saved state from '${name}'. It may be damaged or from an older version of VirtualBox. Please discard the saved state before starting the virtual machine`;

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

/** Second half (EMT(0)): SSMR3Load(SSMAFTER_RESUME or TELEPORT), then SUSPENDED or LOAD_FAILURE. */
export function vmR3LoadFinish(vm: VmCore, source: string | SsmSource, name: string, teleporting: boolean, options: LoadOptions): number {
  const state = savedStateOf(vm);
  let handle: SsmHandle | null = null;
  try {
    ssmLoad(state.registry, source, {
      after: teleporting ? 'TELEPORT' : 'RESUME',
      onHandle: (h) => (handle = h),
      onProgress: (percent) => {
        if (options.onProgress) vm.callVoid('onProgress callback', options.onProgress, percent); // a failure goes to events$
        state.progress$.next({ op: 'load', percent, tNs: vm.nowNs() });
      },
    });
  } catch (error) {
    const rc = isVBoxError(error) && RT_FAILURE(error.rc) ? error.rc : VERR_INTERNAL_ERROR;
    const raised = (handle as SsmHandle | null)?.errorMessage ?? null;
    return vmR3LoadFailed(vm, rc, raised, name);
  }
  vm.setState('SUSPENDED', 'LOADING');
  return VINF_SUCCESS;
}

/** vm.loadFromFile(path): one request to EMT(0). */
export function loadFromFileOp(pool: ReqPool, path: string, options: LoadOptions = {}): Operation {
  const fn = ({ vm }: EmtContext): number => {
    const rc = vmR3LoadBegin(vm, 'VMR3LoadFromFile', false);
    return RT_FAILURE(rc) ? rc : vmR3LoadFinish(vm, path, path, false, options);
  };
  return reqCallOp(pool, { target: 0 }, fn, []);
}
