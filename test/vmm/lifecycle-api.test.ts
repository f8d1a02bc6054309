/**
 * Calls every public lifecycle API in every reachable state and checks the outcome against the reference
 * apiTransitions lists (vbox-facts.md §1.3, §1.4; shared/reference/vmstate-transitions.json).
 *
 * Method: a fresh deterministic engine (createVMM({ seed }), virtual clock) per case drives a 3-vCPU VM into
 * the state, then calls one API and watches vm.events$. The expected outcome is derived from the JSON: an API's
 * entry pairs are the (from, to) pairs its first EMT offers to vmR3TrySetState (the leading pairs of its list,
 * up to the first pair that starts from a state the API itself moves into). When the current state is the
 * `from` of an entry pair the call succeeds, its first state change is that pair, every change it makes is a
 * pair of the API's list, and it ends in the state VM.cpp ends in (the only hand-written table, FINAL_STATE).
 * Otherwise it rejects with VERR_VM_INVALID_VM_STATE and the §1.3 message, and neither the VM state nor any
 * vCPU state changes. Scenario tests below cover PowerOffInsteadOfReset, tstVMREQ's power-off-then-destroy,
 * the at-state / at-error callbacks, input validation and the power-on order across the EMTs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readReference } from '../support/reference.js';
import {
  createVMM, VBoxError, VERR_FILE_NOT_FOUND, VERR_INVALID_PARAMETER, VERR_INVALID_VM_HANDLE, VERR_TOO_MANY_CPUS,
  VERR_VM_INVALID_VM_STATE, VINF_EM_OFF, VINF_EM_RESET, VINF_EM_RESUME, VINF_EM_SUSPEND, VINF_SUCCESS,
  VMSETRTERR_FLAGS_FATAL, type VM, type Vmm, type VmState, type VmStateChange, type VmTraceEvent,
} from '../../src/index.js';

interface Reference {
  transitions: Record<string, string[]>;
  apiTransitions: Record<string, [VmState, VmState][]>;
}

const reference = readReference<Reference>();

const SEED = 20241015;
const CPUS = 3;

/** The public lifecycle calls, keyed by their entry in the reference apiTransitions. */
const APIS = {
  powerOn: { json: 'VMR3PowerOn', who: 'VMR3PowerOn', call: (vm: VM) => vm.powerOn() },
  suspend: { json: 'VMR3Suspend', who: 'VMR3Suspend', call: (vm: VM) => vm.suspend('USER') },
  resume: { json: 'VMR3Resume', who: 'VMR3Resume', call: (vm: VM) => vm.resume('USER') },
  reset: { json: 'VMR3Reset', who: 'vmR3HardReset', call: (vm: VM) => vm.reset() },
  powerOff: { json: 'VMR3PowerOff', who: 'VMR3PowerOff', call: (vm: VM) => vm.powerOff() },
  destroy: { json: 'VMR3Destroy', who: 'VMR3Destroy', call: (vm: VM) => vm.destroy() },
  setGuruMeditation: { json: 'VMR3SetGuruMeditation', who: null, call: (vm: VM) => vm.setGuruMeditation() },
  setRuntimeErrorFatal: {
    json: 'VMSetRuntimeError(VMSETRTERR_FLAGS_FATAL)',
    who: 'VMSetRuntimeError',
    call: (vm: VM) => vm.setRuntimeError(VMSETRTERR_FLAGS_FATAL, 'testFatal', 'a fatal runtime error'),
  },
} as const;
type Api = keyof typeof APIS;
const API_NAMES = Object.keys(APIS) as Api[];

/**
 * Where each API ends once its first EMT has taken the entry pair `from → via` (VM.cpp, §1.4). This is the
 * only hand-written expectation; which states succeed comes from the JSON.
 */
const FINAL_STATE: Record<Api, (from: VmState, via: VmState) => VmState> = {
  powerOn: () => 'RUNNING',
  suspend: (_, via) => (via === 'SUSPENDING_EXT_LS' ? 'SUSPENDED_EXT_LS' : 'SUSPENDED'),
  resume: () => 'RUNNING',
  // RESETTING → SUSPENDED when the reset started SUSPENDED; RESETTING_LS suspends (SUSPENDED_LS).
  reset: (from) => (from === 'SUSPENDED' ? 'SUSPENDED' : from === 'RUNNING_LS' ? 'SUSPENDED_LS' : 'RUNNING'),
  powerOff: (_, via) => (via === 'POWERING_OFF_LS' ? 'OFF_LS' : 'OFF'),
  destroy: () => 'TERMINATED',
  setGuruMeditation: (_, via) => via,
  setRuntimeErrorFatal: (_, via) => via,
};

/** What a successful call settles with (the status every EMT's worker returns, §1.4). */
const SUCCESS_VALUE: Record<Api, (via: VmState) => number | boolean> = {
  powerOn: () => VINF_SUCCESS,
  suspend: () => VINF_EM_SUSPEND,
  resume: () => VINF_EM_RESUME,
  reset: (via) => (via === 'RESETTING_LS' ? VINF_EM_SUSPEND : VINF_EM_RESET),
  powerOff: () => VINF_EM_OFF,
  destroy: () => VINF_SUCCESS,
  setGuruMeditation: () => true,
  setRuntimeErrorFatal: () => VINF_EM_SUSPEND,
};

/** The pairs the API's first EMT tries: the list up to the first pair leaving a state the API entered. */
function entryPairs(api: Api): [VmState, VmState][] {
  const entered = new Set<VmState>();
  const pairs: [VmState, VmState][] = [];
  for (const [from, to] of reference.apiTransitions[APIS[api].json]!) {
    if (entered.has(from)) break;
    pairs.push([from, to]);
    entered.add(to);
  }
  return pairs;
}

type Expected = { ok: true; via: VmState; final: VmState } | { ok: false };

function expectedOutcome(api: Api, state: VmState): Expected {
  const pair = entryPairs(api).find(([from]) => from === state);
  return pair ? { ok: true, via: pair[1], final: FINAL_STATE[api](state, pair[1]) } : { ok: false };
}

/** vmR3TrySetState's message when no pair matches (§1.3). */
function invalidStateMessage(api: Api, state: VmState): string {
  const pairs = entryPairs(api);
  const who = APIS[api].who!;
  if (pairs.length === 1) return `${who} failed because the VM state is ${state} instead of ${pairs[0]![0]}`;
  const list = pairs.map(([from, to]) => ` ${from} -> ${to}`).join(',');
  return `${who} failed because the current VM state, ${state}, was not found in the state transition table (${list})`;
}

/** How to reach a state through the public API only. */
const PUBLIC_SETUP: Partial<Record<VmState, ((vm: VM) => Promise<unknown>)[]>> = {
  CREATED: [],
  RUNNING: [(vm) => vm.powerOn()],
  SUSPENDED: [(vm) => vm.powerOn(), (vm) => vm.suspend('USER')],
  OFF: [(vm) => vm.powerOn(), (vm) => vm.powerOff()],
  FATAL_ERROR: [(vm) => vm.powerOn(), (vm) => vm.setRuntimeError(VMSETRTERR_FLAGS_FATAL, 'setup', 'setup')],
  GURU_MEDITATION: [(vm) => vm.powerOn(), (vm) => vm.setGuruMeditation()],
  TERMINATED: [(vm) => vm.powerOn(), (vm) => vm.powerOff(), (vm) => vm.destroy()],
};
const PUBLIC_STATES = Object.keys(PUBLIC_SETUP) as VmState[];

/**
 * Every other state (the _LS family, DEBUGGING, LOADING, LOAD_FAILURE, SAVING and the transient ones) is not
 * reachable through the public API yet, because saved state is another issue. These states are set up along the
 * shortest path of table edges from RUNNING (after a real power-on), or from CREATED for POWERING_ON, which
 * RUNNING cannot reach.
 */
function tablePath(start: VmState, target: VmState): [VmState, VmState][] | undefined {
  const previous = new Map<VmState, VmState>([[start, start]]);
  const queue: VmState[] = [start];
  while (queue.length > 0) {
    const state = queue.shift()!;
    for (const next of (reference.transitions[state] ?? []) as VmState[]) {
      if (previous.has(next)) continue;
      previous.set(next, state);
      queue.push(next);
    }
  }
  if (!previous.has(target)) return undefined;
  const path: [VmState, VmState][] = [];
  for (let state = target; state !== start; state = previous.get(state)!) path.unshift([previous.get(state)!, state]);
  return path;
}
const HOOK_STATES = (Object.keys(reference.transitions) as VmState[]).filter(
  (s) => !PUBLIC_STATES.includes(s) && s !== 'CREATING' && s !== 'RUNNING_FT',
);

let engines: Vmm[] = [];
afterEach(() => {
  for (const vmm of engines) vmm.dispose();
  engines = [];
});

async function newVm(cpus = CPUS, options: Parameters<typeof createVMM>[0] = {}): Promise<{ vmm: Vmm; vm: VM }> {
  const vmm = createVMM({ seed: SEED, ...options });
  engines.push(vmm);
  const vm = await vmm.create({ cpus, config: { NumCPUs: cpus, Name: 'lifecycle-api' } });
  return { vmm, vm };
}

async function vmIn(state: VmState): Promise<VM> {
  const { vm } = await newVm();
  const publicSteps = PUBLIC_SETUP[state];
  if (publicSteps) {
    for (const step of publicSteps) await step(vm);
  } else {
    const fromRunning = tablePath('RUNNING', state);
    if (fromRunning) await vm.powerOn();
    // Setup through the internal hook vm.core.trySetState (vmR3TrySetState with one pair), along table edges:
    // the live-save and debugging states cannot be reached through the public API yet.
    for (const [from, to] of fromRunning ?? tablePath('CREATED', state)!) {
      expect(vm.core.trySetState('test', [[from, to]])).toBe(1);
    }
  }
  expect(vm.state).toBe(state);
  return vm;
}

const cpuStates = (vm: VM) => Array.from({ length: vm.cpus }, (_, i) => vm.cpu(i).state);

/** Record the VM state changes made while `body` runs. */
async function watchStates<T>(
  vm: VM,
  body: () => Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; changes: [VmState, VmState][] }> {
  const changes: [VmState, VmState][] = [];
  const subscription = vm.events$.subscribe((e) => {
    if (e.kind === 'state') changes.push([e.from, e.to]);
  });
  const [result] = await Promise.allSettled([body()]);
  subscription.unsubscribe();
  return { result: result!, changes };
}

describe('vmR3TrySetState entry pairs, as read from the reference', () => {
  it('each API offers VM.cpp\'s first-EMT pairs (1, 2, 1, 3, 11, 1, 2, 2)', () => {
    expect(API_NAMES.map((api) => entryPairs(api).length)).toEqual([1, 2, 1, 3, 11, 1, 2, 2]);
    expect(entryPairs('powerOn')).toEqual([['CREATED', 'POWERING_ON']]);
    expect(entryPairs('destroy')).toEqual([['OFF', 'DESTROYING']]);
  });

  it('the setup covers every state but CREATING and RUNNING_FT: 7 public, 23 through the hook', () => {
    expect(PUBLIC_STATES).toHaveLength(7);
    expect(HOOK_STATES).toHaveLength(23);
    expect(HOOK_STATES).toContain('RUNNING_LS');
    expect(tablePath('RUNNING', 'RUNNING_LS')).toEqual([['RUNNING', 'RUNNING_LS']]);
    for (const state of HOOK_STATES) {
      expect(tablePath('RUNNING', state) ?? tablePath('CREATED', state), state).toBeDefined();
    }
    expect(reference.apiTransitions.VMR3Save).toContainEqual(['RUNNING', 'RUNNING_LS']);
  });
});

for (const api of API_NAMES) {
  describe(APIS[api].json, () => {
    const check = async (state: VmState) => {
      const vm = await vmIn(state);
      const cpusBefore = cpuStates(vm);
      const expected = expectedOutcome(api, state);
      const call: (vm: VM) => Promise<number | boolean> = APIS[api].call;
      const { result, changes } = await watchStates(vm, () => call(vm));

      if (state === 'TERMINATED') {
        // The VM is detached from its UVM (§1.1 VMR3GetStateU, §1.4 EMT(0) at exit): every API fails its handle
        // check before any try-set-state. No API lists TERMINATED as a source either.
        expect(expected.ok).toBe(false);
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toMatchObject({
          rc: VERR_INVALID_VM_HANDLE,
          name: 'VERR_INVALID_VM_HANDLE',
        });
      } else if (expected.ok) {
        expect(result).toEqual({ status: 'fulfilled', value: SUCCESS_VALUE[api](expected.via) });
        expect(changes[0]).toEqual([state, expected.via]);
        const listed = reference.apiTransitions[APIS[api].json]!;
        for (const change of changes) expect(listed, `${change[0]} -> ${change[1]}`).toContainEqual(change);
        expect(vm.state).toBe(expected.final);
        expect(changes.at(-1)![1]).toBe(expected.final);
        // Power-on starts every vCPU and power-off stops them (§2.2); nothing else touches VMCPUSTATE.
        const cpusAfter = api === 'powerOn' ? 'STARTED' : api === 'powerOff' ? 'STOPPED' : null;
        expect(cpuStates(vm)).toEqual(cpusAfter ? cpusBefore.map(() => cpusAfter) : cpusBefore);
        return;
      } else if (api === 'setGuruMeditation') {
        // VMR3SetGuruMeditation returns false when the state is neither RUNNING nor RUNNING_LS.
        expect(result).toEqual({ status: 'fulfilled', value: false });
      } else {
        expect(result.status).toBe('rejected');
        const reason = (result as PromiseRejectedResult).reason as VBoxError;
        expect(reason).toBeInstanceOf(VBoxError);
        expect(reason.rc).toBe(-1907);
        expect(reason.rc).toBe(VERR_VM_INVALID_VM_STATE);
        expect(reason.name).toBe('VERR_VM_INVALID_VM_STATE');
        expect(reason.message).toBe(invalidStateMessage(api, state));
      }
      // A refused call changes nothing.
      expect(changes).toEqual([]);
      expect(vm.state).toBe(state);
      expect(cpuStates(vm)).toEqual(cpusBefore);
    };

    it.each(PUBLIC_STATES)('in %s (set up through the public API)', check);
    it.each(HOOK_STATES)('in %s (set up through the internal hook)', check);
  });
}

describe('VMR3Reset with PowerOffInsteadOfReset', () => {
  it('powers the VM off instead: OFF, every vCPU STOPPED, no reset counted', async () => {
    let turnedIntoPowerOff = 0;
    const components = { notifyResetTurnedIntoPowerOff: () => void turnedIntoPowerOff++ };
    const vmm = createVMM({ seed: SEED, components });
    engines.push(vmm);
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2, PowerOffInsteadOfReset: true } });
    await vm.powerOn();
    const { result, changes } = await watchStates(vm, () => vm.reset());
    expect(result).toEqual({ status: 'fulfilled', value: VINF_EM_OFF });
    expect(changes).toEqual([['RUNNING', 'POWERING_OFF'], ['POWERING_OFF', 'OFF']]);
    expect(vm.state).toBe('OFF');
    expect(cpuStates(vm)).toEqual(['STOPPED', 'STOPPED']);
    expect(turnedIntoPowerOff).toBe(1);
    expect(vm.counters.cResets).toBe(0);
  });
});

describe('VMR3PowerOff then VMR3Destroy from CREATED (tstVMREQ cleanup)', () => {
  it('goes CREATED → POWERING_OFF → OFF → DESTROYING → TERMINATED', async () => {
    const { vm } = await newVm(2);
    const seen: VmStateChange[] = [];
    const subscription = vm.state$.subscribe((change) => seen.push(change));
    await expect(vm.powerOff()).resolves.toBe(VINF_EM_OFF);
    expect(cpuStates(vm)).toEqual(['STOPPED', 'STOPPED']);
    await expect(vm.destroy()).resolves.toBe(VINF_SUCCESS);
    subscription.unsubscribe();
    expect(seen.map(({ from, to, by }) => ({ from, to, by }))).toEqual([
      { from: 'CREATING', to: 'CREATED', by: 'emt.0' }, // state$ replays the last real change: vmR3CreateU on EMT(0)
      { from: 'CREATED', to: 'POWERING_OFF', by: 'emt.1' }, // first EMT of the descending rendezvous
      { from: 'POWERING_OFF', to: 'OFF', by: 'emt.0' },
      { from: 'OFF', to: 'DESTROYING', by: 'ext' }, // VMR3Destroy's calling (non-EMT) thread
      { from: 'DESTROYING', to: 'TERMINATED', by: 'emt.0' }, // vmR3SetTerminated
    ]);
  });
});

describe('VMR3AtStateRegister / VMR3AtStateDeregister', () => {
  it('calls callbacks in registration order with (new, old) for every change of a power-on', async () => {
    const { vm } = await newVm();
    const calls: [string, VmState, VmState, VmState][] = [];
    const offA = vm.atState((newState, oldState) => calls.push(['A', newState, oldState, vm.state]));
    vm.atState((newState, oldState) => calls.push(['B', newState, oldState, vm.state]));
    await vm.powerOn();
    // The fourth column: the new state is already set when the callbacks run (vmR3SetStateLocked).
    expect(calls).toEqual([
      ['A', 'POWERING_ON', 'CREATED', 'POWERING_ON'],
      ['B', 'POWERING_ON', 'CREATED', 'POWERING_ON'],
      ['A', 'RUNNING', 'POWERING_ON', 'RUNNING'],
      ['B', 'RUNNING', 'POWERING_ON', 'RUNNING'],
    ]);
    offA();
    calls.length = 0;
    await vm.suspend('USER');
    expect(calls.map(([who, newState, oldState]) => [who, newState, oldState])).toEqual([
      ['B', 'SUSPENDING', 'RUNNING'],
      ['B', 'SUSPENDED', 'SUSPENDING'],
    ]);
  });

  it('deregistering twice throws VERR_FILE_NOT_FOUND', async () => {
    const { vm } = await newVm();
    const off = vm.atState(() => {});
    off();
    let error: unknown;
    try {
      off();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VBoxError);
    expect(error).toMatchObject({ rc: VERR_FILE_NOT_FOUND, name: 'VERR_FILE_NOT_FOUND' });
    expect(VERR_FILE_NOT_FOUND).toBe(-102);
  });

  it('a callback that is not a function is VERR_INVALID_PARAMETER', async () => {
    const { vm } = await newVm();
    expect(() => vm.atState(null as never)).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER }));
  });
});

describe('VMR3AtErrorRegister', () => {
  it('a failed try-set-state reaches the callback with (rc, message) and counts one error', async () => {
    const { vm } = await newVm();
    await vm.powerOn();
    const calls: [number, string][] = [];
    vm.atError((rc, message) => calls.push([rc, message]));
    const before = vm.errorCount;
    const error = await vm.resume('USER').then(
      () => expect.unreachable('resume from RUNNING must fail'),
      (e: unknown) => e as VBoxError,
    );
    expect(calls).toEqual([
      [VERR_VM_INVALID_VM_STATE, 'VMR3Resume failed because the VM state is RUNNING instead of SUSPENDED'],
    ]);
    expect(error.message).toBe(calls[0]![1]);
    expect(vm.errorCount).toBe(before + 1);
    expect(vm.state).toBe('RUNNING');
  });
});

describe('VMR3Create input checks', () => {
  it.each([65])('cpus %i is VERR_TOO_MANY_CPUS and creates nothing', async (cpus) => {
    const vmm = createVMM({ seed: SEED });
    engines.push(vmm);
    await expect(vmm.create({ cpus })).rejects.toMatchObject({ rc: VERR_TOO_MANY_CPUS, name: 'VERR_TOO_MANY_CPUS' });
    expect(VERR_TOO_MANY_CPUS).toBe(-1019);
    expect(vmm.vms.size).toBe(0);
  });

  it.each([
    { why: 'NumCPUs differs from cCpus', cpus: 2, config: { NumCPUs: 1 } },
    { why: 'CpuExecutionCap 0', cpus: 1, config: { CpuExecutionCap: 0 } },
    { why: 'CpuExecutionCap 101', cpus: 1, config: { CpuExecutionCap: 101 } },
    { why: 'a malformed UUID', cpus: 1, config: { UUID: 'not-a-uuid' } },
  ])('$why is VERR_INVALID_PARAMETER and creates nothing', async ({ cpus, config }) => {
    const vmm = createVMM({ seed: SEED });
    engines.push(vmm);
    await expect(vmm.create({ cpus, config })).rejects.toMatchObject({
      rc: VERR_INVALID_PARAMETER,
      name: 'VERR_INVALID_PARAMETER',
    });
    expect(VERR_INVALID_PARAMETER).toBe(-2);
    expect(vmm.vms.size).toBe(0);
  });

  it('accepts the limits: 64 vCPUs, CpuExecutionCap 1 and 100, a well-formed UUID', async () => {
    const vmm = createVMM({ seed: SEED });
    engines.push(vmm);
    const big = await vmm.create({ cpus: 64, config: { NumCPUs: 64, CpuExecutionCap: 1 } });
    const small = await vmm.create({
      cpus: 1,
      config: { CpuExecutionCap: 100, UUID: '0f6a2f4c-1e2b-4c3d-9e8f-001122334455' },
    });
    expect([big.state, big.cpus, small.state, small.cpus]).toEqual(['CREATED', 64, 'CREATED', 1]);
  });
});

describe('VMR3Suspend / VMR3Resume reasons', () => {
  it('an invalid suspend reason is VERR_INVALID_PARAMETER and the VM keeps RUNNING', async () => {
    const { vm } = await newVm();
    await vm.powerOn();
    const { result, changes } = await watchStates(vm, () => vm.suspend('BOGUS' as never));
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toMatchObject({
      rc: VERR_INVALID_PARAMETER,
      name: 'VERR_INVALID_PARAMETER',
    });
    expect(changes).toEqual([]);
    expect(vm.state).toBe('RUNNING');
  });

  it.each(['INVALID', 'END'])('the bounds (%s) are not reasons either', async (reason) => {
    const { vm } = await newVm();
    await vm.powerOn();
    await expect(vm.suspend(reason as never)).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
    expect(vm.state).toBe('RUNNING');
    await vm.suspend('USER');
    await expect(vm.resume(reason as never)).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
    expect(vm.state).toBe('SUSPENDED');
  });
});

describe('VMR3PowerOn order across the EMTs', () => {
  const title = 'seed %i: emt.3 takes CREATED → POWERING_ON, vCPUs start 3, 2, 1, 0, emt.0 sets RUNNING';
  it.each([1, 2, 3, 42])(title, async (seed) => {
    const vmm = createVMM({ seed });
    engines.push(vmm);
    const vm = await vmm.create({ cpus: 4, config: { NumCPUs: 4 } });
    const seen: VmTraceEvent[] = [];
    const subscription = vm.events$.subscribe((e) => {
      if (e.kind === 'state' || e.kind === 'cpu-state') seen.push(e);
    });
    await expect(vm.powerOn()).resolves.toBe(VINF_SUCCESS);
    subscription.unsubscribe();
    expect(seen).toMatchObject([
      { kind: 'state', from: 'CREATED', to: 'POWERING_ON', by: 'emt.3' },
      { kind: 'cpu-state', cpu: 3, from: 'STOPPED', to: 'STARTED' },
      { kind: 'cpu-state', cpu: 2, from: 'STOPPED', to: 'STARTED' },
      { kind: 'cpu-state', cpu: 1, from: 'STOPPED', to: 'STARTED' },
      { kind: 'cpu-state', cpu: 0, from: 'STOPPED', to: 'STARTED' },
      { kind: 'state', from: 'POWERING_ON', to: 'RUNNING', by: 'emt.0' },
    ]);
  });
});
