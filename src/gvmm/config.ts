/**
 * GVMM scheduler configuration (vbox-facts.md §9.2): defaults from the host semaphore resolution, and
 * GVMMR0SetConfig / GVMMR0QueryConfig by name ("/GVMM/MinSleepAlone" …) with VirtualBox's ranges and errors.
 */
import { VERR_CFGM_VALUE_NOT_FOUND, VERR_INVALID_PARAMETER, VERR_OUT_OF_RANGE, VINF_SUCCESS } from '../status.js';

export interface GvmmSchedConfig {
  /** cEMTsMeansCompany: more EMTs than this system-wide and we have company. */
  cEMTsMeansCompany: number;
  nsMinSleepAlone: number;
  nsMinSleepCompany: number;
  nsEarlyWakeUp1: number;
  nsEarlyWakeUp2: number;
  /** Derived: both early wake-up limits non-zero. */
  fDoEarlyWakeUps: boolean;
}

/** Node's timers tick in milliseconds, so the engine's semaphores have the resolution of a Windows host. */
export const DEFAULT_SEM_RESOLUTION_NS = 1_000_000;

/** GVMMR0Init's defaults, by RTSemEventMultiGetResolution(). */
export function defaultSchedConfig(resolutionNs: number = DEFAULT_SEM_RESOLUTION_NS): GvmmSchedConfig {
  if (resolutionNs >= 500_000) {
    return withDerived({ cEMTsMeansCompany: 1, nsMinSleepAlone: 750_000, nsMinSleepCompany: 15_000, nsEarlyWakeUp1: 25_000, nsEarlyWakeUp2: 50_000 });
  }
  if (resolutionNs > 100_000) {
    return withDerived({
      cEMTsMeansCompany: 1,
      nsMinSleepAlone: Math.floor(resolutionNs / 2),
      nsMinSleepCompany: Math.floor(resolutionNs / 4),
      nsEarlyWakeUp1: 0,
      nsEarlyWakeUp2: 0,
    });
  }
  return withDerived({ cEMTsMeansCompany: 1, nsMinSleepAlone: 2_000, nsMinSleepCompany: 2_000, nsEarlyWakeUp1: 0, nsEarlyWakeUp2: 0 });
}

const withDerived = (c: Omit<GvmmSchedConfig, 'fDoEarlyWakeUps'>): GvmmSchedConfig => ({
  cEMTsMeansCompany: c.cEMTsMeansCompany,
  nsMinSleepAlone: c.nsMinSleepAlone,
  nsMinSleepCompany: c.nsMinSleepCompany,
  nsEarlyWakeUp1: c.nsEarlyWakeUp1,
  nsEarlyWakeUp2: c.nsEarlyWakeUp2,
  fDoEarlyWakeUps: c.nsEarlyWakeUp1 > 0 && c.nsEarlyWakeUp2 > 0,
});

const UINT32_MAX = 0xffff_ffff;
const NS_MAX = 100_000_000;

/** The keys GVMMR0SetConfig knows (MinSleepWithHrWakeUp exists only in high-resolution-timer builds). */
const KEYS: Record<string, { field: keyof Omit<GvmmSchedConfig, 'fDoEarlyWakeUps'>; max: number }> = {
  cEMTsMeansCompany: { field: 'cEMTsMeansCompany', max: UINT32_MAX },
  MinSleepAlone: { field: 'nsMinSleepAlone', max: NS_MAX },
  MinSleepCompany: { field: 'nsMinSleepCompany', max: NS_MAX },
  EarlyWakeUp1: { field: 'nsEarlyWakeUp1', max: NS_MAX },
  EarlyWakeUp2: { field: 'nsEarlyWakeUp2', max: NS_MAX },
};

export const GVMM_CONFIG_NAMES = Object.keys(KEYS).map((key) => `/GVMM/${key}`);

function keyOf(name: unknown): (typeof KEYS)[string] | undefined {
  if (typeof name !== 'string' || !name.startsWith('/GVMM/')) return undefined;
  const key = name.slice('/GVMM/'.length);
  return Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
}

/** GVMMR0SetConfig: the status; the config changes only on success. */
export function setSchedConfig(config: GvmmSchedConfig, name: string, value: number): number {
  const key = keyOf(name);
  if (!key) return VERR_CFGM_VALUE_NOT_FOUND;
  if (typeof value !== 'number' || Number.isNaN(value)) return VERR_INVALID_PARAMETER;
  if (!Number.isInteger(value) || value < 0 || value > key.max) return VERR_OUT_OF_RANGE;
  config[key.field] = value;
  // Setting either early wake-up limit recomputes the switch.
  config.fDoEarlyWakeUps = config.nsEarlyWakeUp1 > 0 && config.nsEarlyWakeUp2 > 0;
  return VINF_SUCCESS;
}

/** GVMMR0QueryConfig. */
export function querySchedConfig(config: GvmmSchedConfig, name: string): { rc: number; value?: number } {
  const key = keyOf(name);
  if (!key) return { rc: VERR_CFGM_VALUE_NOT_FOUND };
  return { rc: VINF_SUCCESS, value: config[key.field] };
}
