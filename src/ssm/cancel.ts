/**
 * SSMR3Cancel (vbox-facts.md §7.5): flips the cancellation word of the registry's cancellable handle — success,
 * VERR_SSM_ALREADY_CANCELLED, or VERR_SSM_NO_PENDING_OPERATION when nothing can be cancelled. The operation sees
 * it in its next put/get (VERR_SSM_CANCELLED), before its next unit, or after the unit it is loading.
 */
import { VERR_SSM_NO_PENDING_OPERATION } from '../status.js';
import type { SsmUnitRegistry } from './units.js';

export function ssmCancel(registry: SsmUnitRegistry): number {
  const handle = registry.cancellable;
  if (!handle) return VERR_SSM_NO_PENDING_OPERATION;
  return handle.cancel();
}
