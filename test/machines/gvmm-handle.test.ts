/**
 * machines/gvmm-handle.ts: one GVMM handle's life and EMT table (vbox-facts.md §9.1).
 *
 * Method: pure transitions through the memoized stepper (no runtime). The check functions are tested as
 * tables of (context, input) → status in VirtualBox's order; every event is sent in every state and only the
 * edges of the handle's life are accepted; a full life ends where it started.
 */
import { describe, expect, it } from 'vitest';
import {
  deregisterVCpuStatus, DESTROYED_EMT, destroyStatus, gvmmHandleMachine, NIL_EMT, registerVCpuStatus,
  type GvmmHandleContext, type GvmmHandleEvent,
} from '../../machines/gvmm-handle.js';
import { MachineCell } from '../../src/sched/machine-cell.js';
import {
  VERR_ACCESS_DENIED, VERR_GVMM_NOT_ALL_EMTS_DEREGISTERED, VERR_INVALID_CPU_ID, VERR_INVALID_FUNCTION,
  VERR_INVALID_PARAMETER, VERR_NOT_OWNER, VERR_WRONG_ORDER, VINF_SUCCESS,
} from '../../src/status.js';

const ctx = (emts: (string | null)[]): GvmmHandleContext => ({ cCpus: emts.length, session: 's', emts });

describe('GVMMR0RegisterVCpu (registerVCpuStatus)', () => {
  it.each([
    { why: 'vCPU 0 registers through GVMMR0CreateVM', emts: ['e0', null], cpu: 0, emt: 'e1', rc: VERR_INVALID_FUNCTION },
    { why: 'idCpu = cCpus', emts: ['e0', null], cpu: 2, emt: 'e2', rc: VERR_INVALID_CPU_ID },
    { why: 'a negative id', emts: ['e0', null], cpu: -1, emt: 'e1', rc: VERR_INVALID_CPU_ID },
    { why: 'a fractional id', emts: ['e0', null, null], cpu: 1.5, emt: 'e1', rc: VERR_INVALID_CPU_ID },
    { why: 'the slot has an EMT', emts: ['e0', 'e1'], cpu: 1, emt: 'x', rc: VERR_ACCESS_DENIED },
    { why: 'the slot is DESTROYED (never again)', emts: ['e0', DESTROYED_EMT], cpu: 1, emt: 'e1', rc: VERR_ACCESS_DENIED },
    { why: 'the thread is already EMT0', emts: ['e0', null], cpu: 1, emt: 'e0', rc: VERR_INVALID_PARAMETER },
    { why: 'the thread is already another vCPU', emts: ['e0', 'e1', null], cpu: 2, emt: 'e1', rc: VERR_INVALID_PARAMETER },
    { why: 'a free slot and a new thread', emts: ['e0', null], cpu: 1, emt: 'e1', rc: VINF_SUCCESS },
  ])('$why → $rc', ({ emts, cpu, emt, rc }) => {
    expect(registerVCpuStatus(ctx(emts), cpu, emt)).toBe(rc);
  });
});

describe('GVMMR0DeregisterVCpu (deregisterVCpuStatus)', () => {
  it.each([
    { why: 'vCPU 0 leaves through GVMMR0DestroyVM', emts: ['e0', 'e1'], cpu: 0, emt: 'e0', rc: VERR_INVALID_FUNCTION },
    { why: 'idCpu = cCpus', emts: ['e0', 'e1'], cpu: 2, emt: 'e1', rc: VERR_INVALID_CPU_ID },
    { why: 'the caller is not that vCPU’s EMT', emts: ['e0', 'e1'], cpu: 1, emt: 'e0', rc: VERR_NOT_OWNER },
    { why: 'the slot was never registered', emts: ['e0', null], cpu: 1, emt: 'e1', rc: VERR_NOT_OWNER },
    { why: 'already deregistered', emts: ['e0', DESTROYED_EMT], cpu: 1, emt: 'e1', rc: VERR_NOT_OWNER },
    { why: 'its own EMT', emts: ['e0', 'e1'], cpu: 1, emt: 'e1', rc: VINF_SUCCESS },
  ])('$why → $rc', ({ emts, cpu, emt, rc }) => {
    expect(deregisterVCpuStatus(ctx(emts), cpu, emt)).toBe(rc);
  });
});

describe('GVMMR0DestroyVM (destroyStatus)', () => {
  it.each([
    { why: 'VM state outside CREATING..TERMINATED', emts: ['e0'], caller: 'e0', state: 'END', rc: VERR_WRONG_ORDER },
    { why: 'VM state INVALID', emts: ['e0'], caller: 'e0', state: 'INVALID', rc: VERR_WRONG_ORDER },
    { why: 'the caller is not EMT0', emts: ['e0', DESTROYED_EMT], caller: 'e1', state: 'TERMINATED', rc: VERR_NOT_OWNER },
    { why: 'EMT1 still registered', emts: ['e0', 'e1'], caller: 'e0', state: 'TERMINATED', rc: VERR_GVMM_NOT_ALL_EMTS_DEREGISTERED },
    { why: 'every other EMT deregistered', emts: ['e0', DESTROYED_EMT, DESTROYED_EMT], caller: 'e0', state: 'TERMINATED', rc: VINF_SUCCESS },
    { why: 'never-registered slots count as gone', emts: ['e0', null], caller: 'e0', state: 'CREATING', rc: VINF_SUCCESS },
    { why: 'EMT0 NIL: anyone may destroy', emts: [null, DESTROYED_EMT], caller: 'x', state: 'OFF', rc: VINF_SUCCESS },
  ])('$why → $rc', ({ emts, caller, state, rc }) => {
    expect(destroyStatus(ctx(emts), caller, state)).toBe(rc);
  });
});

const EVENTS: GvmmHandleEvent[] = [
  { type: 'alloc' },
  { type: 'bind', emt0: 'e0', cCpus: 2, session: 's' },
  { type: 'abandon' },
  { type: 'registerVCpu', cpu: 1, emt: 'e1' },
  { type: 'deregisterVCpu', cpu: 1, emt: 'e1' },
  { type: 'destroy', caller: 'e0', vmState: 'TERMINATED' },
  { type: 'release' },
];

/** A cell driven into `state` (with vCPU 1 registered when bound, so every event has a legal form). */
function cellIn(state: 'free' | 'used' | 'bound' | 'destroying'): MachineCell<GvmmHandleEvent> {
  const cell = new MachineCell<GvmmHandleEvent>(gvmmHandleMachine, 'test/handle');
  const path: GvmmHandleEvent[] = { free: [], used: [EVENTS[0]!], bound: [EVENTS[0]!, EVENTS[1]!], destroying: [EVENTS[0]!, EVENTS[1]!, EVENTS[5]!] }[state];
  for (const e of path) expect(cell.send(e)).toBe(true);
  return cell;
}

describe('gvmmHandleMachine: every event in every state', () => {
  // Accepted (state → events); everything else is ignored and changes nothing.
  const ACCEPTS: Record<string, Record<string, string>> = {
    free: { alloc: 'used' },
    used: { bind: 'bound', abandon: 'free' },
    bound: { registerVCpu: 'bound', destroy: 'destroying' },
    destroying: { release: 'free' },
  };
  const cases = Object.keys(ACCEPTS).flatMap((state) => EVENTS.map((event) => ({ state, event })));
  it.each(cases)('$state + $event.type', ({ state, event }) => {
    const cell = cellIn(state as 'free');
    const before = cell.snapshot;
    const to = ACCEPTS[state]![event.type];
    expect(cell.send(event)).toBe(to !== undefined);
    if (to) expect(cell.value).toBe(to);
    else expect(cell.snapshot).toBe(before);
  });

  it('bound: deregister is accepted once registered, and the slot becomes DESTROYED', () => {
    const cell = cellIn('bound');
    expect(cell.send({ type: 'deregisterVCpu', cpu: 1, emt: 'e1' })).toBe(false); // not registered yet
    expect(cell.send({ type: 'registerVCpu', cpu: 1, emt: 'e1' })).toBe(true);
    expect(cell.context.emts).toEqual(['e0', 'e1']);
    expect(cell.send({ type: 'destroy', caller: 'e0', vmState: 'TERMINATED' })).toBe(false); // EMT1 still there
    expect(cell.send({ type: 'deregisterVCpu', cpu: 1, emt: 'e1' })).toBe(true);
    expect(cell.context.emts).toEqual(['e0', DESTROYED_EMT]);
    expect(cell.send({ type: 'registerVCpu', cpu: 1, emt: 'e1' })).toBe(false);
  });

  it('a full life ends free with an empty EMT table', () => {
    const cell = cellIn('bound');
    for (const e of [EVENTS[3]!, EVENTS[4]!, EVENTS[5]!, EVENTS[6]!]) expect(cell.send(e)).toBe(true);
    expect(cell.value).toBe('free');
    expect(cell.context).toEqual({ cCpus: 0, session: null, emts: [] });
    expect(NIL_EMT).toBeNull();
  });
});
