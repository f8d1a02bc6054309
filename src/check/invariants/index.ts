/** The built-in safety properties, in the order their violations are reported when several fire at once. */
import type { PropertyDef } from '../property.js';
import { apiStatus } from './api-status.js';
import { deadlock } from './deadlock.js';
import { gvmmHandles } from './gvmm-handles.js';
import { liveSaveCancel } from './live-save-cancel.js';
import { rendezvousOrder } from './rendezvous-order.js';
import { requestOnce } from './request-once.js';
import { requestOrder } from './request-order.js';
import { saveCleanup } from './save-cleanup.js';
import { statusMerge } from './status-merge.js';
import { stopOnError } from './stop-on-error.js';
import { vcpuAgreement } from './vcpu-agreement.js';
import { vmstateEdge } from './vmstate-edge.js';
import { wakeUp } from './wake-up.js';

export const BUILT_IN_PROPERTIES: readonly PropertyDef[] = [
  vmstateEdge, rendezvousOrder, stopOnError, statusMerge, requestOrder, vcpuAgreement, gvmmHandles, liveSaveCancel, saveCleanup, apiStatus, deadlock, requestOnce, wakeUp,
];

export { apiStatus, deadlock, gvmmHandles, liveSaveCancel, rendezvousOrder, requestOnce, requestOrder, saveCleanup, statusMerge, stopOnError, vcpuAgreement, vmstateEdge, wakeUp };
