/**
 * The base configuration of a VM (vmR3ReadBaseConfig, vbox-facts.md §1.5) and its checks. Bad input is
 * refused with VERR_INVALID_PARAMETER (VERR_TOO_MANY_CPUS for more vCPUs than VMM_MAX_CPU_COUNT) before
 * anything exists. NumCPUs defaults to `cpus` (VirtualBox's CFGM constructor writes it from the same count);
 * only an explicit, different value gets vmR3ReadBaseConfig's mismatch message.
 */
import { VBoxError, VERR_INVALID_PARAMETER, VERR_TOO_MANY_CPUS } from '../status.js';
import { HALT_METHOD_NAMES, VMHALTMETHOD, type HaltMethodName } from '../../machines/halt-method.js';

/** VMM_MAX_CPU_COUNT in the newer param.h. */
export const VMM_MAX_CPU_COUNT = 64;

export interface VmConfigInput {
  NumCPUs?: number;
  CpuExecutionCap?: number;
  Name?: string;
  UUID?: string;
  PowerOffInsteadOfReset?: boolean;
  /** VM/HaltMethod: a VMHALTMETHOD value or name ('GLOBAL_1' = 5), read by the halt-method selection. */
  HaltMethod?: number | HaltMethodSetting;
  /** The CFGM "VM" node; present without HaltMethod, it triggers the as-written selection quirk (§4.2). */
  VM?: { HaltMethod?: number | HaltMethodSetting };
  /** The CFGM "VMM" node: /VMM/HaltedMethod1/* and /VMM/HaltedGlobal1/SpinBlockThreshold overrides. */
  VMM?: VmmHaltConfigInput;
}

/** Halt-method overrides (uint32 values, nanoseconds but the divisor). */
export interface VmmHaltConfigInput {
  HaltedMethod1?: Partial<Record<'LagBlockIntervalDivisor' | 'MinBlockInterval' | 'MaxBlockInterval' | 'StartSpinning' | 'StopSpinning', number>>;
  HaltedGlobal1?: { SpinBlockThreshold?: number };
}

/** The names config.HaltMethod takes besides the numbers (DEFAULT, 2, is not a value the selection accepts). */
export type HaltMethodSetting = HaltMethodName;

export interface VmConfig {
  NumCPUs: number;
  CpuExecutionCap: number;
  Name: string;
  UUID: string | undefined;
  PowerOffInsteadOfReset: boolean;
  HaltMethod: number | undefined;
  VM: { HaltMethod?: number } | undefined;
  VMM: VmmHaltConfigInput | undefined;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KNOWN_KEYS = new Set(['NumCPUs', 'CpuExecutionCap', 'Name', 'UUID', 'PowerOffInsteadOfReset', 'HaltMethod', 'VM', 'VMM']);

const invalid = (message: string) => new VBoxError(VERR_INVALID_PARAMETER, message);

/** A value as the user wrote it: `"4" (string)` rather than a bare 4 that hides the type. */
export const describeValue = (v: unknown): string =>
  typeof v === 'number' ? String(v) : `${JSON.stringify(v) ?? String(v)} (${v === null ? 'null' : typeof v})`;

/**
 * Validate `cpus` and the config the way VMR3Create and vmR3ReadBaseConfig do; throws VBoxError. A count that
 * is not a positive integer is VERR_INVALID_PARAMETER (VMR3Create's cCpus > 0 assertion, GVMMR0CreateVM's
 * range check); only a count above VMM_MAX_CPU_COUNT is VERR_TOO_MANY_CPUS.
 */
export function readBaseConfig(cpus: unknown, input: VmConfigInput = {}): VmConfig {
  if (typeof cpus !== 'number' || !Number.isInteger(cpus) || cpus < 1) {
    throw invalid(`cCpus must be an integer 1..${VMM_MAX_CPU_COUNT}, got ${describeValue(cpus)}`);
  }
  if (cpus > VMM_MAX_CPU_COUNT) throw new VBoxError(VERR_TOO_MANY_CPUS, `cCpus must be 1..${VMM_MAX_CPU_COUNT}, got ${cpus}`);
  if (typeof input !== 'object' || input === null) throw invalid('config must be an object');
  for (const key of Object.keys(input)) if (!KNOWN_KEYS.has(key)) throw invalid(`unknown config key '${key}'`);
  const numCpus = input.NumCPUs ?? cpus;
  if (numCpus !== cpus) {
    throw invalid(`Configuration error: "NumCPUs"=${describeValue(numCpus)} and VMR3Create::cCpus=${cpus} does not match!`);
  }
  const cap = input.CpuExecutionCap ?? 100;
  if (typeof cap !== 'number' || !Number.isInteger(cap) || cap < 1 || cap > 100) {
    throw invalid(`CpuExecutionCap must be 1..100, got ${String(cap)}`);
  }
  const name = input.Name ?? '<unknown>';
  if (typeof name !== 'string') throw invalid('Name must be a string');
  if (input.UUID !== undefined && (typeof input.UUID !== 'string' || !UUID_RE.test(input.UUID))) {
    throw invalid(`UUID is not a valid UUID: ${String(input.UUID)}`);
  }
  const powerOffInsteadOfReset = input.PowerOffInsteadOfReset ?? false;
  if (typeof powerOffInsteadOfReset !== 'boolean') throw invalid('PowerOffInsteadOfReset must be a boolean');
  const haltMethod = haltMethodValue(input.HaltMethod, 'HaltMethod');
  checkHaltNodes(input);
  const nodeMethod = haltMethodValue(input.VM?.HaltMethod, 'VM/HaltMethod');
  const vmNode = input.VM === undefined ? undefined : nodeMethod === undefined ? {} : { HaltMethod: nodeMethod };
  // Frozen: the VM's configuration never changes after VMR3Create, so world copies share it.
  return Object.freeze({
    NumCPUs: numCpus,
    CpuExecutionCap: cap,
    Name: name,
    UUID: input.UUID,
    PowerOffInsteadOfReset: powerOffInsteadOfReset,
    HaltMethod: haltMethod,
    VM: vmNode && Object.freeze(vmNode),
    VMM: input.VMM,
  });
}

/** A HaltMethod setting as its VMHALTMETHOD number; the range is the selection's to check (at power-on). */
function haltMethodValue(value: unknown, path: string): number | undefined {
  if (value === undefined || (typeof value === 'number' && Number.isInteger(value))) return value;
  if (typeof value === 'string' && (HALT_METHOD_SETTINGS as readonly string[]).includes(value)) return VMHALTMETHOD[value as HaltMethodSetting];
  throw invalid(`${path} must be an integer or one of ${HALT_METHOD_SETTINGS.join(', ')}, got ${describeValue(value)}`);
}

export const HALT_METHOD_SETTINGS: readonly HaltMethodSetting[] = HALT_METHOD_NAMES;

const isUint32 = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;

/** The "VM" and "VMM" nodes hold uint32 values under known keys only. */
function checkHaltNodes(input: VmConfigInput): void {
  const node = (value: unknown, path: string, keys: readonly string[]): Record<string, unknown> | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${path} must be an object`);
    for (const key of Object.keys(value)) if (!keys.includes(key)) throw invalid(`unknown config key '${path}/${key}'`);
    return value as Record<string, unknown>;
  };
  node(input.VM, 'VM', ['HaltMethod']);
  const vmm = node(input.VMM, 'VMM', ['HaltedMethod1', 'HaltedGlobal1']);
  const method1 = node(vmm?.HaltedMethod1, 'VMM/HaltedMethod1', ['LagBlockIntervalDivisor', 'MinBlockInterval', 'MaxBlockInterval', 'StartSpinning', 'StopSpinning']);
  const global1 = node(vmm?.HaltedGlobal1, 'VMM/HaltedGlobal1', ['SpinBlockThreshold']);
  for (const [path, values] of [['VMM/HaltedMethod1', method1], ['VMM/HaltedGlobal1', global1]] as const) {
    for (const [key, value] of Object.entries(values ?? {})) {
      if (!isUint32(value)) throw invalid(`${path}/${key} must be a uint32, got ${describeValue(value)}`);
    }
  }
  if (method1?.LagBlockIntervalDivisor === 0) throw invalid('VMM/HaltedMethod1/LagBlockIntervalDivisor must not be 0');
}
