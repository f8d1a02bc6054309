/**
 * Goal: EMT requests (VMReq.cpp, vbox-facts.md §5) through the public VM API of a 4-vCPU VM: where a request
 * runs for each target, the VOID / NO_WAIT / PRIORITY flags, the argument and flag checks, finite timeouts,
 * packets killed at destruction, the /VM/Req/* statistics and each packet's VMREQSTATE walk.
 *
 * Method: the deterministic scheduler (createVMM({ seed })), several seeds where the order of ready actors
 * matters. Callees record `ctx.cpu`; packets are watched on `vm.events$` (kind 'request') and on the CPU
 * queues' `events$`. Two pieces reach below the facade, both named where they are used:
 *   - EmtGate: request functions are synchronous and requests interrupt guest slices and halts, so no public
 *     call keeps an EMT busy while time passes. The gate is a frame on top of an EMT's stack (what a long
 *     wait inside a callee would be) that holds the EMT until the test releases it. With it, requests pile
 *     up on that CPU's queue (PRIORITY, MoreThan1) and a caller's finite timeout can expire (virtual time
 *     moves only while callers wait and nothing can step).
 *   - reqAlloc + queueRequest on `vm.core`, for a packet the test owns (freeing it while QUEUED; a packet
 *     queued after an EMT has left, killed by the destroy sweep).
 * `settle()` is `vmm.advance(0)`: a barrier after which everything that could step has stepped.
 * `vmm.runUntilIdle()` is not used as a barrier: it returns at once when a drain is already running but
 * paused after settling a caller's promise (reported as an engine bug).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createVMM, emtCallWait, VBoxError, VERR_GENERAL_FAILURE, VERR_INVALID_PARAMETER, VERR_INVALID_VM_HANDLE,
  VERR_NOT_FOUND, VERR_TIMEOUT, VERR_TOO_MUCH_DATA, VERR_VM_REQUEST_KILLED,
  VERR_VM_REQUEST_STATE, VERR_VM_REQUEST_STATUS_FREED, VERR_VM_REQUEST_STATUS_STILL_PENDING, VINF_SUCCESS,
  VINF_TRY_AGAIN, VMREQ_MAX_ARGS, VMREQFLAGS_NO_WAIT, VMREQFLAGS_PRIORITY, VMREQFLAGS_VOID, type CpuTarget,
  type EmtContext, type VM, type Vmm, type VmTraceEvent,
} from '../../src/index.js';
import { EmtGate } from '../support/emt-gate.js';
import { queueRequest, type ReqStats, type VmReq } from '../../src/vmm/requests.js';
import type { ReqCall } from '../../src/vmm/req-call.js';

const CPUS = 4;
const SEEDS = [1, 2, 3] as const;
const NS_PER_MS = 1_000_000;

let vmms: Vmm[] = [];

afterEach(() => {
  for (const vmm of vmms) vmm.dispose();
  vmms = [];
});

async function makeVm(seed: number | undefined, powered = false): Promise<{ vmm: Vmm; vm: VM }> {
  const vmm = createVMM(seed === undefined ? {} : { seed });
  vmms.push(vmm);
  const vm = await vmm.create({ cpus: CPUS, config: { NumCPUs: CPUS, Name: 'requests' } });
  if (powered) {
    expect(await vm.powerOn()).toBe(VINF_SUCCESS);
    expect(vm.state).toBe('RUNNING');
  } else {
    expect(vm.state).toBe('CREATED');
  }
  return { vmm, vm };
}

/** VMR3PowerOff to OFF (its status is informational, VINF_EM_OFF, so only its sign is checked). */
async function powerOff(vm: VM): Promise<void> {
  expect(await vm.powerOff()).toBeGreaterThanOrEqual(0);
  expect(vm.state).toBe('OFF');
}

/** Barrier: let every step that can happen now happen (see header for why not runUntilIdle). */
const settle = (vmm: Vmm) => vmm.advance(0);

/** The rejection's status, or a failure if the promise resolved. */
async function rejection(promise: Promise<unknown>): Promise<number> {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${String(value)}`);
  } catch (error) {
    if (!(error instanceof VBoxError)) throw error;
    return error.rc;
  }
}

function statsDelta(before: ReqStats, after: ReqStats): Partial<ReqStats> {
  const delta: Partial<ReqStats> = {};
  for (const key of Object.keys(after) as (keyof ReqStats)[]) {
    if (after[key] !== before[key]) delta[key] = after[key] - before[key];
  }
  return delta;
}

function requestEvents(vm: VM): Extract<VmTraceEvent, { kind: 'request' }>[] {
  const events: Extract<VmTraceEvent, { kind: 'request' }>[] = [];
  vm.events$.subscribe((e) => {
    if (e.kind === 'request') events.push(e);
  });
  return events;
}

const POWER = [
  ['CREATED', false],
  ['RUNNING', true],
] as const;

describe.each(POWER)('VMR3ReqCallWait targets, VM %s', (_state, powered) => {
  describe.each(SEEDS)('seed %i', (seed) => {
    it.each([0, 1, 2, 3])('CPU id %i runs on that EMT, queued on its own queue', async (cpu) => {
      const { vm } = await makeVm(seed, powered);
      const events = requestEvents(vm);
      const seen: number[] = [];
      expect(await vm.reqCallWait(cpu, (ctx: EmtContext) => void seen.push(ctx.cpu))).toBe(VINF_SUCCESS);
      expect(seen).toEqual([cpu]);
      const queued = events.filter((e) => e.to === 'QUEUED');
      expect(queued.map((e) => e.cpu)).toEqual([cpu]);
    });

    it.each(['any', 'any-queue'] as const)("'%s' from outside runs once on some EMT, via the global queue", async (target) => {
      const { vm } = await makeVm(seed, powered);
      const events = requestEvents(vm);
      const seen: number[] = [];
      expect(await vm.reqCallWait(target, (ctx: EmtContext) => void seen.push(ctx.cpu))).toBe(VINF_SUCCESS);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBeGreaterThanOrEqual(0);
      expect(seen[0]).toBeLessThan(CPUS);
      expect(events.filter((e) => e.to === 'QUEUED').map((e) => e.cpu)).toEqual([null]);
    });

    it.each([
      ['all', [0, 1, 2, 3]],
      ['all-reverse', [3, 2, 1, 0]],
    ] as const)("'%s' runs on every EMT in order %j", async (target, order) => {
      const { vm } = await makeVm(seed, powered);
      const seen: number[] = [];
      expect(await vm.reqCallWait(target, (ctx: EmtContext) => void seen.push(ctx.cpu))).toBe(VINF_SUCCESS);
      expect(seen).toEqual(order);
    });

    // A failing callee does not stop ALL / ALL_REVERSE (VMR3ReqQueue): test/vmm/requests-fidelity.test.ts.
  });
});

describe('VMR3ReqCallWait statuses and arguments', () => {
  it('hands the callee its arguments in order and resolves with an informational status as is', async () => {
    const { vm } = await makeVm(1);
    const got: unknown[][] = [];
    const rc = await vm.reqCallWait(2, (_ctx: EmtContext, ...args: unknown[]) => {
      got.push(args);
      return VINF_TRY_AGAIN;
    }, 'a', 2, 3n, true, null);
    expect(rc).toBe(VINF_TRY_AGAIN); // 52
    expect(got).toEqual([['a', 2, 3n, true, null]]);
  });

  it('rejects with the VBoxError a callee throws', async () => {
    const { vm } = await makeVm(2);
    expect(await rejection(vm.reqCallWait(1, () => {
      throw new VBoxError(VERR_NOT_FOUND);
    }))).toBe(VERR_NOT_FOUND); // -78
  });

  it(`accepts ${VMREQ_MAX_ARGS} arguments (VMREQ_MAX_ARGS)`, async () => {
    const { vm } = await makeVm(1);
    const args = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    let got: unknown[] = [];
    expect(await vm.reqCallWait(1, (_ctx: EmtContext, ...a: unknown[]) => void (got = a), ...args)).toBe(VINF_SUCCESS);
    expect(got).toEqual(args);
  });

  it('rejects 10 arguments with VERR_TOO_MUCH_DATA and allocates nothing', async () => {
    const { vm, vmm } = await makeVm(1);
    const before = vm.reqStats;
    let ran = false;
    const fn = (_ctx: unknown, ..._args: number[]) => void (ran = true); // typed: the arguments must match fn
    expect(await rejection(vm.reqCallWait(1, fn, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10))).toBe(VERR_TOO_MUCH_DATA); // -42
    expect(await rejection(vm.reqCall({ target: 'all' }, fn, ...Array.from({ length: 15 }, (_, i) => i)))).toBe(VERR_TOO_MUCH_DATA);
    await settle(vmm);
    expect(ran).toBe(false);
    expect(vm.reqStats).toEqual(before);
  });

  it.each([
    ['0x10', 0x10],
    ['0x20', 0x20],
    ['0x100', 0x100],
    ['0x80000000', 0x8000_0000],
    ['-1 (every bit)', -1],
  ])('rejects flags %s with VERR_INVALID_PARAMETER and allocates nothing', async (_label, flags) => {
    const { vm, vmm } = await makeVm(1);
    const before = vm.reqStats;
    let ran = false;
    expect(await rejection(vm.reqCall({ target: 1, flags }, () => void (ran = true)))).toBe(VERR_INVALID_PARAMETER); // -2
    await settle(vmm);
    expect(ran).toBe(false);
    expect(vm.reqStats).toEqual(before);
  });

  it.each<[CpuTarget | string]>([[4], [-1], ['bogus'], [1.5], [Number.NaN]])(
    'rejects target %j on a 4-CPU VM with VERR_INVALID_PARAMETER and allocates nothing',
    async (target) => {
      const { vm, vmm } = await makeVm(1);
      const before = vm.reqStats;
      let ran = false;
      expect(await rejection(vm.reqCallWait(target as CpuTarget, () => void (ran = true)))).toBe(VERR_INVALID_PARAMETER);
      expect(() => vm.reqAlloc(target as CpuTarget)).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER }));
      await settle(vmm);
      expect(ran).toBe(false);
      expect(vm.reqStats).toEqual(before);
    },
  );
});

describe('VMR3ReqCallV flags', () => {
  it.each(SEEDS)('VOID resolves VINF_SUCCESS even when the callee fails (seed %i)', async (seed) => {
    const { vm } = await makeVm(seed);
    let ran = 0;
    const fail = () => {
      ran++;
      return VERR_GENERAL_FAILURE;
    };
    expect(await vm.reqCall({ target: 1, flags: VMREQFLAGS_VOID }, fail)).toBe(VINF_SUCCESS);
    expect(ran).toBe(1);
    // With VOID the per-CPU status is VINF_SUCCESS, so ALL does not stop at the failure.
    expect(await vm.reqCall({ target: 'all', flags: VMREQFLAGS_VOID }, fail)).toBe(VINF_SUCCESS);
    expect(ran).toBe(1 + CPUS);
    // Without VOID the same callee's status comes back.
    expect(await rejection(vm.reqCall({ target: 1 }, fail))).toBe(VERR_GENERAL_FAILURE); // -1
  });

  it.each(SEEDS)('NO_WAIT resolves at once; the function runs later and the EMT frees the packet (seed %i)', async (seed) => {
    const { vm, vmm } = await makeVm(seed);
    const before = vm.reqStats;
    const ranOn: number[] = [];
    const rc = await vm.reqCall({ target: 3, flags: VMREQFLAGS_NO_WAIT }, (ctx: EmtContext) => {
      ranOn.push(ctx.cpu);
      return VERR_GENERAL_FAILURE; // nobody waits for it, so nobody sees it
    });
    expect(rc).toBe(VINF_SUCCESS);
    expect(ranOn).toEqual([]);
    await settle(vmm);
    expect(ranOn).toEqual([3]);
    const delta = statsDelta(before, vm.reqStats);
    expect((delta.AllocNew ?? 0) + (delta.AllocRecycled ?? 0)).toBe(1);
    expect(delta.Processed).toBe(1);
    expect(delta.Free).toBe(1);
  });

  it.each([undefined, ...SEEDS])(
    'PRIORITY requests queued behind normal ones on a busy CPU run first (seed %s)',
    async (seed) => {
      const { vm, vmm } = await makeVm(seed);
      const queue = vm.core.ownQueue(1); // watched: the VM's own for good (never frozen again)
      const order: string[] = [];
      const names = new Map<unknown, string>();
      const pushes: { lane: string; name: string }[] = [];
      queue.events$.subscribe((e) => {
        if (e.kind === 'push') pushes.push({ lane: e.lane, name: names.get(vm.core.functions.get(e.item.fnId))! });
      });
      const gate = new EmtGate(vm.core.emts[1]!);
      const requests = [
        ['N1', 0],
        ['N2', 0],
        ['P1', VMREQFLAGS_PRIORITY],
        ['N3', 0],
        ['P2', VMREQFLAGS_PRIORITY],
      ] as const;
      // All submitted in one tick, before the scheduler runs; each caller thread queues its packet when it
      // is scheduled (in creation order with the default policy, in seeded order otherwise).
      const all = Promise.all(
        requests.map(([name, flags]) => {
          const fn = (ctx: EmtContext) => {
            expect(ctx.cpu).toBe(1);
            order.push(name);
          };
          names.set(fn, name);
          return vm.reqCall({ target: 1, flags }, fn);
        }),
      );
      await settle(vmm);
      // EMT 1 is busy: everything is queued, nothing ran.
      expect(order).toEqual([]);
      expect(queue.priority).toHaveLength(2);
      expect(queue.normal).toHaveLength(3);
      gate.release();
      expect(await all).toEqual([0, 0, 0, 0, 0]);
      // §5.10: the priority lane first, then the normal lane, each in the order the packets were queued.
      const lane = (which: string) => pushes.filter((p) => p.lane === which).map((p) => p.name);
      expect(order).toEqual([...lane('priority'), ...lane('normal')]);
      expect(queue.isEmpty).toBe(true);
      if (seed === undefined) {
        // The default policy steps ready actors in creation order, so packets are queued as submitted.
        expect(order).toEqual(['P1', 'P2', 'N1', 'N2', 'N3']);
      }
    },
  );
});

describe('VMR3ReqCallV with a finite timeout (cMillies)', () => {
  it.each(SEEDS)('a request to a busy CPU times out with VERR_TIMEOUT and still completes later (seed %i)', async (seed) => {
    const { vm, vmm } = await makeVm(seed);
    const events = requestEvents(vm);
    const gate = new EmtGate(vm.core.emts[1]!);
    const before = vm.reqStats;
    const t0 = vmm.clock.nowNs();
    const ranOn: number[] = [];
    const rc = await rejection(vm.reqCall({ target: 1, timeoutMs: 5 }, (ctx: EmtContext) => void ranOn.push(ctx.cpu)));
    expect(rc).toBe(VERR_TIMEOUT); // -40
    // Virtual time moved by exactly the timeout: nothing else could happen while EMT 1 was held.
    expect(vmm.clock.nowNs() - t0).toBe(5 * NS_PER_MS);
    expect(ranOn).toEqual([]);
    // The packet is still valid and queued (§5.6 step 5).
    const queued = vm.core.cpuQueues[1]!.normal;
    expect(queued).toHaveLength(1);
    const req = queued[0]!;
    expect(req.state).toBe('QUEUED');
    expect(statsDelta(before, vm.reqStats).Processed).toBeUndefined();

    gate.release();
    await settle(vmm);
    expect(ranOn).toEqual([1]);
    const delta = statsDelta(before, vm.reqStats);
    expect(delta.Processed).toBe(1);
    // The caller's thread frees the late packet when it completes.
    expect(delta.Free).toBe(1);
    expect(req.state).toBe('FREE');
    expect(events.filter((e) => e.id === req.id).map((e) => e.to).slice(-4)).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED', 'FREE']);
  });

  it('a request that completes before its timeout resolves normally and lets no time pass', async () => {
    const { vm, vmm } = await makeVm(1);
    const t0 = vmm.clock.nowNs();
    expect(await vm.reqCall({ target: 2, timeoutMs: 5 }, () => VINF_TRY_AGAIN)).toBe(VINF_TRY_AGAIN);
    await settle(vmm);
    expect(vmm.clock.nowNs()).toBe(t0);
  });

  it('a timeout on ALL covers the whole walk: CPUs after the busy one still run later', async () => {
    const { vm, vmm } = await makeVm(1);
    const gate = new EmtGate(vm.core.emts[2]!);
    const seen: number[] = [];
    expect(await rejection(vm.reqCall({ target: 'all', timeoutMs: 1 }, (ctx: EmtContext) => void seen.push(ctx.cpu)))).toBe(VERR_TIMEOUT);
    expect(seen).toEqual([0, 1]);
    gate.release();
    await settle(vmm);
    // After the timeout the caller frees the packet when CPU 2 completes; the walk does not go on to 3.
    expect(seen).toEqual([0, 1, 2]);
  });
});

describe('vmR3DestroyUVM: requests still queued are killed', () => {
  it('a packet queued after its EMT left completes with VERR_VM_REQUEST_KILLED and goes INVALID', async () => {
    const { vm } = await makeVm(1);
    await powerOff(vm);
    let req: VmReq | undefined;
    const statuses: number[] = [];
    let ran = false;
    vm.events$.subscribe((e) => {
      if (e.kind !== 'emt' || e.cpu !== 3 || e.to !== 'terminated' || req) return;
      // EMT 3 has processed its vmR3Destroy and left its loop: nobody will take this packet.
      req = vm.reqAlloc(3);
      req.fnId = vm.core.functions.add(() => void (ran = true));
      const packet = req;
      // A stand-in for the waiting thread: the packet's event reaches it as a 'signal' record.
      req.caller = { thread: { post: (step: { event: string }) => step.event === 'signal' && statuses.push(packet.status) } } as unknown as ReqCall;
      queueRequest(req, null);
    });
    expect(await vm.destroy()).toBe(VINF_SUCCESS);
    expect(vm.state).toBe('TERMINATED');
    expect(req?.state).toBe('INVALID');
    expect(req?.status).toBe(VERR_VM_REQUEST_KILLED); // -1919
    expect(statuses).toEqual([VERR_VM_REQUEST_KILLED]);
    expect(ran).toBe(false);
  });

  it('requests submitted right before destroy either run or are killed, by queue position', async () => {
    let killedTotal = 0;
    let ranTotal = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { vm } = await makeVm(seed);
      await powerOff(vm);
      const ours = new Map<unknown, number>();
      const pushedAfterDestroy = new Set<number>();
      let destroyQueued = false;
      vm.core.ownQueue(3).events$.subscribe((e) => {
        if (e.kind !== 'push') return;
        const index = ours.get(vm.core.functions.get(e.item.fnId));
        if (index === undefined) destroyQueued = true; // the ALL_REVERSE vmR3Destroy packet
        else if (destroyQueued) pushedAfterDestroy.add(index);
      });
      const ran = new Set<number>();
      // Half wait for their status, half are NO_WAIT; all are submitted in the same tick as destroy().
      const calls = Array.from({ length: 8 }, (_, i) => {
        const fn = () => void ran.add(i);
        ours.set(fn, i);
        return vm.reqCall({ target: 3, flags: i % 2 === 0 ? 0 : VMREQFLAGS_NO_WAIT }, fn);
      });
      const destroyed = vm.destroy();
      const results = await Promise.allSettled(calls);
      expect(await destroyed).toBe(VINF_SUCCESS);
      expect(destroyQueued).toBe(true);
      for (const [i, result] of results.entries()) {
        const killed = pushedAfterDestroy.has(i);
        // Behind the destroy packet on CPU 3's queue: EMT 3 leaves first, the packet is swept.
        expect(ran.has(i)).toBe(!killed);
        if (i % 2 === 1) expect(result).toEqual({ status: 'fulfilled', value: VINF_SUCCESS }); // NO_WAIT
        else if (killed) expect(result).toEqual({ status: 'rejected', reason: expect.objectContaining({ rc: VERR_VM_REQUEST_KILLED }) });
        else expect(result).toEqual({ status: 'fulfilled', value: VINF_SUCCESS });
      }
      killedTotal += pushedAfterDestroy.size;
      ranTotal += ran.size;
    }
    // Across the seeds both outcomes happen (a seed where none is killed would prove nothing).
    expect(killedTotal).toBeGreaterThan(0);
    expect(ranTotal).toBeGreaterThan(0);
    expect(killedTotal + ranTotal).toBe(8 * 8);
  });

  it('a request to a destroyed VM rejects with VERR_INVALID_VM_HANDLE', async () => {
    const { vm } = await makeVm(1);
    await powerOff(vm);
    await vm.destroy();
    expect(await rejection(vm.reqCallWait(0, () => VINF_SUCCESS))).toBe(VERR_INVALID_VM_HANDLE); // -1016
  });
});

describe('/VM/Req/* statistics (§5.12)', () => {
  it('one call: one allocation (recycled when the cache has one), one Processed, one Free', async () => {
    const { vm } = await makeVm(1);
    expect(vm.pool.cached).toBeGreaterThan(0); // VMR3Create's requests left packets on the free list
    const before = vm.reqStats;
    await vm.reqCallWait(1, () => VINF_SUCCESS);
    expect(statsDelta(before, vm.reqStats)).toEqual({ AllocRecycled: 1, Processed: 1, Free: 1 });
  });

  it('ALL: one packet processed on each CPU, freed once', async () => {
    const { vm } = await makeVm(2);
    const before = vm.reqStats;
    await vm.reqCallWait('all', () => VINF_SUCCESS);
    expect(statsDelta(before, vm.reqStats)).toEqual({ AllocRecycled: 1, Processed: CPUS, Free: 1 });
  });

  it('AllocNew once the free list is empty, AllocRecycled while it is not', async () => {
    const { vm } = await makeVm(1);
    const cached = vm.pool.cached;
    const before = vm.reqStats;
    const reqs = Array.from({ length: cached + 3 }, () => vm.reqAlloc('any'));
    expect(new Set(reqs).size).toBe(reqs.length);
    expect(statsDelta(before, vm.reqStats)).toEqual({ AllocRecycled: cached, AllocNew: 3 });
    for (const req of reqs) vm.reqFree(req);
    expect(statsDelta(before, vm.reqStats)).toEqual({ AllocRecycled: cached, AllocNew: 3, Free: cached + 3 });
    expect(vm.pool.cached).toBe(cached + 3);
  });

  it('keeps at most 128 packets on the free list; the rest are really freed (FreeOverflow)', async () => {
    const { vm } = await makeVm(1);
    const before = vm.reqStats;
    const reqs = Array.from({ length: 130 }, () => vm.reqAlloc('any'));
    for (const req of reqs) vm.reqFree(req);
    expect(vm.pool.cached).toBe(128);
    const delta = statsDelta(before, vm.reqStats);
    expect(delta.Free).toBe(130);
    expect(delta.FreeOverflow).toBe(2);
    const again = vm.reqStats;
    const reqs2 = Array.from({ length: 130 }, () => vm.reqAlloc('any'));
    expect(statsDelta(again, vm.reqStats)).toEqual({ AllocRecycled: 128, AllocNew: 2 });
    for (const req of reqs2) vm.reqFree(req);
  });

  it('MoreThan1 counts the takes from a lane that held more than one packet', async () => {
    const { vm, vmm } = await makeVm(3);
    const gate = new EmtGate(vm.core.emts[1]!);
    const before = vm.reqStats;
    const calls = [1, 2, 3].map(() => vm.reqCallWait(1, () => VINF_SUCCESS));
    await settle(vmm);
    expect(vm.core.cpuQueues[1]!.normal).toHaveLength(3);
    gate.release();
    expect(await Promise.all(calls)).toEqual([0, 0, 0]);
    // Takes from a lane of 3, then 2, then 1.
    expect(statsDelta(before, vm.reqStats)).toEqual({ AllocRecycled: 2, AllocNew: 1, Processed: 3, Free: 3, MoreThan1: 2 });
  });
});

describe('VMREQSTATE (machines/request.ts) through vm.events$', () => {
  const walk = (events: Extract<VmTraceEvent, { kind: 'request' }>[], id: number) =>
    events.filter((e) => e.id === id).map((e) => `${e.from}>${e.to}`);

  it('a recycled packet goes FREE → ALLOCATED → QUEUED → PROCESSING → COMPLETED → FREE', async () => {
    const { vm } = await makeVm(1);
    const events = requestEvents(vm);
    await vm.reqCallWait(2, () => VINF_SUCCESS);
    const ids = [...new Set(events.map((e) => e.id))];
    expect(ids).toHaveLength(1);
    expect(walk(events, ids[0]!)).toEqual([
      'FREE>ALLOCATED', 'ALLOCATED>QUEUED', 'QUEUED>PROCESSING', 'PROCESSING>COMPLETED', 'COMPLETED>FREE',
    ]);
    expect(events.find((e) => e.to === 'QUEUED')?.cpu).toBe(2);
  });

  it('an ALL packet is requeued (COMPLETED → ALLOCATED) for each next CPU', async () => {
    const { vm } = await makeVm(2);
    const events = requestEvents(vm);
    await vm.reqCallWait('all', () => VINF_SUCCESS);
    const [id] = new Set(events.map((e) => e.id));
    const perCpu = ['ALLOCATED>QUEUED', 'QUEUED>PROCESSING', 'PROCESSING>COMPLETED'];
    expect(walk(events, id!)).toEqual([
      'FREE>ALLOCATED', ...perCpu, 'COMPLETED>ALLOCATED', ...perCpu, 'COMPLETED>ALLOCATED', ...perCpu,
      'COMPLETED>ALLOCATED', ...perCpu, 'COMPLETED>FREE',
    ]);
    expect(events.filter((e) => e.to === 'QUEUED').map((e) => e.cpu)).toEqual([0, 1, 2, 3]);
  });

  it('VMR3ReqAlloc resets a recycled packet; VMR3ReqFree marks it FREED', async () => {
    const { vm } = await makeVm(1);
    const req = vm.reqAlloc(3);
    expect(req.state).toBe('ALLOCATED');
    expect(req.status).toBe(VERR_VM_REQUEST_STATUS_STILL_PENDING); // -1904
    expect(req.target).toBe(3);
    vm.reqFree(req);
    expect(req.state).toBe('FREE');
    expect(req.status).toBe(VERR_VM_REQUEST_STATUS_FREED); // -1905
    expect(() => vm.reqFree(null)).not.toThrow();
  });

  it('freeing a QUEUED packet throws VERR_VM_REQUEST_STATE and changes nothing', async () => {
    const { vm, vmm } = await makeVm(1);
    const req = vm.reqAlloc(1);
    let ran = false;
    req.fnId = vm.core.functions.add(() => void (ran = true));
    queueRequest(req, null);
    expect(req.state).toBe('QUEUED');
    const before = vm.reqStats;
    expect(() => vm.reqFree(req)).toThrow(expect.objectContaining({ rc: VERR_VM_REQUEST_STATE })); // -1902
    expect(req.state).toBe('QUEUED');
    expect(vm.reqStats).toEqual(before);
    await settle(vmm);
    expect(ran).toBe(true);
    expect(req.state).toBe('COMPLETED');
    vm.reqFree(req);
    expect(req.state).toBe('FREE');
    // Twice is a state error too.
    expect(() => vm.reqFree(req)).toThrow(expect.objectContaining({ rc: VERR_VM_REQUEST_STATE }));
  });
});

describe('VMR3ReqCallWait from an EMT (emtCallWait)', () => {
  it('to its own CPU runs inline: a second packet, processed on the spot and not counted as Processed', async () => {
    const { vm } = await makeVm(1);
    const before = vm.reqStats;
    const seen: string[] = [];
    const inner = (ctx: EmtContext) => {
      seen.push(`inner@${ctx.cpu}`);
      return VINF_TRY_AGAIN;
    };
    const rc = await vm.reqCallWait(1, (ctx: EmtContext) => {
      seen.push(`outer@${ctx.cpu}`);
      return emtCallWait(1, inner, [], (rc) => (seen.push(`then:${rc}`), VINF_SUCCESS));
    });
    expect(rc).toBe(VINF_SUCCESS);
    expect(seen).toEqual(['outer@1', 'inner@1', `then:${VINF_TRY_AGAIN}`]);
    // VMR3ReqCallVU allocates the inner packet too; VMR3ReqQueue runs it with vmR3ReqProcessOne, and only
    // VMR3ReqProcessU (the queued outer one) counts /VM/Req/Processed.
    expect(statsDelta(before, vm.reqStats)).toEqual({ AllocRecycled: 2, Processed: 1, Free: 2 });
  });

  it.each(SEEDS)('to another CPU queues a packet there and waits for its status (seed %i)', async (seed) => {
    const { vm } = await makeVm(seed);
    const before = vm.reqStats;
    const seen: string[] = [];
    const inner = (ctx: EmtContext, a: number, b: number) => {
      seen.push(`inner@${ctx.cpu}:${a + b}`);
      return VERR_NOT_FOUND;
    };
    const rc = await rejection(vm.reqCallWait(1, (ctx: EmtContext) => {
      seen.push(`outer@${ctx.cpu}`);
      return emtCallWait(2, inner, [40, 2]);
    }));
    expect(rc).toBe(VERR_NOT_FOUND);
    expect(seen).toEqual(['outer@1', 'inner@2:42']);
    const delta = statsDelta(before, vm.reqStats);
    expect((delta.AllocNew ?? 0) + (delta.AllocRecycled ?? 0)).toBe(2);
    expect(delta.Processed).toBe(2);
    expect(delta.Free).toBe(2);
  });
});
