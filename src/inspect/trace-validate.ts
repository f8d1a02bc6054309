/**
 * Checks one trace record against the shape its readers rely on (the replayer, the fact source, the viewer),
 * so a damaged or hand-written trace fails at its line with what is wrong, not later in a bare TypeError.
 * Returns the problem, or undefined when the record is well-formed. Unknown engine event kinds and inspection
 * types pass (other engine parts emit their own, shown generically; the replayer skips the rest); unknown
 * record types do not.
 */
import { INSPECTION_TYPES } from './records.js';

type Check = readonly [test: (v: unknown) => boolean, want: string];

const str: Check = [(v) => typeof v === 'string', 'a string'];
const num: Check = [(v) => typeof v === 'number' && Number.isFinite(v), 'a finite number'];
const count: Check = [(v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a non-negative integer'];
const cpu: Check = [(v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 0), 'a CPU id or null'];
const obj: Check = [(v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object'];
const list: Check = [(v) => Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null), 'an array of objects'];
const phase: Check = [(v) => v === 'start' || v === 'end', '"start" or "end"'];
const snapshot: Check = [(v) => obj[0](v) && typeof (v as { value?: unknown }).value === 'string', 'an object with a string "value"'];

/** Field → check; a trailing `?` makes the field optional. */
type Shape = Record<string, Check>;

const RECORDS: Record<string, Shape> = {
  header: { format: str, version: num, source: str, setup: obj },
  choice: { choice: obj, seq: count },
  event: { vm: count, event: obj, seq: count },
  inspect: { event: obj, seq: count },
  call: { client: str, api: str, args: [Array.isArray, 'an array'], phase, 'rc?': num, seq: count },
  violation: { property: str, message: str, seq: count },
};

const CHOICES: Record<string, Shape> = {
  step: { index: count, of: count, actor: str, tNs: num },
  timer: { label: str, tNs: num },
};

/** VmTraceEvent (src/vmm/vm-core.ts), the kinds the fact source reads field by field. */
const EVENTS: Record<string, Shape> = {
  state: { from: str, to: str, event: str, by: str, tNs: num },
  'cpu-state': { cpu: count, from: str, to: str, tNs: num },
  emt: { cpu: count, from: str, to: str, tNs: num },
  request: { id: num, from: str, to: str, target: str, cpu, tNs: num },
  rendezvous: { id: str, from: str, to: str, event: str, cpu, tNs: num },
  error: { rc: num, message: str, tNs: num },
  'runtime-error': { flags: num, errorId: str, message: str, tNs: num },
  gvmm: { op: str, handle: num, cpu, rc: num, by: str, tNs: num },
  'halt-method': { from: str, to: str, tNs: num },
  machine: { systemId: str, machine: str, from: str, to: str, event: str, tNs: num, 'rc?': num },
};

const base: Shape = { actorId: str, rootId: str, tNs: num };
const INSPECTIONS: Record<(typeof INSPECTION_TYPES)[number], Shape> = {
  '@xstate.actor': { ...base, snapshot, 'machine?': str, 'parentId?': str },
  '@xstate.event': { ...base, event: obj, 'sourceId?': str },
  '@xstate.microstep': { ...base, snapshot, transitions: list },
  '@xstate.snapshot': { ...base, snapshot, 'sourceId?': str },
  '@xstate.transition': { ...base, event: obj, snapshot, transitions: list, 'sourceId?': str },
};

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function checkShape(value: Record<string, unknown>, shape: Shape, where: string): string | undefined {
  for (const [key, [test, want]] of Object.entries(shape)) {
    const optional = key.endsWith('?');
    const field = optional ? key.slice(0, -1) : key;
    const v = value[field];
    if (optional && v === undefined) continue;
    if (!test(v)) return `${where}: "${field}" must be ${want}, got ${v === undefined ? 'nothing' : shown(v)}`;
  }
  return undefined;
}

/** Variant `kind` of a nested object: its own shape, or (when `open`) any kind whose name is a string. */
function checkVariant(value: unknown, shapes: Record<string, Shape>, key: string, where: string, open: boolean): string | undefined {
  const v = value as Record<string, unknown>;
  const kind = v[key];
  const shape = typeof kind === 'string' ? shapes[kind] : undefined;
  if (shape) return checkShape(v, shape, `${where} (${kind})`);
  if (open && typeof kind === 'string') return undefined;
  return `${where}: "${key}" must be one of ${Object.keys(shapes).map((k) => `"${k}"`).join(', ')}, got ${kind === undefined ? 'nothing' : shown(kind)}`;
}

export function traceRecordProblem(record: unknown): string | undefined {
  if (!obj[0](record)) return `a record must be a JSON object, got ${shown(record)}`;
  const r = record as Record<string, unknown>;
  const shape = typeof r.type === 'string' ? RECORDS[r.type] : undefined;
  if (!shape) return checkVariant(r, RECORDS, 'type', 'record', false);
  const problem = checkShape(r, shape, `${r.type} record`);
  if (problem) return problem;
  if (r.type === 'choice') return checkVariant(r.choice, CHOICES, 'kind', 'choice record: "choice"', false);
  if (r.type === 'event') return checkVariant(r.event, EVENTS, 'kind', 'event record: "event"', true);
  if (r.type === 'inspect') return checkVariant(r.event, INSPECTIONS, 'type', 'inspect record: "event"', true);
  return undefined;
}
