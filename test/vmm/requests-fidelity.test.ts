/**
 * Goal: the request semantics issue 16 found different from VirtualBox's source (VMReq.cpp VMR3ReqQueue /
 * VMR3ReqWait / vmR3ReqProcessOne, VMAll.cpp VMSetRuntimeErrorV; vbox-facts.md §3 and §5.8):
 *   1. VMCPUID_ALL / ALL_REVERSE run every CPU: VMR3ReqQueue's loop breaks only when a leg's VMR3ReqQueue fails,
 *      and for a queued leg that is the wait (success once the packet is COMPLETED), so the caller gets the
 *      iStatus of the last CPU run. From an EMT, its own leg runs inline and its failure does break.
 *   2. 'any' and the caller's own CPU from EMT code run inline ("The requester was an EMT, just execute it"):
 *      synchronously, on the calling EMT, before the caller's next statement.
 *   3. VMSetRuntimeErrorV delivers with VMR3ReqPriorityCallWait(VMCPUID_ANY) unless a non-EMT caller passed
 *      NO_WAIT (then VMR3ReqCallNoWait, the normal lane).
 * Method: a 4-vCPU VM on the deterministic scheduler (several seeds where the order of ready actors matters);
 * callees record where they ran; EmtGate (test/support) holds EMTs so that requests pile up on the queues.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createVMM, emtRendezvous, emtReqCall, VBoxError, VERR_INVALID_FLAGS, VERR_INVALID_PARAMETER, VERR_NOT_SUPPORTED, VERR_VM_THREAD_IS_EMT, VINF_SUCCESS,
  VINF_TRY_AGAIN, VMREQFLAGS_NO_WAIT, VMREQFLAGS_PRIORITY, type EmtContext, type VM, type Vmm,
} from '../../src/index.js';
import { VMSETRTERR_FLAGS_NO_WAIT } from '../../src/api/vm.js';
import { EmtGate } from '../support/emt-gate.js';
import { rendezvousFlags } from '../../machines/rendezvous.js';

const RV_ONCE = rendezvousFlags('once');

const CPUS = 4;
const SEEDS = [1, 2, 3] as const;

let vmms: Vmm[] = [];
afterEach(() => {
  for (const vmm of vmms) vmm.dispose();
  vmms = [];
});

async function makeVm(seed: number, cpus = CPUS): Promise<{ vmm: Vmm; vm: VM }> {
  const vmm = createVMM({ seed });
  vmms.push(vmm);
  const vm = await vmm.create({ cpus, config: { NumCPUs: cpus, Name: 'fidelity' } });
  return { vmm, vm };
}

/** The promise's status: its value, or the rc of the VBoxError it rejects with. */
async function status(promise: Promise<number>): Promise<number> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof VBoxError) return error.rc;
    throw error;
  }
}

const ORDER = { all: [0, 1, 2, 3], 'all-reverse': [3, 2, 1, 0] } as const;

describe('VMR3ReqQueue: VMCPUID_ALL / ALL_REVERSE run every CPU whatever the callee returns', () => {
  // Every (target, failing CPU): the walk covers all CPUs; the answer is the last-run CPU's status.
  const CASES = (['all', 'all-reverse'] as const).flatMap((target) => [0, 1, 2, 3].map((failing) => ({ target, failing })));

  describe.each(SEEDS)('seed %i', (seed) => {
    it.each(CASES)('from outside: $target with the callee failing on CPU $failing', async ({ target, failing }) => {
      const { vm } = await makeVm(seed);
      const ran: number[] = [];
      const rc = await status(vm.reqCallWait(target, (ctx: EmtContext) => {
        ran.push(ctx.cpu);
        return ctx.cpu === failing ? VERR_NOT_SUPPORTED : VINF_SUCCESS;
      }));
      expect(ran).toEqual(ORDER[target]);
      const last = ORDER[target].at(-1);
      expect(rc).toBe(last === failing ? VERR_NOT_SUPPORTED : VINF_SUCCESS);
    });
  });

  it('the informational status of the last CPU is the answer (iStatus is overwritten by each CPU)', async () => {
    const { vm } = await makeVm(1);
    expect(await vm.reqCallWait('all', (ctx: EmtContext) => (ctx.cpu === 3 ? VINF_TRY_AGAIN : VERR_NOT_SUPPORTED))).toBe(VINF_TRY_AGAIN);
  });

  // From an EMT (EMT 1 here), its own leg runs inline and its failure breaks the loop; a queued leg's does not.
  it.each([
    { target: 'all', failing: 0, ran: [0, 1, 2, 3], rc: VINF_SUCCESS },
    { target: 'all', failing: 1, ran: [0, 1], rc: VERR_NOT_SUPPORTED },
    { target: 'all', failing: 3, ran: [0, 1, 2, 3], rc: VERR_NOT_SUPPORTED },
    { target: 'all-reverse', failing: 1, ran: [3, 2, 1], rc: VERR_NOT_SUPPORTED },
    { target: 'all-reverse', failing: 2, ran: [3, 2, 1, 0], rc: VINF_SUCCESS },
  ] as const)('from EMT 1: $target failing on CPU $failing runs $ran and answers $rc', async ({ target, failing, ran, rc }) => {
    const { vm } = await makeVm(2);
    const seen: string[] = [];
    const pushes: number[] = [];
    vm.core.cpuQueues.forEach((_queue, cpu) => vm.core.ownQueue(cpu).events$.subscribe((e) => e.kind === 'push' && pushes.push(cpu)));
    const outer = await status(vm.reqCallWait(1, (ctx: EmtContext) =>
      ctx.reqCallWait(target, (inner: EmtContext) => {
        seen.push(`${inner.cpu}`);
        return inner.cpu === failing ? VERR_NOT_SUPPORTED : VINF_SUCCESS;
      }, [], (rc) => (seen.push(`then:${rc}`), rc))));
    expect(outer).toBe(rc);
    expect(seen).toEqual([...ran.map(String), `then:${rc}`]);
    // The outer request was pushed on CPU 1's queue; the inner legs only on the other CPUs' queues.
    expect(pushes).toEqual([1, ...ran.filter((cpu) => cpu !== 1)]);
  });
});

describe("VMR3ReqQueue: 'any' and the caller's own CPU from EMT code run inline", () => {
  it.each(SEEDS)("vm.reqCallWait('any') inside an EMT callback runs before the callback's next statement (seed %i)", async (seed) => {
    const { vm } = await makeVm(seed);
    const log: string[] = [];
    await vm.reqCallWait(2, (ctx: EmtContext) => {
      log.push(`outer start@${ctx.cpu}`);
      void vm.reqCallWait('any', (inner: EmtContext) => void log.push(`inner@${inner.cpu}`));
      log.push('outer end');
    });
    expect(log).toEqual(['outer start@2', 'inner@2', 'outer end']);
  });

  it.each([2, 'any'] as const)('the promise is settled with the callee status when the EMT callback goes on (target %s)', async (target) => {
    const { vm } = await makeVm(1);
    const settled: string[] = [];
    await vm.reqCallWait(2, () => {
      vm.reqCallWait(target, () => VINF_TRY_AGAIN).then((rc) => settled.push(`ok:${rc}`));
      vm.reqCallWait(target, () => VERR_NOT_SUPPORTED).catch((e: VBoxError) => settled.push(`err:${e.rc}`));
    });
    expect(settled.sort()).toEqual([`err:${VERR_NOT_SUPPORTED}`, `ok:${VINF_TRY_AGAIN}`]);
  });

  it('an inline request does not go through any queue (no push), and its packet walks QUEUED → PROCESSING → COMPLETED → FREE', async () => {
    const { vm } = await makeVm(1);
    const pushes: string[] = [];
    vm.core.ownQueue(null).events$.subscribe((e) => e.kind === 'push' && pushes.push('global'));
    vm.core.cpuQueues.forEach((_queue, cpu) => vm.core.ownQueue(cpu).events$.subscribe((e) => e.kind === 'push' && pushes.push(`cpu.${cpu}`)));
    const walks = new Map<number, string[]>();
    vm.events$.subscribe((e) => e.kind === 'request' && walks.set(e.id, [...(walks.get(e.id) ?? []), e.to]));
    let innerId = -1;
    await vm.reqCallWait(3, (ctx: EmtContext) => ctx.reqCallWait('any', () => {
      innerId = [...walks.keys()].at(-1)!;
    }));
    expect(pushes).toEqual(['cpu.3']);
    expect(walks.get(innerId)?.slice(-4)).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED', 'FREE']);
  });

  it('a request to another CPU through the promise API would block the EMT: VERR_VM_THREAD_IS_EMT, nothing runs', async () => {
    const { vm } = await makeVm(1);
    const ran: number[] = [];
    let inner: Promise<number> | undefined;
    await vm.reqCallWait(1, () => {
      inner = status(vm.reqCallWait(2, (ctx: EmtContext) => void ran.push(ctx.cpu)));
    });
    expect(await inner).toBe(VERR_VM_THREAD_IS_EMT);
    await vm.reqCallWait(0, () => VINF_SUCCESS);
    expect(ran).toEqual([]);
  });

  it.each([
    { why: 'an inline callee that would wait (a rendezvous)', target: 'any', flags: 0, expected: VERR_VM_THREAD_IS_EMT },
    { why: 'NO_WAIT with ALL', target: 'all', flags: VMREQFLAGS_NO_WAIT, expected: VERR_INVALID_PARAMETER },
  ] as const)('the promise API on an EMT refuses $why', async ({ target, flags, expected }) => {
    const { vm } = await makeVm(1);
    let inner: Promise<number> | undefined;
    await vm.reqCallWait(1, () => {
      inner = status(vm.reqCall({ target, flags }, () => emtRendezvous(RV_ONCE, () => VINF_SUCCESS)));
    });
    expect(await inner).toBe(expected);
  });

  it('NO_WAIT to another CPU from the promise API on an EMT is queued at once (no wait needed)', async () => {
    const { vmm, vm } = await makeVm(1);
    const ran: number[] = [];
    await vm.reqCallWait(1, () => {
      void vm.reqCall({ target: 2, flags: VMREQFLAGS_NO_WAIT }, (ctx: EmtContext) => void ran.push(ctx.cpu));
    });
    await vmm.advance(0);
    expect(ran).toEqual([2]);
  });
});

describe('VMR3ReqCallV from EMT code with flags (emtReqCall)', () => {
  it('NO_WAIT to another CPU: the EMT goes on at once, the callee runs later on its CPU', async () => {
    const { vmm, vm } = await makeVm(1);
    const log: string[] = [];
    const rc = await vm.reqCallWait(1, () =>
      emtReqCall({ target: 2, flags: VMREQFLAGS_NO_WAIT }, (ctx: EmtContext) => void log.push(`callee@${ctx.cpu}`), [], (rc) => {
        log.push(`caller goes on: ${rc}`);
        return VINF_TRY_AGAIN;
      }));
    await vmm.advance(0);
    expect(rc).toBe(VINF_TRY_AGAIN);
    expect(log).toEqual([`caller goes on: ${VINF_SUCCESS}`, 'callee@2']);
  });

  it('PRIORITY to another CPU: pushed on its priority lane', async () => {
    const { vm } = await makeVm(1);
    const lanes: string[] = [];
    vm.core.ownQueue(3).events$.subscribe((e) => e.kind === 'push' && lanes.push(e.lane));
    expect(await vm.reqCallWait(0, () => emtReqCall({ target: 3, flags: VMREQFLAGS_PRIORITY }, () => VINF_TRY_AGAIN))).toBe(VINF_TRY_AGAIN);
    expect(lanes).toEqual(['priority']);
  });
});

describe('VMSetRuntimeErrorV: the priority lane unless a non-EMT caller passes NO_WAIT', () => {
  it.each([
    { flags: 0, lane: 'priority', order: ['runtime-error', 'normal 1', 'normal 2'] },
    { flags: VMSETRTERR_FLAGS_NO_WAIT, lane: 'normal', order: ['normal 1', 'normal 2', 'runtime-error'] },
  ])('flags $flags: queued on the $lane lane, handled in order $order', async ({ flags, lane, order }) => {
    const { vmm, vm } = await makeVm(1, 1);
    const handled: string[] = [];
    const lanes: string[] = [];
    vm.core.ownQueue(null).events$.subscribe((e) => e.kind === 'push' && lanes.push(e.lane));
    vm.atRuntimeError(() => void handled.push('runtime-error'));
    const gate = new EmtGate(vm.core.emts[0]!);
    // One at a time, so that the queue order is the call order whatever the seed.
    const normal1 = vm.reqCallWait('any', () => void handled.push('normal 1'));
    await vmm.advance(0);
    const normal2 = vm.reqCallWait('any', () => void handled.push('normal 2'));
    await vmm.advance(0);
    const error = vm.setRuntimeError(flags, 'DiskFull', 'the disk is full');
    await vmm.advance(0);
    expect(lanes).toEqual(['normal', 'normal', lane]);
    gate.release();
    expect(await Promise.all([normal1, normal2, error])).toEqual([VINF_SUCCESS, VINF_SUCCESS, VINF_SUCCESS]);
    await vmm.advance(0);
    expect(handled).toEqual(order);
  });
});

/** docs/fidelity.md, "Stricter than a release build": what VirtualBox only Asserts, the engine refuses. */
describe('stricter than a release build', () => {
  it.each([
    ['all-at-once', VERR_INVALID_FLAGS],
    ['once', VERR_INVALID_FLAGS],
    ['one-by-one', VINF_SUCCESS],
  ] as const)('VMMR3EmtRendezvous: stopOnError with %s answers %i', async (type, expected) => {
    const { vm } = await makeVm(1);
    const ran: number[] = [];
    expect(await status(vm.emtRendezvous({ type, stopOnError: true }, ({ cpu }) => void ran.push(cpu)))).toBe(expected);
    expect(ran).toHaveLength(expected === VINF_SUCCESS ? CPUS : 0);
  });

  it.each(['all', 'all-reverse'] as const)('VMR3ReqQueue: NO_WAIT with %s is VERR_INVALID_PARAMETER, nothing allocated or run', async (target) => {
    const { vm } = await makeVm(1);
    const before = vm.reqStats;
    const ran: number[] = [];
    expect(await status(vm.reqCall({ target, flags: VMREQFLAGS_NO_WAIT }, (ctx: EmtContext) => void ran.push(ctx.cpu)))).toBe(VERR_INVALID_PARAMETER);
    expect(vm.reqStats).toEqual(before);
    expect(ran).toEqual([]);
  });
});
