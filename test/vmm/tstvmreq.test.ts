/**
 * Goal: VirtualBox's tstVMREQ.cpp (vbox-facts.md §11.1) ported to the engine, sub-test by sub-test, on one
 * 1-vCPU VM like the original:
 *   (a) "Alloc+Free Benchmark": two allocators, REQ0 and REQ1, each allocating i mod 17 packets in
 *       iteration i (target VMCPUID_ANY), storing iStatus = iReq + i, checking the values are intact and
 *       freeing them; then the /VM/Req/* statistics;
 *   (b) "VMR3ReqCallWaitU" argument marshalling: one call without arguments, then 1..9 random arguments of
 *       each of five types, 46 calls in all, each VINF_SUCCESS; and the "va_list argument test" analogue;
 *   (c) VMSetRuntimeError with flags 0 ("enum", "some %s string" → "some error string"): the callback sees
 *       it, the VM state does not change;
 *   (d) cleanup: VMR3PowerOff from CREATED (CREATED → POWERING_OFF → OFF), then VMR3Destroy
 *       (OFF → DESTROYING → TERMINATED).
 *
 * Method: the deterministic scheduler with a fixed seed. The two allocator threads of (a) are two async
 * loops that yield after every allocation and between phases, so their allocations and frees interleave on
 * the shared free list (the single JS thread makes "lock-free under contention" an interleaving, which is
 * what the engine's packet pool has to get right). 2,000 iterations each here; bench/tstvmreq.ts runs the
 * original 100,000. The sub-tests share the VM and run in the original's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVMM, VERR_INVALID_PARAMETER, VERR_TOO_MUCH_DATA, VINF_SUCCESS, VMREQ_MAX_ARGS, type EmtContext, type VM,
  type Vmm, type VmStateChange,
} from '../../src/index.js';
import { Prng } from '../../src/sched/prng.js';
import type { ReqStats, VmReq } from '../../src/vmm/requests.js';

const SEED = 0x7e57;
const ITERATIONS = 2_000;
/** VMR3ReqAlloc's free-list cache limit (VMReq.cpp: cReqFree < 128). */
const FREE_CACHE_MAX = 128;
/** Most packets one allocator holds at once (iteration i holds i mod 17). */
const REQS_MAX = 16;

let vmm: Vmm;
let vm: VM;
const states: string[] = [];

beforeAll(async () => {
  vmm = createVMM({ seed: SEED });
  // tstVMREQ: VMR3Create with 1 vCPU and the default CFGM tree.
  vm = await vmm.create({ cpus: 1 });
  expect(vm.state).toBe('CREATED');
  vm.state$.subscribe((change: VmStateChange) => states.push(`${change.from ?? '-'}>${change.to}`));
});

afterAll(() => vmm.dispose());

/** Let the other allocator run (one thread yielding its time slice). */
const yieldThread = () => Promise.resolve();

/** Packets allocated by one allocator over `iterations` iterations: Σ i mod 17. */
function allocCount(iterations: number): number {
  let total = 0;
  for (let i = 0; i < iterations; i++) total += i % 17;
  return total;
}

/** One "REQn" thread: alloc i mod 17, store iReq + i, check, free. Returns its failures (tstVMREQ: cErrors). */
async function allocFreeThread(name: string, live: Set<VmReq>): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const cReqs = i % 17;
    const reqs: VmReq[] = [];
    for (let iReq = 0; iReq < cReqs; iReq++) {
      const req = vm.reqAlloc('any');
      // A packet handed out twice while alive would break everything below.
      if (live.has(req)) failures.push(`${name}: i=${i} iReq=${iReq}: packet ${req.id} handed out twice`);
      live.add(req);
      req.status = iReq + i;
      reqs.push(req);
      await yieldThread();
    }
    for (const [iReq, req] of reqs.entries()) {
      if (req.status !== iReq + i) failures.push(`${name}: i=${i} iReq=${iReq}: iStatus ${req.status}, expected ${iReq + i}`);
      if (req.state !== 'ALLOCATED') failures.push(`${name}: i=${i} iReq=${iReq}: state ${req.state}`);
    }
    await yieldThread();
    for (const req of reqs) {
      live.delete(req);
      vm.reqFree(req);
    }
    await yieldThread();
  }
  return failures;
}

describe('VMR3ReqAlloc / VMR3ReqFree (tstVMREQ "Alloc+Free Benchmark")', () => {
  it(`two allocators, ${ITERATIONS} iterations each, keep every packet intact and recycle packets`, async () => {
    const before = vm.reqStats;
    const live = new Set<VmReq>();
    const start = process.hrtime.bigint();
    const [req0, req1] = await Promise.all([allocFreeThread('REQ0', live), allocFreeThread('REQ1', live)]);
    const runtimeNs = process.hrtime.bigint() - start;
    const after = vm.reqStats;
    const delta = Object.fromEntries(
      (Object.keys(after) as (keyof ReqStats)[]).map((key) => [key, after[key] - before[key]]),
    ) as unknown as ReqStats;
    console.log(`tstVMREQ Alloc+Free: runtime ${runtimeNs} ns (${ITERATIONS} iterations x 2 threads)`);
    for (const [key, value] of Object.entries(after)) console.log(`  /VM/Req/${key}`.padEnd(24), String(value).padStart(8));

    expect(req0).toEqual([]);
    expect(req1).toEqual([]);
    expect(live.size).toBe(0);
    const allocs = 2 * allocCount(ITERATIONS);
    expect(allocs).toBe(31_934); // 2 × (117 × 136 + 55)
    expect(delta.AllocNew + delta.AllocRecycled).toBe(allocs);
    expect(delta.Free).toBe(allocs);
    // Recycling: never more than two allocators' worth of live packets, so at most 32 new ones.
    expect(delta.AllocNew).toBeLessThanOrEqual(2 * REQS_MAX);
    expect(delta.AllocRecycled).toBeGreaterThanOrEqual(allocs - 2 * REQS_MAX);
    expect(delta.FreeOverflow).toBe(0);
    expect(vm.pool.cached).toBeLessThanOrEqual(FREE_CACHE_MAX);
    // Nothing was queued, so nothing was processed.
    expect(delta.Processed).toBe(0);
    expect(delta.MoreThan1).toBe(0);
    expect(vm.state).toBe('CREATED');
  });
});

/** The five argument types of the marshalling sub-test, with a generator and a check of the callee's view. */
const ARG_TYPES: ReadonlyArray<{ name: string; make: (prng: Prng) => unknown; valid: (value: unknown) => boolean }> = [
  {
    name: 'uintptr_t',
    make: (prng) => (BigInt(prng.int(2 ** 32)) << 32n) | BigInt(prng.int(2 ** 32)),
    valid: (v) => typeof v === 'bigint' && v >= 0n && v < 1n << 64n,
  },
  { name: 'uint32_t', make: (prng) => prng.int(2 ** 32), valid: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32 },
  { name: 'uint16_t', make: (prng) => prng.int(2 ** 16), valid: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 16 },
  { name: 'uint8_t', make: (prng) => prng.int(2 ** 8), valid: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 8 },
  { name: 'bool', make: (prng) => prng.int(2) === 1, valid: (v) => typeof v === 'boolean' },
];

/** A tiny RTStrPrintf for '%s' only. */
function formatS(format: string, args: readonly unknown[]): string {
  let next = 0;
  return format.replace(/%s/g, () => String(args[next++]));
}

describe('VMR3ReqCallWaitU (tstVMREQ "va_list argument test")', () => {
  /** The callback of the original: checks every argument, then formats. */
  const passVa = (_ctx: EmtContext, uvm: unknown, u4K: unknown, u1G: unknown, format: unknown, va: unknown) => {
    if (uvm !== vm) return VERR_INVALID_PARAMETER;
    if (u4K !== 4096 || u1G !== 0x40000000 || format !== 'hello %s') return VERR_INVALID_PARAMETER;
    const formatted = formatS(format, Array.isArray(va) ? va : [va]);
    return formatted === 'hello world' ? VINF_SUCCESS : VERR_INVALID_PARAMETER;
  };

  it("passes (UVM, 4096, 0x40000000, 'hello %s', 'world') to VMCPUID_ANY and formats 'hello world'", async () => {
    expect(await vm.reqCallWait('any', passVa, vm, 4096, 0x40000000, 'hello %s', 'world')).toBe(VINF_SUCCESS);
  });

  it('passes a copy of the argument list the same way (the va_copy run)', async () => {
    const va = ['world'] as const;
    expect(await vm.reqCallWait('any', passVa, vm, 4096, 0x40000000, 'hello %s', [...va])).toBe(VINF_SUCCESS);
  });
});

describe('VMSetRuntimeError (tstVMREQ, flags 0)', () => {
  it("reaches the at-runtime-error callback with flags 0, id 'enum' and 'some error string', and changes no state", async () => {
    const userArgument = 'user argument';
    const seen: { user: string; flags: number; id: string; message: string }[] = [];
    const deregister = vm.atRuntimeError((flags, id, message) => seen.push({ user: userArgument, flags, id, message }));
    const statesBefore = states.length;
    const countBefore = vm.runtimeErrorCount;
    expect(await vm.setRuntimeError(0, 'enum', formatS('some %s string', ['error']))).toBe(VINF_SUCCESS);
    expect(seen).toEqual([{ user: 'user argument', flags: 0, id: 'enum', message: 'some error string' }]);
    expect(vm.runtimeErrorCount - countBefore).toBe(1);
    expect(vm.runtimeErrorCount).toBe(1);
    expect(vm.state).toBe('CREATED');
    expect(states.length).toBe(statesBefore);
    deregister();
  });
});

describe('VMR3ReqCallWaitU (tstVMREQ argument marshalling)', () => {
  it('46 calls: none, then 1..9 random arguments of each of 5 types, all VINF_SUCCESS', async () => {
    const prng = new Prng(SEED);
    let calls = 0;
    const statuses: number[] = [];
    // No arguments.
    statuses.push(
      await vm.reqCallWait('any', (_ctx: EmtContext, ...args: unknown[]) => {
        if (args.length !== 0) return VERR_INVALID_PARAMETER;
        calls++;
        return VINF_SUCCESS;
      }),
    );
    for (const type of ARG_TYPES) {
      for (let cArgs = 1; cArgs <= VMREQ_MAX_ARGS; cArgs++) {
        const expected = Array.from({ length: cArgs }, () => type.make(prng));
        const callee = (_ctx: EmtContext, ...args: unknown[]) => {
          if (args.length !== expected.length) return VERR_INVALID_PARAMETER;
          for (const [i, arg] of args.entries()) {
            if (!type.valid(arg) || arg !== expected[i]) return VERR_INVALID_PARAMETER;
          }
          calls++;
          return VINF_SUCCESS;
        };
        statuses.push(await vm.reqCallWait('any', callee, ...expected));
      }
    }
    expect(statuses).toHaveLength(46);
    expect(statuses.every((rc) => rc === VINF_SUCCESS)).toBe(true);
    expect(calls).toBe(46);
  });

  it('the 10..15 argument variants the original comments out ("max is now 9") fail with VERR_TOO_MUCH_DATA', async () => {
    for (let cArgs = 10; cArgs <= 15; cArgs++) {
      const args = Array.from({ length: cArgs }, (_, i) => i);
      await expect(vm.reqCallWait('any', (_ctx, ..._a: number[]) => VINF_SUCCESS, ...args)).rejects.toMatchObject({ rc: VERR_TOO_MUCH_DATA }); // -42
    }
  });
});

describe('VMR3PowerOff / VMR3Destroy (tstVMREQ cleanup)', () => {
  it('powers off from CREATED, then destroys', async () => {
    const from = states.length;
    expect(await vm.powerOff()).toBeGreaterThanOrEqual(0);
    expect(vm.state).toBe('OFF');
    expect(await vm.destroy()).toBe(VINF_SUCCESS);
    expect(vm.state).toBe('TERMINATED');
    expect(states.slice(from)).toEqual(['CREATED>POWERING_OFF', 'POWERING_OFF>OFF', 'OFF>DESTROYING', 'DESTROYING>TERMINATED']);
  });
});
