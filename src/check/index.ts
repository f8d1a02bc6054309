/**
 * `vmm-actors/check`: the model checker. explore() runs every interleaving of a scenario's clients and the
 * engine's EMTs over the engine's own machines; replayTrace() re-runs a counterexample in the deterministic
 * runtime. Test-only engine mutants live in ./mutants.js and are deliberately not exported here.
 */
export { explore, type ExploreMode, type ExploreOptions, type ExploreResult, type Progress } from './explore.js';
export type { CheckpointOptions } from './checkpoint/checkpoint.js';
export { closeSearchThreads } from './search-thread.js';
export { replayTrace, replayRecords, type ReplayOptions, type ReplayResult } from './replay.js';
export { parseScenario, parseScenarioText, describeCall, ScenarioError, CALL_NAMES, type ScenarioSpec, type Scenario, type CallSpec, type ClientSpec, type CallName } from './scenario.js';
export { formatSummary, formatViolation, formatCoverage } from './report.js';
export type { Coverage, MachineCoverage } from './coverage.js';
export type { SamplingFigures, StrategyFigures } from './pct.js';
export type { Counterexample } from './trace.js';
export type { Violation, UserInvariant, PropertyDef, Monitor } from './property.js';
export type { WorldView, ClientView } from './view.js';
export { BUILT_IN_PROPERTIES } from './invariants/index.js';
export { auditStateKey, formatKeyAudit, type KeyAuditOptions, type KeyAuditResult, type KeyMismatch } from './key-audit.js';
export { VMSTATE_TABLE_EDGES, VMSTATE_CODE_ONLY_EDGES } from './vmstate-table.js';
