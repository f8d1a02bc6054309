/**
 * The halt waits are data (DESIGN.md "Engine state is data"; issue 12): while an EMT is halted (VMR3WaitHalted
 * through OLD, METHOD_1 or GLOBAL_1) or idle (VMR3WaitU), what ends its wait is a record `{ target, event }`:
 * the spin's timer, the semaphore's waiter and its timeout, GVMM's pending halt and its timeout. No pending
 * timer of the world is a closure, and the loop, the semaphore waiter and GVMM's wait hold no function.
 *
 * Method: a guest on vCPU 1 halts until a deadline; partway (GIP time just after the halt starts) the test
 * walks the state, then lets the deadline pass and checks the halt ended on it (behaviour unchanged).
 * Table-driven over the methods and the three ways a loop waits (vbox-facts.md §4.2: spin under the
 * threshold, block on the semaphore, block in GVMM).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createVMM, type TimerAction, type Vmm, type VmTraceEvent } from '../../src/index.js';
import type { DeterministicScheduler } from '../../src/sched/deterministic.js';
import { haltOf, queryHaltStats } from '../../src/vmm/halt/state.js';
import { vmR3SetHaltMethodU } from '../../src/vmm/halt/set-method.js';
import { VMHALTMETHOD } from '../../machines/halt-method.js';
import type { VmCore } from '../../src/vmm/vm-core.js';

const US = 1_000;
const MS = 1_000_000;

let engines: Vmm[] = [];
afterEach(() => {
  for (const vmm of engines) vmm.dispose();
  engines = [];
});

/** Functions among `value`'s own fields, following plain records and arrays (not other objects: a record's target). */
function functionsIn(value: unknown, where: string, seen = new Set<unknown>()): string[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  const found: string[] = [];
  for (const [name, field] of Object.entries(value)) {
    if (typeof field === 'function') found.push(`${where}.${name}`);
    else if (Array.isArray(field) || (field !== null && typeof field === 'object' && Object.getPrototypeOf(field) === Object.prototype)) {
      found.push(...functionsIn(field, `${where}.${name}`, seen));
    }
  }
  return found;
}

/** Everything the halt and idle waits of `core`'s EMTs keep across scheduler steps, and the world's pending timers. */
function inspect(vmm: Vmm, core: VmCore) {
  const halt = haltOf(core);
  const found: string[] = [];
  const waiting: string[] = [];
  core.emts.forEach((emt, cpu) => {
    const cpuHalt = halt.cpus[cpu]!;
    if (cpuHalt.active) {
      found.push(...functionsIn(cpuHalt.active, `emt.${cpu}.halt`));
      waiting.push(`${cpu}:${(cpuHalt.active as unknown as { waiting: string }).waiting}`);
    }
    if (emt.idle) {
      found.push(...functionsIn(emt.idle, `emt.${cpu}.idle`));
      waiting.push(`${cpu}:idle:${(emt.idle as unknown as { waiting: string }).waiting}`);
    }
    found.push(...functionsIn(cpuHalt.semRecord?.waiter, `emt.${cpu}.sem.waiter`));
    const gvm = halt.gvmm.table.lookup(core.handle);
    if (typeof gvm !== 'number') found.push(...functionsIn(gvm.cpus[cpu]!.wait, `gvm.cpu.${cpu}.wait`));
  });
  const timers = (vmm.sched as DeterministicScheduler).timerList() as unknown as readonly { label: string; action: unknown }[];
  // `advance` is the test's own wait on the scheduler, not the engine's state.
  for (const t of timers) if (t.label !== 'advance' && typeof t.action === 'function') found.push(`timer ${t.label}`);
  return { found, waiting, labels: timers.map((t) => t.label) };
}

describe('halt waits as data', () => {
  it.each([
    { method: 'GLOBAL_1', untilNs: 5 * MS, waiting: 'gvmm', timer: 'vm.1/emt.1/gvmm-halt' },
    { method: 'GLOBAL_1', untilNs: 30 * US, waiting: 'spin', timer: 'vm.1/emt.1/spin' },
    { method: 'OLD', untilNs: 5 * MS, waiting: 'sem', timer: 'vm.1/emt.1/sem' },
    { method: 'OLD', untilNs: 30 * US, waiting: 'spin', timer: 'vm.1/emt.1/spin' },
    { method: 'METHOD_1', untilNs: 5 * MS, waiting: 'sem', timer: 'vm.1/emt.1/sem' },
  ] as const)('$method halted until $untilNs ns waits by $waiting: no closure in its state', async ({ method, untilNs, waiting, timer }) => {
    let halts = 0;
    const vmm = createVMM({
      hooks: { executeGuest: (ctx) => (ctx.cpu === 1 && halts++ === 0 ? { kind: 'halt', untilNs } : { kind: 'run', ns: 1_000 * MS }) },
    });
    engines.push(vmm);
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
    if (method !== 'GLOBAL_1') await vm.reqCallWait('any', (ctx) => vmR3SetHaltMethodU(ctx.vm, VMHALTMETHOD[method]));
    // Idle before power-on: VMR3WaitU's waits are data too.
    const idle = inspect(vmm, vm.core);
    // VMR3WaitU: DEFAULT (OLD, METHOD_1) blocks on the semaphore, GLOBAL_1 in GVMM (vbox-facts.md §4.2).
    const idleBy = method === 'GLOBAL_1' ? 'gvmm' : 'sem';
    expect(idle.waiting).toEqual([`0:idle:${idleBy}`, `1:idle:${idleBy}`]);
    expect(idle.found).toEqual([]);
    await vm.powerOn();
    await vmm.advance(10 * US);
    const halted = inspect(vmm, vm.core);
    expect(halted.waiting).toEqual([`1:${waiting}`]);
    expect(halted.labels).toContain(timer);
    expect(halted.found).toEqual([]);
    await vmm.advance(untilNs);
    expect(queryHaltStats(vm.core).cpus[1]).toMatchObject({ cHalts: 1, cTimerExpiries: 1 });
    expect(haltOf(vm.core).cpus[1]!.active).toBe(null);
  });

  it('an embedder halt hook gets a wake-up record: used as a timer action it ends the halt before the deadline', async () => {
    const wakes: TimerAction[] = [];
    let halts = 0;
    const vmm = createVMM({
      hooks: {
        executeGuest: (ctx) => (ctx.cpu === 0 && halts++ === 0 ? { kind: 'halt', untilNs: 5 * MS } : { kind: 'run', ns: 1_000 * MS }),
        // A halt method of the embedder's: wake the vCPU 1 ms after it halts (the deadline is the hook's to keep).
        halt: (emt, _untilNs, wake) => {
          wakes.push(wake);
          emt.vm.host.sched.setTimer(emt.vm.nowNs() + 1 * MS, 'test/hook-wake', wake);
          return undefined;
        },
        wait: undefined,
        notifyCpuFF: undefined,
      },
    });
    engines.push(vmm);
    const vm = await vmm.create({ cpus: 1 });
    const left: number[] = [];
    vm.events$.subscribe((e: VmTraceEvent) => {
      if (e.kind === 'cpu-state' && e.from === 'STARTED_HALTED') left.push(e.tNs);
    });
    await vm.powerOn();
    await vmm.advance(10 * US);
    const frame = vm.core.emts[0]!.top()!;
    expect((frame as { kind?: unknown }).kind).toBe('halt');
    const found = functionsIn(frame, 'emt.0[top]');
    for (const wake of wakes) if (typeof wake === 'function') found.push('hook wake');
    expect(inspect(vmm, vm.core).found).toEqual([]);
    expect(found).toEqual([]);
    await vmm.advance(10 * MS);
    expect(left[0]).toBe(1 * MS);
  });
});
