/**
 * One GVMM handle (GVMMR0.cpp, vbox-facts.md §9.1): free → used (popped off the free list, pushed on the
 * used list) → bound (the GVM exists, EMT0 registered) → destroying → free again. The context is the
 * handle's EMT table: one native thread per vCPU, NIL while unregistered and DESTROYED after deregistration
 * (so the slot can never be registered again). The checks of GVMMR0RegisterVCpu, GVMMR0DeregisterVCpu and
 * GVMMR0DestroyVM are the status functions below; the guards are those functions returning VINF_SUCCESS.
 */
import { assign, setup } from 'xstate';
import {
  VERR_ACCESS_DENIED, VERR_GVMM_NOT_ALL_EMTS_DEREGISTERED, VERR_INVALID_CPU_ID, VERR_INVALID_FUNCTION,
  VERR_INVALID_PARAMETER, VERR_NOT_OWNER, VERR_WRONG_ORDER, VINF_SUCCESS,
} from '../src/status.js';

/** NIL_RTNATIVETHREAD and GVMM_RTNATIVETHREAD_DESTROYED (~1) as slot values. */
export const NIL_EMT = null;
export const DESTROYED_EMT = '~1';
export type EmtSlot = string | null;

export interface GvmmHandleContext {
  cCpus: number;
  session: string | null;
  /** aCpus[i].hEMT; index 0 is EMT0 (hEMT0 of the handle). */
  emts: EmtSlot[];
}

export type GvmmHandleEvent =
  | { type: 'alloc' } // GVMMR0CreateVM under UsedLock: free head → used head
  | { type: 'bind'; emt0: string; cCpus: number; session: string } // GVMMR0CreateVM: GVM ready, EMT0 registered
  | { type: 'abandon' } // the create failed before the GVM existed: back on the free list
  | { type: 'registerVCpu'; cpu: number; emt: string } // GVMMR0RegisterVCpu on that vCPU's EMT
  | { type: 'deregisterVCpu'; cpu: number; emt: string } // GVMMR0DeregisterVCpu
  | { type: 'destroy'; caller: string; vmState: string } // GVMMR0DestroyVM by EMT0
  | { type: 'release' }; // gvmmR0HandleObjDestructor: unlink, free head

/** VMSTATE_CREATING .. VMSTATE_TERMINATED: the states GVMMR0DestroyVM accepts. */
const DESTROYABLE_STATES = new Set([
  'CREATING', 'CREATED', 'LOADING', 'POWERING_ON', 'RESUMING', 'RUNNING', 'RUNNING_LS', 'RUNNING_FT', 'RESETTING',
  'RESETTING_LS', 'SOFT_RESETTING', 'SOFT_RESETTING_LS', 'SUSPENDING', 'SUSPENDING_LS', 'SUSPENDING_EXT_LS', 'SUSPENDED',
  'SUSPENDED_LS', 'SUSPENDED_EXT_LS', 'SAVING', 'DEBUGGING', 'DEBUGGING_LS', 'POWERING_OFF', 'POWERING_OFF_LS', 'OFF',
  'OFF_LS', 'FATAL_ERROR', 'FATAL_ERROR_LS', 'GURU_MEDITATION', 'GURU_MEDITATION_LS', 'LOAD_FAILURE', 'DESTROYING',
  'TERMINATED',
]);

const isCpuId = (ctx: GvmmHandleContext, cpu: number) => Number.isInteger(cpu) && cpu >= 0 && cpu < ctx.cCpus;

/** GVMMR0RegisterVCpu's checks, in its order. */
export function registerVCpuStatus(ctx: GvmmHandleContext, cpu: number, emt: string): number {
  if (cpu === 0) return VERR_INVALID_FUNCTION;
  if (!isCpuId(ctx, cpu)) return VERR_INVALID_CPU_ID;
  // NIL only: a DESTROYED slot stays taken for good.
  if (ctx.emts[cpu] !== NIL_EMT) return VERR_ACCESS_DENIED;
  if (ctx.emts.includes(emt)) return VERR_INVALID_PARAMETER;
  return VINF_SUCCESS;
}

/** GVMMR0DeregisterVCpu's checks (vCPU 0 leaves through GVMMR0DestroyVM). */
export function deregisterVCpuStatus(ctx: GvmmHandleContext, cpu: number, emt: string): number {
  if (cpu === 0) return VERR_INVALID_FUNCTION;
  if (!isCpuId(ctx, cpu)) return VERR_INVALID_CPU_ID;
  if (ctx.emts[cpu] !== emt) return VERR_NOT_OWNER;
  return VINF_SUCCESS;
}

/** GVMMR0DestroyVM's checks on a valid handle: VM state range, EMT0 only, every other EMT gone. */
export function destroyStatus(ctx: GvmmHandleContext, caller: string, vmState: string): number {
  if (!DESTROYABLE_STATES.has(vmState)) return VERR_WRONG_ORDER;
  if (ctx.emts[0] !== NIL_EMT && ctx.emts[0] !== caller) return VERR_NOT_OWNER;
  for (let cpu = 1; cpu < ctx.cCpus; cpu++) {
    const slot = ctx.emts[cpu];
    if (slot !== NIL_EMT && slot !== DESTROYED_EMT) return VERR_GVMM_NOT_ALL_EMTS_DEREGISTERED;
  }
  return VINF_SUCCESS;
}

type Ev<T extends GvmmHandleEvent['type']> = Extract<GvmmHandleEvent, { type: T }>;

export const gvmmHandleSetup = setup({
  types: { context: {} as GvmmHandleContext, events: {} as GvmmHandleEvent },
  guards: {
    mayRegisterVCpu: ({ context, event }) =>
      event.type === 'registerVCpu' && registerVCpuStatus(context, event.cpu, event.emt) === VINF_SUCCESS,
    mayDeregisterVCpu: ({ context, event }) =>
      event.type === 'deregisterVCpu' && deregisterVCpuStatus(context, event.cpu, event.emt) === VINF_SUCCESS,
    mayDestroy: ({ context, event }) =>
      event.type === 'destroy' && destroyStatus(context, event.caller, event.vmState) === VINF_SUCCESS,
  },
  actions: {
    bindEmt0: assign(({ event }) => {
      const e = event as Ev<'bind'>;
      return { cCpus: e.cCpus, session: e.session, emts: [e.emt0, ...new Array<EmtSlot>(e.cCpus - 1).fill(NIL_EMT)] };
    }),
    registerEmt: assign({
      emts: ({ context, event }) => context.emts.map((slot, i) => (i === (event as Ev<'registerVCpu'>).cpu ? (event as Ev<'registerVCpu'>).emt : slot)),
    }),
    markEmtDestroyed: assign({
      emts: ({ context, event }) => context.emts.map((slot, i) => (i === (event as Ev<'deregisterVCpu'>).cpu ? DESTROYED_EMT : slot)),
    }),
    clearHandle: assign({ cCpus: 0, session: null, emts: [] as EmtSlot[] }),
  },
});

export const gvmmHandleMachine = gvmmHandleSetup.createMachine({
  id: 'gvmmHandle',
  initial: 'free',
  context: { cCpus: 0, session: null, emts: [] },
  states: {
    free: { on: { alloc: 'used' } },
    // On the used list, no GVM yet (GVMMR0CreateVM between the list move and handle completion).
    used: {
      on: {
        bind: { target: 'bound', actions: 'bindEmt0' },
        abandon: { target: 'free', actions: 'clearHandle' },
      },
    },
    bound: {
      on: {
        registerVCpu: { guard: 'mayRegisterVCpu', actions: 'registerEmt' },
        deregisterVCpu: { guard: 'mayDeregisterVCpu', actions: 'markEmtDestroyed' },
        destroy: { guard: 'mayDestroy', target: 'destroying' },
      },
    },
    // SUPR0ObjRelease ran the destructor; the handle goes back on the free head (LIFO reuse).
    destroying: { on: { release: { target: 'free', actions: 'clearHandle' } } },
  },
});
