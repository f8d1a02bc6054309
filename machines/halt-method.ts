/**
 * The halt methods of VMEmt.cpp (vbox-facts.md §4.2): which one a VM uses (BOOTSTRAP while it is created,
 * then DEFAULT resolved to OLD, METHOD_1 or GLOBAL_1), the descriptor table `g_aHaltMethods`, and the pure
 * decisions each method takes: the selection (vmR3SetHaltMethodU), OLD's spin / yield / block table,
 * METHOD_1's lag-driven spinning and block length, GLOBAL_1's spin/block threshold, and who a
 * VMR3NotifyCpuFF wakes. The runtime (src/vmm/halt) only waits and counts; every decision is made here.
 */
import { setup } from 'xstate';
import { VERR_CFGM_VALUE_NOT_FOUND, VERR_INVALID_PARAMETER, VINF_SUCCESS } from '../src/status.js';

/** VMHALTMETHOD (VMInternal.h). */
export const VMHALTMETHOD = { INVALID: 0, BOOTSTRAP: 1, DEFAULT: 2, OLD: 3, METHOD_1: 4, GLOBAL_1: 5, END: 6 } as const;
export type HaltMethodName = 'BOOTSTRAP' | 'OLD' | 'METHOD_1' | 'GLOBAL_1';
export const HALT_METHOD_NAMES: readonly HaltMethodName[] = ['BOOTSTRAP', 'OLD', 'METHOD_1', 'GLOBAL_1'];

/** vmR3GetHaltMethodName. */
export const HALT_METHOD_DISPLAY: Record<HaltMethodName | 'DEFAULT', string> = {
  BOOTSTRAP: 'bootstrap', DEFAULT: 'default', OLD: 'old', METHOD_1: 'method1', GLOBAL_1: 'global1',
};

export interface HaltMethodDescriptor {
  readonly method: HaltMethodName;
  readonly value: number;
  /** fMayHaltInRing0: the EMT may halt in GVMM directly. */
  readonly mayHaltInRing0: boolean;
  readonly init: 'method1' | 'global1' | null;
  /** pfnHalt (VMR3WaitHalted); BOOTSTRAP has none. */
  readonly halt: 'old' | 'method1' | 'global1' | null;
  /** pfnWait (VMR3WaitU). */
  readonly wait: 'bootstrap' | 'default' | 'global1';
  /** pfnNotifyCpuFF; no method has pfnNotifyGlobalFF, so VMR3NotifyGlobalFF calls this for every CPU. */
  readonly notify: 'bootstrap' | 'default' | 'global1';
}

/** g_aHaltMethods; iHaltMethod indexes it, index 0 (BOOTSTRAP) is the fallback when an init fails. */
export const HALT_METHODS: readonly HaltMethodDescriptor[] = [
  { method: 'BOOTSTRAP', value: 1, mayHaltInRing0: false, init: null, halt: null, wait: 'bootstrap', notify: 'bootstrap' },
  { method: 'OLD', value: 3, mayHaltInRing0: false, init: null, halt: 'old', wait: 'default', notify: 'default' },
  { method: 'METHOD_1', value: 4, mayHaltInRing0: false, init: 'method1', halt: 'method1', wait: 'default', notify: 'default' },
  { method: 'GLOBAL_1', value: 5, mayHaltInRing0: true, init: 'global1', halt: 'global1', wait: 'global1', notify: 'global1' },
];

export const haltMethodDescriptor = (method: HaltMethodName): HaltMethodDescriptor =>
  HALT_METHODS.find((d) => d.method === method)!;

/** What CFGMR3QueryU32(CFGMR3GetChild(root, "VM"), "HaltMethod") found. */
export type HaltMethodConfig =
  | { kind: 'value'; value: number }
  | { kind: 'not-found' } // the "VM" node exists, the key does not: VERR_CFGM_VALUE_NOT_FOUND
  | { kind: 'no-node' }; // no "VM" node: the query fails with VERR_CFGM_NO_PARENT

export type HaltMethodSelection =
  | { rc: typeof VINF_SUCCESS; method: HaltMethodName }
  | { rc: number; method?: undefined; message?: string };

/**
 * vmR3SetHaltMethodU steps 2–4. `asWritten` keeps the inverted condition of step 3 (a "VM" node without
 * HaltMethod fails the VM); the intended behaviour falls back to GLOBAL_1 there too.
 */
export function selectHaltMethod(
  requested: number,
  config: HaltMethodConfig,
  options: { asWritten: boolean; driverless: boolean },
): HaltMethodSelection {
  if (!Number.isInteger(requested) || requested <= VMHALTMETHOD.INVALID || requested >= VMHALTMETHOD.END) {
    return { rc: VERR_INVALID_PARAMETER };
  }
  let value = requested;
  if (requested === VMHALTMETHOD.DEFAULT) {
    if (config.kind === 'value') {
      value = config.value;
      if (!Number.isInteger(value) || value <= VMHALTMETHOD.INVALID || value >= VMHALTMETHOD.END) {
        return { rc: VERR_INVALID_PARAMETER, message: `Invalid VM/HaltMethod value ${value}` };
      }
    } else if (config.kind === 'not-found' && options.asWritten) {
      return { rc: VERR_CFGM_VALUE_NOT_FOUND, message: 'Failed to Query VM/HaltMethod as uint32_t' };
    } else value = VMHALTMETHOD.GLOBAL_1;
  }
  // GLOBAL_1 halts in ring 0, which driverless mode does not have.
  if (options.driverless && value === VMHALTMETHOD.GLOBAL_1) value = VMHALTMETHOD.METHOD_1;
  const descriptor = HALT_METHODS.find((d) => d.value === value);
  // DEFAULT itself has no descriptor (AssertReturn VERR_INVALID_PARAMETER).
  if (!descriptor) return { rc: VERR_INVALID_PARAMETER };
  return { rc: VINF_SUCCESS, method: descriptor.method };
}

/** OLD's table (vmR3HaltOldDoHalt): what to do with `nsToNext` ns left to the next timer event. */
export type OldHaltAction = { kind: 'spin' } | { kind: 'yield' } | { kind: 'block'; ms: number };

export function oldHaltAction(nsToNext: number): OldHaltAction {
  if (nsToNext < 50_000) return { kind: 'spin' };
  if (nsToNext < 870_000) return { kind: 'yield' };
  if (nsToNext < 2_000_000) return { kind: 'block', ms: 1 };
  return { kind: 'block', ms: Math.min(Math.floor((nsToNext - 1_000_000) / 1_000_000), 15) };
}

/** METHOD_1's settings (the active branch of vmR3HaltMethod12ReadConfigU); `/VMM/HaltedMethod1` overrides. */
export interface Method1Config {
  LagBlockIntervalDivisor: number;
  MinBlockInterval: number;
  MaxBlockInterval: number;
  StartSpinning: number;
  StopSpinning: number;
}

export const METHOD1_DEFAULTS: Readonly<Method1Config> = {
  LagBlockIntervalDivisor: 4,
  MinBlockInterval: 2_000_000,
  MaxBlockInterval: 75_000_000,
  StartSpinning: 30_000_000,
  StopSpinning: 20_000_000,
};

/** METHOD_1 blocks only when the next event is at least this far away (0.1 ms). */
export const METHOD1_BLOCK_MIN_NS = 100_000;

/**
 * METHOD_1's up-front decision at the start of each halt: spin while TM's virtual-sync clock catches up with
 * a large lag, blocking once in a while. `startSpinNs` is 0 when not spinning (u64StartSpinTS).
 */
export function method1SpinDecision(
  config: Method1Config,
  input: { nowNs: number; catchUpPct: number; lagNs: number; startSpinNs: number; lastBlockNs: number },
): { spinning: boolean; blockOnce: boolean; startSpinNs: number } {
  if (input.catchUpPct === 0) return { spinning: false, blockOnce: false, startSpinNs: 0 };
  if (input.startSpinNs !== 0) {
    const spinning = input.lagNs >= config.StopSpinning;
    if (!spinning) return { spinning: false, blockOnce: false, startSpinNs: 0 };
    const interval = Math.max(
      config.MinBlockInterval,
      Math.min(Math.floor(input.lagNs / config.LagBlockIntervalDivisor), config.MaxBlockInterval),
    );
    return { spinning: true, blockOnce: input.nowNs - input.lastBlockNs > interval, startSpinNs: input.startSpinNs };
  }
  const spinning = input.lagNs >= config.StartSpinning;
  return { spinning, blockOnce: false, startSpinNs: spinning ? input.nowNs : 0 };
}

/** METHOD_1's block: min(ms to the next event, 15) less the average oversleep, at least 1 ms. */
export function method1BlockMs(nsToNext: number, avgOversleepNs: number): number {
  const ms = Math.min(Math.floor(nsToNext / 1_000_000), 15);
  const oversleepMs = Math.floor(avgOversleepNs / 1_000_000);
  return ms <= oversleepMs ? 1 : Math.max(ms - oversleepMs, 1);
}

/** vmR3HaltGlobal1Init: the spin/block threshold from the semaphore resolution. */
export function global1SpinBlockThresholdNs(resolutionNs: number): number {
  if (resolutionNs > 500_000) return 50_000;
  if (resolutionNs > 100_000) return Math.floor(resolutionNs / 4);
  return 2_000;
}

/** VMNOTIFYFF_FLAGS_* (vmapi.h). */
export const NOTIFY_DONE_REM = 1 << 0;
export const NOTIFY_POKE = 1 << 1;

/** What pfnNotifyCpuFF does: signal the ring-3 semaphore, SCHED_WAKE_UP / SCHED_POKE in GVMM, NEM, nothing. */
export type NotifyAction = 'signal' | 'wake-up' | 'poke' | 'nem' | 'none';

export function notifyCpuFFAction(
  notifier: HaltMethodDescriptor['notify'],
  input: { cpuState: string | null; fWait: boolean; flags: number },
): NotifyAction {
  const nem = input.cpuState === 'STARTED_EXEC_NEM' || input.cpuState === 'STARTED_EXEC_NEM_WAIT';
  if (notifier === 'bootstrap') return input.fWait ? 'signal' : 'none';
  if (notifier === 'default') return input.fWait ? 'signal' : nem ? 'nem' : 'none';
  // GLOBAL_1: with ring-0 halting fWait is not set while halted, so the vCPU state tells.
  if (input.cpuState === null) return input.fWait ? 'wake-up' : 'none';
  if (input.cpuState === 'STARTED_HALTED' || input.fWait) return 'wake-up';
  if ((input.flags & NOTIFY_POKE) !== 0 || (input.flags & NOTIFY_DONE_REM) === 0) {
    if (input.cpuState === 'STARTED_EXEC') return (input.flags & NOTIFY_POKE) !== 0 ? 'poke' : 'none';
    if (nem) return 'nem';
  }
  return 'none';
}

/** EMT(0) in the ASCENDING rendezvous of vmR3SetHaltMethodU: term the old method, init the new, commit. */
export type HaltMethodEvent = { type: 'switch'; target: HaltMethodName; initRc: number };

const switchTo = (target: HaltMethodName) => ({ event }: { event: HaltMethodEvent }) =>
  event.type === 'switch' && event.initRc >= 0 && event.target === target;

export const haltMethodSetup = setup({
  types: { events: {} as HaltMethodEvent },
  guards: {
    initFailed: ({ event }) => event.type === 'switch' && event.initRc < 0,
    toBootstrap: switchTo('BOOTSTRAP'),
    toOld: switchTo('OLD'),
    toMethod1: switchTo('METHOD_1'),
    toGlobal1: switchTo('GLOBAL_1'),
  },
});

/** Every method may switch to every other; a failed init falls back to BOOTSTRAP (index 0, no init). */
const SWITCH = {
  switch: [
    { guard: 'initFailed', target: 'BOOTSTRAP' },
    { guard: 'toBootstrap', target: 'BOOTSTRAP' },
    { guard: 'toOld', target: 'OLD' },
    { guard: 'toMethod1', target: 'METHOD_1' },
    { guard: 'toGlobal1', target: 'GLOBAL_1' },
  ],
} as const;

export const haltMethodMachine = haltMethodSetup.createMachine({
  id: 'haltMethod',
  // VMR3Create: the EMTs start on BOOTSTRAP; vmR3CreateU switches to DEFAULT after init.
  initial: 'BOOTSTRAP',
  states: {
    BOOTSTRAP: { on: SWITCH },
    OLD: { on: SWITCH },
    METHOD_1: { on: SWITCH },
    GLOBAL_1: { on: SWITCH },
  },
});
