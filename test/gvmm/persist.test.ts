/**
 * GVMM as data (issue 12): a GVMM with live VMs, a recycled handle, halted vCPUs on both wake-up indexes and
 * pending halt timeouts goes through writeGraph → JSON → readGraph and through copyGraph, and each copy then
 * continues exactly as the original does — the same statuses, wake-ups, handle lists, statistics and handle
 * edges — while the original and its copies share no mutable object (a copy's halt does not wake the
 * original's EMT).
 *
 * Method: GVMM on its own, with a small registered scheduler, binding, EMT and edge sink of the test's (the
 * engine's own are other areas'); one script of GVMM calls (halt, wake-up, poke, poll, timeouts, destroy,
 * create on a recycled handle) split at a point, the second half run on the original and on both copies.
 */
import { describe, expect, it } from 'vitest';
import { Gvmm } from '../../src/gvmm/gvmm.js';
import type { GvmBinding } from '../../src/gvmm/gvm.js';
import { GVMM_HALT_BLOCKED } from '../../src/gvmm/sched.js';
import type { WakeUpIndexKind } from '../../src/gvmm/wake-up-index.js';
import { copyGraph, readGraph, writeGraph } from '../../src/persist/graph.js';
import { persistable } from '../../src/persist/registry.js';
import type { CellEdgeEvent, CellEdgeSink } from '../../src/sched/cell-edges.js';
import { fireTimer, type Scheduler, type TimerAction, type TimerHandle, type TimerTarget } from '../../src/sched/scheduler.js';

/** The part of the scheduler port GVMM uses: timers on a clock that moves when the test says. */
class RigSched {
  now = 0;
  seq = 0;
  timers: { id: number; dueNs: number; action: TimerAction }[] = [];

  get clock() {
    return this;
  }

  nowNs(): number {
    return this.now;
  }

  setTimer(dueNs: number, _label: string, action: TimerAction): TimerHandle {
    const timer = { id: ++this.seq, dueNs, action };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle | undefined): void {
    this.timers = this.timers.filter((t) => t.id !== handle?.id);
  }

  /** Move to `ns`, firing due timers in (due, set) order. */
  advanceTo(ns: number): void {
    for (;;) {
      const due = this.timers.filter((t) => t.dueNs <= ns).sort((a, b) => a.dueNs - b.dueNs || a.id - b.id)[0];
      if (!due) break;
      this.now = Math.max(this.now, due.dueNs);
      this.clearTimer(due);
      fireTimer(due.action);
    }
    this.now = Math.max(this.now, ns);
  }
}
persistable('test.gvmm.RigSched', RigSched);

class RigBinding implements GvmBinding {
  vm = 'RUNNING';
  cpus: string[];
  pokes: number[] = [];
  constructor(cCpus: number) {
    this.cpus = new Array<string>(cCpus).fill('STARTED_HALTED');
  }
  vmState(): string {
    return this.vm;
  }
  cpuState(idCpu: number): string {
    return this.cpus[idCpu]!;
  }
  poke(idCpu: number): void {
    this.pokes.push(idCpu);
  }
}
persistable('test.gvmm.RigBinding', RigBinding);

/** A halted EMT: GVMM's wake-up record is addressed to it. */
class RigEmt implements TimerTarget {
  woken = 0;
  readonly wake: TimerAction = { target: this, event: 'wake' };
  constructor(
    readonly id: string,
    readonly handle: number,
    readonly cpu: number,
  ) {}
  timerFired(): void {
    this.woken++;
  }
}
persistable('test.gvmm.RigEmt', RigEmt);

class RigSink implements CellEdgeSink {
  edges: string[] = [];
  constructor(readonly sched: RigSched) {}
  emit(e: CellEdgeEvent): void {
    this.edges.push(`${e.systemId} ${e.from}→${e.to} @${e.tNs}`);
  }
  nowNs(): number {
    return this.sched.now;
  }
}
persistable('test.gvmm.RigSink', RigSink);

interface World {
  sched: RigSched;
  gvmm: Gvmm;
  emts: RigEmt[];
  sinks: RigSink[];
  log: string[];
}

const MS = 1_000_000;

function createVm(w: World, cCpus: number, session: string): number {
  const handle = w.gvmm.reserveHandle();
  const sink = new RigSink(w.sched);
  w.sinks.push(sink);
  w.gvmm.table.listen(handle, sink);
  const emt0 = `vm.${handle}/emt.0`;
  const rc = w.gvmm.createVM({ cCpus, session, emt0, binding: new RigBinding(cCpus), handle });
  w.log.push(`create ${session} → ${rc}`);
  for (let cpu = 0; cpu < cCpus; cpu++) {
    const emt = new RigEmt(`vm.${handle}/emt.${cpu}`, handle, cpu);
    if (cpu > 0) w.log.push(`register ${emt.id} → ${w.gvmm.registerVCpu(handle, cpu, emt.id)}`);
    w.emts.push(emt);
  }
  return handle;
}

function destroyVm(w: World, handle: number): void {
  const gvm = w.gvmm.table.gvmOf(handle)!;
  (gvm.binding as RigBinding).vm = 'TERMINATED';
  for (let cpu = gvm.cCpus - 1; cpu > 0; cpu--) w.gvmm.deregisterVCpu(handle, cpu, `vm.${handle}/emt.${cpu}`);
  w.log.push(`destroy ${handle} → ${w.gvmm.destroyVM(handle, `vm.${handle}/emt.0`)}`);
  w.emts = w.emts.filter((e) => e.handle !== handle);
}

/** Every EMT the test drives halts until `now + (k+1) × step` unless it is halted already. */
function haltAll(w: World, stepNs: number): void {
  w.emts.forEach((emt, k) => {
    if (w.gvmm.table.gvmOf(emt.handle)!.cpus[emt.cpu]!.wait) return;
    const rc = w.gvmm.schedHalt(emt.handle, emt.cpu, emt.id, w.sched.now + (k + 1) * stepNs, emt.wake);
    w.log.push(`halt ${emt.id} → ${rc === GVMM_HALT_BLOCKED ? 'blocked' : rc}`);
  });
}

/** Woken EMTs return from ring 0. */
function haltDone(w: World): void {
  for (const emt of w.emts) {
    if (emt.woken === 0) continue;
    emt.woken = 0;
    w.log.push(`done ${emt.id} → ${w.gvmm.schedHaltDone(emt.handle, emt.cpu)}`);
  }
}

function observe(w: World): string[] {
  const g = w.gvmm;
  const stats = g.queryStatistics();
  return [
    ...w.log,
    `free ${g.table.list('free').slice(0, 4).join(',')} used ${g.table.list('used').join(',')}`,
    `vms ${g.cVMs} emts ${g.cEMTs} halted ${g.cHaltedEMTs} next ${g.uNsNextEmtWakeup}`,
    JSON.stringify(stats.schedSum),
    ...w.sinks.flatMap((s) => s.edges),
    `timers ${w.sched.timers.map((t) => t.dueNs).join(',')}`,
  ];
}

/** Before the snapshot: three VMs, the middle one destroyed (its handle heads the free list), EMTs halted. */
function firstHalf(index: WakeUpIndexKind, fidelity: 'intended' | 'as-written'): World {
  const sched = new RigSched();
  const w: World = { sched, gvmm: new Gvmm({ sched: sched as unknown as Scheduler, wakeUpIndex: index, fidelity }), emts: [], sinks: [], log: [] };
  createVm(w, 2, 's1');
  const doomed = createVm(w, 3, 's2');
  createVm(w, 4, 's3');
  destroyVm(w, doomed);
  haltAll(w, 3 * MS);
  w.gvmm.schedWakeUp(1, 1);
  w.gvmm.schedPoke(3, 2);
  sched.advanceTo(4 * MS);
  haltDone(w);
  return w;
}

/** After it: more halts and wake-ups, a poll, timeouts, a destroy and a create on the recycled handle. */
function secondHalf(w: World): string[] {
  w.log = [];
  haltAll(w, 2 * MS);
  w.gvmm.schedWakeUp(3, 3);
  w.log.push(`poll → ${w.gvmm.schedPoll(3, 0, 'vm.3/emt.0', false)}`);
  w.sched.advanceTo(w.sched.now + 5 * MS);
  haltDone(w);
  createVm(w, 2, 's4');
  haltAll(w, 1 * MS);
  w.sched.advanceTo(w.sched.now + 20 * MS);
  haltDone(w);
  destroyVm(w, 1);
  (w.gvmm.table.gvmOf(3)!.binding as RigBinding).cpus[1] = 'STARTED_EXEC';
  w.log.push(`poke → ${w.gvmm.schedPoke(3, 1)}; pokes ${(w.gvmm.table.gvmOf(3)!.binding as RigBinding).pokes.join(',')}`);
  return observe(w);
}

describe('GVMM through a snapshot continues as the original', () => {
  it.each([
    ['heap', 'intended'],
    ['scan', 'intended'],
    ['scan', 'as-written'],
  ] as const)('%s index, %s', (index, fidelity) => {
    const original = firstHalf(index, fidelity);
    // Not vacuous: vCPUs are halted with timeouts pending, a handle was recycled.
    expect(original.gvmm.cHaltedEMTs).toBeGreaterThan(3);
    expect(original.sched.timers.length).toBeGreaterThan(3);
    expect(original.gvmm.table.list('free')[0]).toBe(2);

    const json = JSON.parse(JSON.stringify(writeGraph(original))) as unknown;
    const fromJson = readGraph<World>(json);
    const copy = copyGraph(original);
    expect(fromJson.gvmm).not.toBe(original.gvmm);
    expect(copy.gvmm.table).not.toBe(original.gvmm.table);

    // A copy running first must not disturb the original (nothing mutable is shared).
    const copied = secondHalf(copy);
    const restored = secondHalf(fromJson);
    const expected = secondHalf(original);
    expect(restored).toEqual(expected);
    expect(copied).toEqual(expected);
    // The script did reach what it means to: a recycled handle (2) taken again, and its edges heard.
    expect(expected).toContain('create s4 → 2');
    expect(expected.some((line) => line.startsWith('gvmm/handle.2 used→bound'))).toBe(true);
  });
});
