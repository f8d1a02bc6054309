/**
 * A checker scenario: one VM (vCPUs, fidelity, base config, guest) and client actors, each running a script of
 * public API calls. Scenarios come from code or from JSON files (`vmm-actors check file.json`), so this file
 * parses and validates them and names the offending field in every error; nothing is explored from bad input.
 */
import type { RendezvousTypeName } from '../vmm/operations.js';
import type { CpuTarget } from '../vmm/types.js';
import { statusByName } from '../status.js';
import { HALT_METHOD_SETTINGS, type HaltMethodSetting } from '../vmm/config.js';
import { VMHALTMETHOD } from '../../machines/halt-method.js';

export const CALL_NAMES = [
  'powerOn', 'suspend', 'resume', 'reset', 'softReset', 'powerOff', 'destroy', 'save', 'reqCallWait', 'emtRendezvous',
  'setRuntimeError', 'setGuruMeditation', 'teleport', 'loadFromFile', 'loadFromStream',
] as const;
export type CallName = (typeof CALL_NAMES)[number];

export const RENDEZVOUS_TYPE_NAMES: readonly RendezvousTypeName[] = ['one-by-one', 'all-at-once', 'once', 'ascending', 'descending'];

/** One API call of a client script. Callback statuses apply to reqCallWait and emtRendezvous. */
export interface CallSpec {
  call: CallName;
  /** suspend / resume reason (default USER). */
  reason?: string;
  /** reqCallWait target: a CPU id, 'any', 'any-queue', 'all' or 'all-reverse'. */
  target?: CpuTarget;
  /**
   * reqCallWait: the callback, on its EMT, issues a request to `inner` from EMT code (ctx.reqCallWait; 'any'
   * runs inline there) and answers that status; the inner callback returns `status` / `statusOn`.
   */
  inner?: CpuTarget;
  /** emtRendezvous type and flags. */
  type?: RendezvousTypeName;
  stopOnError?: boolean;
  priority?: boolean;
  /** What the callback returns on every CPU (default VINF_SUCCESS), and per-CPU exceptions. */
  status?: number;
  statusOn?: Record<number, number>;
  /** setRuntimeError: VMSETRTERR_FLAGS_* and the error id. */
  flags?: number;
  errorId?: string;
  /**
   * save: the file name (the checker never writes it; saved state runs in memory). teleport goes to memory too;
   * loadFromFile reads a saved running VM of the scenario's vCPU count and loadFromStream (the teleport target,
   * fTeleporting) a teleport stream of one, both made before exploration (src/check/images.ts).
   */
  path?: string;
}

export interface ClientSpec {
  name: string;
  calls: CallSpec[];
}

/** A scenario as parseScenario returns it (defaults filled in, names resolved); users write a `Scenario`. */
export interface ScenarioSpec {
  name: string;
  cpus: number;
  fidelity: 'intended' | 'as-written';
  /** Base config keys other than NumCPUs (PowerOffInsteadOfReset …). */
  config: { PowerOffInsteadOfReset?: boolean; HaltMethod?: number };
  /** 'none': EMTs idle when running; 'halt': a guest that halts until woken (STARTED_HALTED). */
  guest: 'none' | 'halt';
  /** 'idle': virtual time moves only when no actor can step (as the runtime); 'any': a timer may fire at any point. */
  timers: 'idle' | 'any';
  /**
   * 'off' (default): idle and halted EMTs wait for a notification only, so an idle world is quiescent. 'on': the
   * halt method config.HaltMethod selects (GLOBAL_1 by default) and GVMM's halt / wake-up scheduling run as in
   * createVMM, their timed sleeps being timer choices (docs/model-checking.md, "Halt methods").
   */
  halt: 'off' | 'on';
  clients: ClientSpec[];
}

/** A scenario as users write it: short call names, arrays of calls, defaults left out. */
export type CallInput = CallName | (Partial<CallSpec> & { call: string });
export interface Scenario {
  name?: string;
  cpus: number;
  fidelity?: 'intended' | 'as-written';
  /** PowerOffInsteadOfReset, HaltMethod (a VMHALTMETHOD number or name: 'BOOTSTRAP', 'OLD', 'METHOD_1', 'GLOBAL_1'). */
  config?: { PowerOffInsteadOfReset?: boolean; HaltMethod?: number | HaltMethodSetting };
  guest?: ScenarioSpec['guest'];
  timers?: ScenarioSpec['timers'];
  halt?: ScenarioSpec['halt'];
  clients: (CallInput[] | { name?: string; calls: CallInput[] })[];
}

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

export const CPUS_MAX = 8;
/** Sampling modes (pct, portfolio, src/check/pct.ts) take scenarios up to VMM_MAX_CPU_COUNT vCPUs. */
export const CPUS_MAX_SAMPLING = 64;
export const CLIENTS_MAX = 8;
export const CALLS_MAX = 16;

const CALL_KEYS = new Set(['call', 'reason', 'target', 'inner', 'type', 'stopOnError', 'priority', 'status', 'statusOn', 'flags', 'errorId', 'path']);
const SCENARIO_KEYS = new Set(['name', 'cpus', 'fidelity', 'config', 'guest', 'timers', 'halt', 'clients', '$schema', 'description']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (where: string, message: string): never => {
  throw new ScenarioError(`${where}: ${message}`);
};

/** A status given as a number or a VBox status name ("VERR_GENERAL_FAILURE"). */
function readStatus(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const info = statusByName(value);
    if (info) return info.rc;
    return fail(where, `unknown status name '${value}'`);
  }
  return fail(where, `must be an integer status or a status name, got ${JSON.stringify(value)}`);
}

function readTarget(value: unknown, cpus: number, where: string): CpuTarget {
  if (value === 'any' || value === 'any-queue' || value === 'all' || value === 'all-reverse') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < cpus) return value;
  return fail(where, `must be 'any', 'any-queue', 'all', 'all-reverse' or a CPU id 0..${cpus - 1}, got ${JSON.stringify(value)}`);
}

function readCall(input: unknown, cpus: number, where: string): CallSpec {
  const raw = typeof input === 'string' ? { call: input } : input;
  if (!isObject(raw)) return fail(where, `must be a call name or an object with "call", got ${JSON.stringify(input)}`);
  for (const key of Object.keys(raw)) if (!CALL_KEYS.has(key)) fail(where, `unknown key '${key}'`);
  const name = raw.call;
  if (typeof name !== 'string' || !(CALL_NAMES as readonly string[]).includes(name)) {
    return fail(where, `unknown call ${JSON.stringify(name)}; expected one of ${CALL_NAMES.join(', ')}`);
  }
  const spec: CallSpec = { call: name as CallName };
  if (raw.reason !== undefined) {
    if (name !== 'suspend' && name !== 'resume') fail(`${where}.reason`, `only suspend and resume take a reason`);
    if (typeof raw.reason !== 'string') fail(`${where}.reason`, 'must be a string');
    spec.reason = raw.reason as string;
  }
  if (name === 'reqCallWait') spec.target = readTarget(raw.target ?? 'any', cpus, `${where}.target`);
  else if (raw.target !== undefined) fail(`${where}.target`, 'only reqCallWait takes a target');
  if (raw.inner !== undefined) {
    if (name !== 'reqCallWait') fail(`${where}.inner`, 'only reqCallWait takes an inner target');
    if (spec.target === 'all' || spec.target === 'all-reverse') fail(`${where}.inner`, `not with target '${String(spec.target)}'`);
    spec.inner = readTarget(raw.inner, cpus, `${where}.inner`);
  }
  if (name === 'emtRendezvous') {
    const type = raw.type ?? 'descending';
    if (!RENDEZVOUS_TYPE_NAMES.includes(type as RendezvousTypeName)) {
      fail(`${where}.type`, `unknown rendezvous type ${JSON.stringify(type)}; expected one of ${RENDEZVOUS_TYPE_NAMES.join(', ')}`);
    }
    spec.type = type as RendezvousTypeName;
    for (const flag of ['stopOnError', 'priority'] as const) {
      if (raw[flag] !== undefined && typeof raw[flag] !== 'boolean') fail(`${where}.${flag}`, 'must be true or false');
      if (raw[flag] !== undefined) spec[flag] = raw[flag] as boolean;
    }
    if (spec.stopOnError && (spec.type === 'all-at-once' || spec.type === 'once')) {
      fail(`${where}.stopOnError`, `STOP_ON_ERROR is not allowed with ${spec.type} (VERR_INVALID_FLAGS)`);
    }
  } else {
    for (const key of ['type', 'stopOnError', 'priority'] as const) if (raw[key] !== undefined) fail(`${where}.${key}`, 'only emtRendezvous takes it');
  }
  const takesCallback = name === 'reqCallWait' || name === 'emtRendezvous';
  for (const key of ['status', 'statusOn'] as const) {
    if (raw[key] !== undefined && !takesCallback) fail(`${where}.${key}`, 'only reqCallWait and emtRendezvous run a callback');
  }
  if (raw.status !== undefined) spec.status = readStatus(raw.status, `${where}.status`);
  if (raw.statusOn !== undefined) {
    if (!isObject(raw.statusOn)) fail(`${where}.statusOn`, 'must map CPU ids to statuses');
    spec.statusOn = {};
    for (const [cpu, rc] of Object.entries(raw.statusOn as Record<string, unknown>)) {
      const id = Number(cpu);
      if (!Number.isInteger(id) || id < 0 || id >= cpus) fail(`${where}.statusOn`, `'${cpu}' is not a CPU id 0..${cpus - 1}`);
      spec.statusOn[id] = readStatus(rc, `${where}.statusOn.${cpu}`);
    }
  }
  if (name === 'setRuntimeError') {
    const flags = raw.flags ?? 0;
    if (typeof flags !== 'number' || !Number.isInteger(flags) || (flags & ~7) !== 0) fail(`${where}.flags`, 'must be VMSETRTERR_FLAGS_* (0..7)');
    spec.flags = flags as number;
    spec.errorId = typeof raw.errorId === 'string' ? raw.errorId : 'CheckError';
  } else {
    for (const key of ['flags', 'errorId'] as const) if (raw[key] !== undefined) fail(`${where}.${key}`, 'only setRuntimeError takes it');
  }
  if (name === 'save') spec.path = typeof raw.path === 'string' ? raw.path : 'check.sav';
  else if (raw.path !== undefined) fail(`${where}.path`, 'only save takes a path');
  return spec;
}

/** A scenario parseScenario already returned (its defaults filled in), as opposed to raw input. */
export const isParsedScenario = (input: ScenarioSpec | Scenario): input is ScenarioSpec =>
  Array.isArray(input.clients) && input.clients.every((c) => !Array.isArray(c) && typeof (c as { name?: unknown }).name === 'string') &&
  typeof (input as ScenarioSpec).guest === 'string' && typeof (input as ScenarioSpec).timers === 'string';

/** Parse and validate a scenario; throws ScenarioError naming the field (`scenario.clients[1][0].call: …`). */
export function parseScenario(input: unknown, where = 'scenario', cpusMax = CPUS_MAX): ScenarioSpec {
  if (!isObject(input)) return fail(where, 'must be an object with "cpus" and "clients"');
  for (const key of Object.keys(input)) if (!SCENARIO_KEYS.has(key)) fail(where, `unknown key '${key}'`);
  const cpus = input.cpus;
  if (typeof cpus !== 'number' || !Number.isInteger(cpus) || cpus < 1 || cpus > cpusMax) {
    fail(`${where}.cpus`, `must be an integer 1..${cpusMax}, got ${JSON.stringify(cpus)}`);
  }
  const n = cpus as number;
  const fidelity = input.fidelity ?? 'intended';
  if (fidelity !== 'intended' && fidelity !== 'as-written') fail(`${where}.fidelity`, `must be 'intended' or 'as-written'`);
  const guest = input.guest ?? 'none';
  if (guest !== 'none' && guest !== 'halt') fail(`${where}.guest`, `must be 'none' or 'halt'`);
  const timers = input.timers ?? 'idle';
  if (timers !== 'idle' && timers !== 'any') fail(`${where}.timers`, `must be 'idle' or 'any'`);
  const halt = input.halt ?? 'off';
  if (halt !== 'off' && halt !== 'on') fail(`${where}.halt`, `must be 'off' or 'on', got ${JSON.stringify(halt)}`);
  const config: ScenarioSpec['config'] = {};
  if (input.config !== undefined) {
    if (!isObject(input.config)) fail(`${where}.config`, 'must be an object');
    for (const [key, value] of Object.entries(input.config as Record<string, unknown>)) {
      if (key === 'PowerOffInsteadOfReset' && typeof value === 'boolean') config.PowerOffInsteadOfReset = value;
      else if (key === 'HaltMethod' && typeof value === 'number' && Number.isInteger(value)) config.HaltMethod = value;
      else if (key === 'HaltMethod' && (HALT_METHOD_SETTINGS as readonly unknown[]).includes(value)) config.HaltMethod = VMHALTMETHOD[value as HaltMethodSetting];
      else fail(`${where}.config.${key}`, `unknown key or bad value ${JSON.stringify(value)} (PowerOffInsteadOfReset: boolean, HaltMethod: integer or ${HALT_METHOD_SETTINGS.join(' | ')})`);
    }
  }
  const clients = input.clients;
  if (!Array.isArray(clients) || clients.length === 0) fail(`${where}.clients`, 'must be a non-empty array of call lists');
  const list = clients as unknown[];
  if (list.length > CLIENTS_MAX) fail(`${where}.clients`, `at most ${CLIENTS_MAX} clients, got ${list.length}`);
  const names = new Set<string>();
  const parsed = list.map((client, i): ClientSpec => {
    const at = `${where}.clients[${i}]`;
    const calls = Array.isArray(client) ? client : isObject(client) ? client.calls : undefined;
    if (!Array.isArray(calls) || calls.length === 0) return fail(at, 'must be a non-empty list of calls or { name, calls }');
    if (calls.length > CALLS_MAX) fail(at, `at most ${CALLS_MAX} calls, got ${calls.length}`);
    const name = isObject(client) && client.name !== undefined ? client.name : String.fromCharCode(65 + i);
    if (typeof name !== 'string' || !/^[A-Za-z][\w-]{0,15}$/.test(name)) fail(`${at}.name`, 'must be a short identifier');
    if (names.has(name as string)) fail(`${at}.name`, `duplicate client name '${String(name)}'`);
    names.add(name as string);
    const callsAt = Array.isArray(client) ? at : `${at}.calls`;
    return { name: name as string, calls: calls.map((call, j) => readCall(call, n, `${callsAt}[${j}]`)) };
  });
  const name = typeof input.name === 'string' ? input.name : parsed.map((c) => c.calls.map((x) => x.call).join(' → ')).join(' ∥ ');
  // Deeply frozen: a world only reads its scenario, so every copy of a world (copyGraph) shares it.
  return deepFreeze({
    name, cpus: n, fidelity: fidelity as ScenarioSpec['fidelity'], config, guest: guest as ScenarioSpec['guest'], timers: timers as ScenarioSpec['timers'],
    halt: halt as ScenarioSpec['halt'], clients: parsed,
  });
}

/**
 * A parsed scenario that crossed to a worker thread (structured clone does not keep frozenness) frozen again, as
 * parseScenario left it: else every world copy on that thread copies the scenario and every record holding a part
 * of it (a client's CallRef, the request labels naming it).
 */
export const refrozenScenario = (spec: ScenarioSpec): ScenarioSpec => deepFreeze(spec);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

/** `JSON.parse` with a message that names the file. */
export function parseScenarioText(text: string, file = 'scenario', cpusMax = CPUS_MAX): ScenarioSpec {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseScenario(json, file, cpusMax);
}

/** A short text for a call, as reports and traces show it: `suspend(USER)`, `reqCallWait(all)`. */
export function describeCall(spec: CallSpec): string {
  switch (spec.call) {
    case 'suspend':
    case 'resume':
      return spec.reason ? `${spec.call}(${spec.reason})` : spec.call;
    case 'reqCallWait':
      return `reqCallWait(${String(spec.target)}${spec.inner !== undefined ? ` → ${String(spec.inner)}` : ''})`;
    case 'emtRendezvous':
      return `emtRendezvous(${spec.type}${spec.stopOnError ? '|stop-on-error' : ''})`;
    case 'setRuntimeError':
      return `setRuntimeError(${spec.flags})`;
    default:
      return spec.call;
  }
}
