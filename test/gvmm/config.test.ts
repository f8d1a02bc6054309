/**
 * GVMM scheduler configuration (vbox-facts.md §9.2): GVMMR0Init's defaults by semaphore resolution, and
 * GVMMR0SetConfig / GVMMR0QueryConfig by name with their ranges and statuses, also through createVMM.
 *
 * Method: a Gvmm per case; every key at its limit and one past it; bad names and values change nothing.
 */
import { describe, expect, it } from 'vitest';
import { defaultSchedConfig, GVMM_CONFIG_NAMES } from '../../src/gvmm/config.js';
import { createVMM } from '../../src/api/vmm.js';
import { VBoxError, VERR_CFGM_VALUE_NOT_FOUND, VERR_INVALID_PARAMETER, VERR_OUT_OF_RANGE, VINF_SUCCESS } from '../../src/status.js';
import { gvmmRig } from './support.js';

describe('GVMMR0Init defaults', () => {
  it.each([
    { resolution: 15_625_000, expected: [1, 750_000, 15_000, 25_000, 50_000, true] },
    { resolution: 1_000_000, expected: [1, 750_000, 15_000, 25_000, 50_000, true] },
    { resolution: 500_000, expected: [1, 750_000, 15_000, 25_000, 50_000, true] },
    { resolution: 499_999, expected: [1, 249_999, 124_999, 0, 0, false] },
    { resolution: 100_001, expected: [1, 50_000, 25_000, 0, 0, false] },
    { resolution: 100_000, expected: [1, 2_000, 2_000, 0, 0, false] },
    { resolution: 1, expected: [1, 2_000, 2_000, 0, 0, false] },
  ])('resolution $resolution ns', ({ resolution, expected }) => {
    const c = defaultSchedConfig(resolution);
    expect([c.cEMTsMeansCompany, c.nsMinSleepAlone, c.nsMinSleepCompany, c.nsEarlyWakeUp1, c.nsEarlyWakeUp2, c.fDoEarlyWakeUps]).toEqual(expected);
  });

  it('defaults to a 1 ms resolution (Node timers): early wake-ups on', () => {
    const { gvmm } = gvmmRig();
    expect(GVMM_CONFIG_NAMES.map((n) => gvmm.queryConfig(n))).toEqual([1, 750_000, 15_000, 25_000, 50_000]);
    expect(gvmm.config.fDoEarlyWakeUps).toBe(true);
  });
});

describe('GVMMR0SetConfig / GVMMR0QueryConfig', () => {
  it.each([
    ['/GVMM/cEMTsMeansCompany', 0xffff_ffff],
    ['/GVMM/MinSleepAlone', 100_000_000],
    ['/GVMM/MinSleepCompany', 100_000_000],
    ['/GVMM/EarlyWakeUp1', 100_000_000],
    ['/GVMM/EarlyWakeUp2', 100_000_000],
  ])('%s takes 0 and %i, one more is VERR_OUT_OF_RANGE', (name, max) => {
    const { gvmm } = gvmmRig();
    expect(gvmm.setConfig(name, 0)).toBe(VINF_SUCCESS);
    expect(gvmm.queryConfig(name)).toBe(0);
    expect(gvmm.setConfig(name, max)).toBe(VINF_SUCCESS);
    expect(gvmm.queryConfig(name)).toBe(max);
    for (const bad of [max + 1, -1, 1.5]) {
      expect(() => gvmm.setConfig(name, bad)).toThrow(expect.objectContaining({ rc: VERR_OUT_OF_RANGE }));
      expect(gvmm.queryConfig(name)).toBe(max);
    }
    expect(() => gvmm.setConfig(name, Number.NaN)).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER }));
  });

  it.each(['GVMM/MinSleepAlone', '/GVM/MinSleepAlone', '/gvmm/MinSleepAlone', '/GVMM/Bogus', '/GVMM/MinSleepWithHrWakeUp', '/GVMM/'])(
    '%s is VERR_CFGM_VALUE_NOT_FOUND for both set and query',
    (name) => {
      const { gvmm } = gvmmRig();
      expect(() => gvmm.setConfig(name, 1)).toThrow(expect.objectContaining({ rc: VERR_CFGM_VALUE_NOT_FOUND }));
      expect(() => gvmm.queryConfig(name)).toThrow(expect.objectContaining({ rc: VERR_CFGM_VALUE_NOT_FOUND }));
    },
  );

  it('either early wake-up limit at 0 turns early wake-ups off; both set turns them on', () => {
    const { gvmm } = gvmmRig();
    gvmm.setConfig('/GVMM/EarlyWakeUp1', 0);
    expect(gvmm.config.fDoEarlyWakeUps).toBe(false);
    gvmm.setConfig('/GVMM/EarlyWakeUp1', 10_000);
    expect(gvmm.config.fDoEarlyWakeUps).toBe(true);
    gvmm.setConfig('/GVMM/EarlyWakeUp2', 0);
    expect(gvmm.config.fDoEarlyWakeUps).toBe(false);
  });

  it('createVMM({ gvmm: { config } }) applies the settings, and refuses bad ones with their status', () => {
    const vmm = createVMM({ gvmm: { config: { '/GVMM/MinSleepAlone': 1_000, '/GVMM/EarlyWakeUp2': 0 }, wakeUpIndex: 'scan' } });
    expect(vmm.gvmm.queryConfig('/GVMM/MinSleepAlone')).toBe(1_000);
    expect(vmm.gvmm.config.fDoEarlyWakeUps).toBe(false);
    expect(vmm.gvmm.wakeUpIndex).toBe('scan');
    expect(createVMM().gvmm.wakeUpIndex).toBe('heap');
    expect(() => createVMM({ gvmm: { config: { '/GVMM/EarlyWakeUp1': 100_000_001 } } })).toThrow(VBoxError);
    expect(() => createVMM({ gvmm: { config: { '/GVMM/Nope': 1 } } })).toThrow(expect.objectContaining({ rc: VERR_CFGM_VALUE_NOT_FOUND }));
    expect(() => createVMM({ gvmm: { wakeUpIndex: 'wheel' as 'heap' } })).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER }));
  });
});
