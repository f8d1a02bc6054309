/**
 * machines/halt-method.ts: the halt methods' descriptor table, the selection of vmR3SetHaltMethodU (both
 * fidelities), OLD's table, METHOD_1's spinning and block length, GLOBAL_1's threshold, who a
 * VMR3NotifyCpuFF wakes, and the switch machine (vbox-facts.md §4.2).
 *
 * Method: table-driven calls of the pure functions, with boundary values on each side of every threshold;
 * the machine is stepped through every (state, target, init status) combination.
 */
import { describe, expect, it } from 'vitest';
import {
  global1SpinBlockThresholdNs, HALT_METHOD_NAMES, HALT_METHODS, haltMethodMachine, METHOD1_DEFAULTS, method1BlockMs,
  method1SpinDecision, notifyCpuFFAction, NOTIFY_DONE_REM, NOTIFY_POKE, oldHaltAction, selectHaltMethod,
  VMHALTMETHOD, type HaltMethodConfig, type HaltMethodEvent,
} from '../../machines/halt-method.js';
import { MachineCell } from '../../src/sched/machine-cell.js';
import { VERR_CFGM_NOT_INTEGER, VERR_CFGM_VALUE_NOT_FOUND, VERR_INVALID_PARAMETER, VINF_SUCCESS } from '../../src/status.js';

describe('g_aHaltMethods', () => {
  it('has the four descriptors of §4.2 with BOOTSTRAP at index 0', () => {
    expect(HALT_METHODS.map((d) => [d.method, d.value, d.mayHaltInRing0, d.init, d.halt, d.wait, d.notify])).toEqual([
      ['BOOTSTRAP', 1, false, null, null, 'bootstrap', 'bootstrap'],
      ['OLD', 3, false, null, 'old', 'default', 'default'],
      ['METHOD_1', 4, false, 'method1', 'method1', 'default', 'default'],
      ['GLOBAL_1', 5, true, 'global1', 'global1', 'global1', 'global1'],
    ]);
    expect(VMHALTMETHOD).toEqual({ INVALID: 0, BOOTSTRAP: 1, DEFAULT: 2, OLD: 3, METHOD_1: 4, GLOBAL_1: 5, END: 6 });
  });
});

describe('vmR3SetHaltMethodU (selectHaltMethod)', () => {
  const value = (v: number): HaltMethodConfig => ({ kind: 'value', value: v });
  const intended = { asWritten: false, driverless: false };
  const asWritten = { asWritten: true, driverless: false };
  it.each([
    { why: 'INVALID', requested: 0, cfg: value(5), opts: intended, rc: VERR_INVALID_PARAMETER },
    { why: 'END', requested: 6, cfg: value(5), opts: intended, rc: VERR_INVALID_PARAMETER },
    { why: 'not an integer', requested: 2.5, cfg: value(5), opts: intended, rc: VERR_INVALID_PARAMETER },
    { why: 'BOOTSTRAP asked for', requested: 1, cfg: value(3), opts: intended, method: 'BOOTSTRAP' },
    { why: 'OLD asked for', requested: 3, cfg: value(5), opts: intended, method: 'OLD' },
    { why: 'METHOD_1 asked for', requested: 4, cfg: value(5), opts: intended, method: 'METHOD_1' },
    { why: 'GLOBAL_1 asked for', requested: 5, cfg: value(3), opts: intended, method: 'GLOBAL_1' },
    { why: 'DEFAULT, VM/HaltMethod 1', requested: 2, cfg: value(1), opts: intended, method: 'BOOTSTRAP' },
    { why: 'DEFAULT, VM/HaltMethod 3', requested: 2, cfg: value(3), opts: intended, method: 'OLD' },
    { why: 'DEFAULT, VM/HaltMethod 4', requested: 2, cfg: value(4), opts: intended, method: 'METHOD_1' },
    { why: 'DEFAULT, VM/HaltMethod 5', requested: 2, cfg: value(5), opts: intended, method: 'GLOBAL_1' },
    { why: 'DEFAULT, VM/HaltMethod 2 (no descriptor)', requested: 2, cfg: value(2), opts: intended, rc: VERR_INVALID_PARAMETER },
    { why: 'DEFAULT, VM/HaltMethod 0', requested: 2, cfg: value(0), opts: intended, rc: VERR_INVALID_PARAMETER, message: 'Invalid VM/HaltMethod value 0' },
    { why: 'DEFAULT, VM/HaltMethod 6', requested: 2, cfg: value(6), opts: intended, rc: VERR_INVALID_PARAMETER, message: 'Invalid VM/HaltMethod value 6' },
    { why: 'DEFAULT, no VM node', requested: 2, cfg: { kind: 'no-node' }, opts: intended, method: 'GLOBAL_1' },
    { why: 'DEFAULT, no VM node (as written)', requested: 2, cfg: { kind: 'no-node' }, opts: asWritten, method: 'GLOBAL_1' },
    { why: 'DEFAULT, VM node without the key', requested: 2, cfg: { kind: 'not-found' }, opts: intended, method: 'GLOBAL_1' },
    {
      why: 'DEFAULT, VM node without the key (as written: the inverted check fails)',
      requested: 2, cfg: { kind: 'not-found' }, opts: asWritten, rc: VERR_CFGM_VALUE_NOT_FOUND,
      message: 'Failed to Query VM/HaltMethod as uint32_t',
    },
    { why: 'driverless: GLOBAL_1 → METHOD_1', requested: 2, cfg: { kind: 'no-node' }, opts: { asWritten: false, driverless: true }, method: 'METHOD_1' },
    { why: 'driverless: asked-for GLOBAL_1 → METHOD_1', requested: 5, cfg: value(3), opts: { asWritten: false, driverless: true }, method: 'METHOD_1' },
    { why: 'driverless leaves OLD alone', requested: 2, cfg: value(3), opts: { asWritten: false, driverless: true }, method: 'OLD' },
  ] as const)('$why', (row) => {
    const result = selectHaltMethod(row.requested, row.cfg, row.opts);
    if ('method' in row) expect(result).toEqual({ rc: VINF_SUCCESS, method: row.method });
    else expect(result).toEqual({ rc: row.rc, ...('message' in row ? { message: row.message } : {}) });
  });
});

describe('vmR3HaltOldDoHalt (oldHaltAction)', () => {
  it.each([
    [0, { kind: 'spin' }],
    [49_999, { kind: 'spin' }],
    [50_000, { kind: 'yield' }],
    [869_999, { kind: 'yield' }],
    [870_000, { kind: 'block', ms: 1 }],
    [1_999_999, { kind: 'block', ms: 1 }],
    [2_000_000, { kind: 'block', ms: 1 }],
    [3_999_999, { kind: 'block', ms: 2 }],
    [16_000_000, { kind: 'block', ms: 15 }],
    [1_000_000_000, { kind: 'block', ms: 15 }],
    [Number.POSITIVE_INFINITY, { kind: 'block', ms: 15 }],
  ])('%i ns to the next event → %o', (ns, action) => {
    expect(oldHaltAction(ns)).toEqual(action);
  });
});

describe('vmR3HaltMethod1Halt', () => {
  const base = { nowNs: 100_000_000, catchUpPct: 0, lagNs: 0, startSpinNs: 0, lastBlockNs: 0 };
  it.each([
    { why: 'no catch-up: never spins', input: { ...base, lagNs: 50_000_000 }, out: { spinning: false, blockOnce: false, startSpinNs: 0 } },
    { why: 'no catch-up stops a spin', input: { ...base, startSpinNs: 5 }, out: { spinning: false, blockOnce: false, startSpinNs: 0 } },
    { why: 'catching up, lag below StartSpinning', input: { ...base, catchUpPct: 25, lagNs: 29_999_999 }, out: { spinning: false, blockOnce: false, startSpinNs: 0 } },
    { why: 'catching up, lag at StartSpinning: spin from now', input: { ...base, catchUpPct: 25, lagNs: 30_000_000 }, out: { spinning: true, blockOnce: false, startSpinNs: 100_000_000 } },
    { why: 'spinning, lag below StopSpinning: stop', input: { ...base, catchUpPct: 25, lagNs: 19_999_999, startSpinNs: 7 }, out: { spinning: false, blockOnce: false, startSpinNs: 0 } },
    // Block interval max(2 ms, min(lag/4, 75 ms)) = 5 ms for a 20 ms lag.
    { why: 'spinning, 5 ms since the last block', input: { ...base, catchUpPct: 25, lagNs: 20_000_000, startSpinNs: 7, lastBlockNs: 95_000_000 }, out: { spinning: true, blockOnce: false, startSpinNs: 7 } },
    { why: 'spinning, 5 ms + 1 ns since the last block', input: { ...base, catchUpPct: 25, lagNs: 20_000_000, startSpinNs: 7, lastBlockNs: 94_999_999 }, out: { spinning: true, blockOnce: true, startSpinNs: 7 } },
  ])('$why', ({ input, out }) => {
    expect(method1SpinDecision(METHOD1_DEFAULTS, input)).toEqual(out);
  });

  it('has the five defaults of the active branch', () => {
    expect(METHOD1_DEFAULTS).toEqual({
      LagBlockIntervalDivisor: 4, MinBlockInterval: 2_000_000, MaxBlockInterval: 75_000_000, StartSpinning: 30_000_000, StopSpinning: 20_000_000,
    });
  });

  it.each([
    [150_000, 0, 1],
    [5_500_000, 0, 5],
    [40_000_000, 0, 15],
    [40_000_000, 3_000_000, 12],
    [3_000_000, 3_000_000, 1],
    [5_000_000, 4_999_999, 1],
  ])('block for %i ns with %i ns average oversleep: %i ms', (ns, avg, ms) => {
    expect(method1BlockMs(ns, avg)).toBe(ms);
  });
});

describe('vmR3HaltGlobal1Init (global1SpinBlockThresholdNs)', () => {
  it.each([
    [15_600_000, 50_000],
    [1_000_000, 50_000],
    [500_001, 50_000],
    [500_000, 125_000],
    [400_000, 100_000],
    [100_001, 25_000],
    [100_000, 2_000],
    [1, 2_000],
  ])('resolution %i ns → %i ns', (resolution, threshold) => {
    expect(global1SpinBlockThresholdNs(resolution)).toBe(threshold);
  });
});

describe('pfnNotifyCpuFF (notifyCpuFFAction)', () => {
  const POKE = NOTIFY_POKE;
  const REM = NOTIFY_DONE_REM;
  it.each([
    ['bootstrap', 'STARTED', true, 0, 'signal'],
    ['bootstrap', 'STARTED', false, POKE, 'none'],
    ['default', 'STARTED', true, 0, 'signal'],
    ['default', 'STARTED_HALTED', true, POKE, 'signal'],
    ['default', 'STARTED_EXEC', false, POKE, 'none'],
    ['default', 'STARTED_EXEC_NEM', false, 0, 'nem'],
    ['default', 'STARTED_EXEC_NEM_WAIT', false, 0, 'nem'],
    ['global1', 'STARTED_HALTED', false, 0, 'wake-up'],
    ['global1', 'STARTED', true, REM, 'wake-up'],
    ['global1', 'STARTED_EXEC', false, POKE, 'poke'],
    ['global1', 'STARTED_EXEC', false, POKE | REM, 'poke'],
    ['global1', 'STARTED_EXEC', false, 0, 'none'],
    ['global1', 'STARTED_EXEC', false, REM, 'none'],
    ['global1', 'STARTED_EXEC_NEM', false, 0, 'nem'],
    ['global1', 'STARTED_EXEC_NEM', false, REM, 'none'],
    ['global1', 'STARTED', false, POKE, 'none'],
    ['global1', null, true, 0, 'wake-up'],
    ['global1', null, false, 0, 'none'],
  ] as const)('%s, vCPU %s, fWait %s, flags %i → %s', (notifier, cpuState, fWait, flags, action) => {
    expect(notifyCpuFFAction(notifier, { cpuState, fWait, flags })).toBe(action);
  });
});

describe('haltMethodMachine (the switch of vmR3SetHaltMethodCallback)', () => {
  const cases = HALT_METHOD_NAMES.flatMap((from) =>
    HALT_METHOD_NAMES.flatMap((target) => [VINF_SUCCESS, VERR_CFGM_NOT_INTEGER].map((initRc) => ({ from, target, initRc }))),
  );
  it.each(cases)('$from → switch to $target with init $initRc', ({ from, target, initRc }) => {
    const cell = new MachineCell<HaltMethodEvent>(haltMethodMachine, 'test/halt');
    expect(cell.value).toBe('BOOTSTRAP');
    if (from !== 'BOOTSTRAP') cell.send({ type: 'switch', target: from, initRc: VINF_SUCCESS });
    expect(cell.value).toBe(from);
    cell.send({ type: 'switch', target, initRc });
    // A failed init falls back on BOOTSTRAP, which needs no init.
    expect(cell.value).toBe(initRc < 0 ? 'BOOTSTRAP' : target);
  });
});
