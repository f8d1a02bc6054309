/**
 * The base configuration of a VM (vmR3ReadBaseConfig, vbox-facts.md §1.5) and its checks. Bad input is
 * refused with VERR_INVALID_PARAMETER (or VERR_TOO_MANY_CPUS for the CPU count) before anything exists.
 */
import { VBoxError, VERR_INVALID_PARAMETER, VERR_TOO_MANY_CPUS } from '../status.js';

/** VMM_MAX_CPU_COUNT in the newer param.h. */
export const VMM_MAX_CPU_COUNT = 64;

export interface VmConfigInput {
  NumCPUs?: number;
  CpuExecutionCap?: number;
  Name?: string;
  UUID?: string;
  PowerOffInsteadOfReset?: boolean;
  /** VM/HaltMethod (VMHALTMETHOD value), read by the halt-method selection. */
  HaltMethod?: number;
  /** The CFGM "VM" node; present without HaltMethod, it triggers the as-written selection quirk (§4.2). */
  VM?: { HaltMethod?: number };
  /** The CFGM "VMM" node: /VMM/HaltedMethod1/* and /VMM/HaltedGlobal1/SpinBlockThreshold overrides. */
  VMM?: VmmHaltConfigInput;
}

/** Halt-method overrides (uint32 values, nanoseconds but the divisor). */
export interface VmmHaltConfigInput {
  HaltedMethod1?: Partial<Record<'LagBlockIntervalDivisor' | 'MinBlockInterval' | 'MaxBlockInterval' | 'StartSpinning' | 'StopSpinning', number>>;
  HaltedGlobal1?: { SpinBlockThreshold?: number };
}

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

/** Validate `cpus` and the config the way VMR3Create and vmR3ReadBaseConfig do; throws VBoxError. */
export function readBaseConfig(cpus: unknown, input: VmConfigInput = {}): VmConfig {
  if (typeof cpus !== 'number' || !Number.isInteger(cpus) || cpus < 1 || cpus > VMM_MAX_CPU_COUNT) {
    throw new VBoxError(VERR_TOO_MANY_CPUS, `cCpus must be 1..${VMM_MAX_CPU_COUNT}, got ${String(cpus)}`);
  }
  if (typeof input !== 'object' || input === null) throw invalid('config must be an object');
  for (const key of Object.keys(input)) if (!KNOWN_KEYS.has(key)) throw invalid(`unknown config key '${key}'`);
  const numCpus = input.NumCPUs ?? 1;
  if (numCpus !== cpus) {
    throw invalid(`Configuration error: "NumCPUs"=${String(numCpus)} and VMR3Create::cCpus=${cpus} does not match!`);
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
  if (input.HaltMethod !== undefined && !Number.isInteger(input.HaltMethod)) throw invalid('HaltMethod must be an integer');
  checkHaltNodes(input);
  return {
    NumCPUs: numCpus,
    CpuExecutionCap: cap,
    Name: name,
    UUID: input.UUID,
    PowerOffInsteadOfReset: powerOffInsteadOfReset,
    HaltMethod: input.HaltMethod,
    VM: input.VM,
    VMM: input.VMM,
  };
}

const isUint32 = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;

/** The "VM" and "VMM" nodes hold uint32 values under known keys only. */
function checkHaltNodes(input: VmConfigInput): void {
  const node = (value: unknown, path: string, keys: readonly string[]): Record<string, unknown> | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${path} must be an object`);
    for (const key of Object.keys(value)) if (!keys.includes(key)) throw invalid(`unknown config key '${path}/${key}'`);
    return value as Record<string, unknown>;
  };
  const vm = node(input.VM, 'VM', ['HaltMethod']);
  if (vm?.HaltMethod !== undefined && !Number.isInteger(vm.HaltMethod)) throw invalid('VM/HaltMethod must be an integer');
  const vmm = node(input.VMM, 'VMM', ['HaltedMethod1', 'HaltedGlobal1']);
  const method1 = node(vmm?.HaltedMethod1, 'VMM/HaltedMethod1', ['LagBlockIntervalDivisor', 'MinBlockInterval', 'MaxBlockInterval', 'StartSpinning', 'StopSpinning']);
  const global1 = node(vmm?.HaltedGlobal1, 'VMM/HaltedGlobal1', ['SpinBlockThreshold']);
  for (const [path, values] of [['VMM/HaltedMethod1', method1], ['VMM/HaltedGlobal1', global1]] as const) {
    for (const [key, value] of Object.entries(values ?? {})) {
      if (!isUint32(value)) throw invalid(`${path}/${key} must be a uint32, got ${String(value)}`);
    }
  }
  if (method1?.LagBlockIntervalDivisor === 0) throw invalid('VMM/HaltedMethod1/LagBlockIntervalDivisor must not be 0');
}
