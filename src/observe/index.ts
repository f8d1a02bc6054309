/**
 * vmm-actors/observe: real VirtualBox release logs (VBox.log, 3.1 and later) read, checked against
 * machines/vm.ts and re-enacted by the engine. See docs/observe.md.
 */
export { DEFAULT_MAX_CALLS, observeFile, observeLog, ObserveInputError, reportOf, type ObserveOptions, type ObserveReport, type ObserveResult, type ObservedChange } from './observe.js';
export { formatReport } from './report.js';
export type { Verdict, Violation } from './conformance.js';
export type { CallOutcome, Divergence, Reenactment } from './reenact.js';
export { OBSERVED_VM, REENACTED_VM } from './trace.js';
