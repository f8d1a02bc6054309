/**
 * The scheduler port as data (issue 12): a DeterministicScheduler with ready actors, timers, holds and a seeded
 * or replay policy goes through JSON (writeGraph → stringify → parse → readGraph) and through copyGraph, and the
 * copy goes on exactly as the original does — same choices (actor, index, of), same timers at the same virtual
 * times, same PRNG draws, same replay position. The rest of the area (timer heap, clocks, wake slot, request
 * queue, real-time timers, cell-edge listeners) round-trips too, and a census finds no closure in it.
 */
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { copyGraph, graphKey, readGraph, writeGraph } from '../../src/persist/graph.js';
import { persistable } from '../../src/persist/registry.js';
import { census } from '../../src/persist/walk.js';
import { reportCellEdges, type CellEdgeEvent } from '../../src/sched/cell-edges.js';
import { DeterministicScheduler, type ChoicePolicy } from '../../src/sched/deterministic.js';
import { MachineCell } from '../../src/sched/machine-cell.js';
import { Prng } from '../../src/sched/prng.js';
import { RealTimeScheduler } from '../../src/sched/real-time.js';
import { WakeSlot, type SchedChoice, type Scheduler, type Steppable, type TimerTarget } from '../../src/sched/scheduler.js';
import { RequestQueue } from '../../src/streams/request-queue.js';
import { RealClock } from '../../src/time/real-clock.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';

/**
 * A test actor: each step logs, sometimes re-arms, sometimes sets a timer (a record naming itself), and a
 * timer makes it ready again. What it does depends only on its own counter, so two equal worlds agree.
 */
class Worker implements Steppable, TimerTarget {
  n = 0;
  readonly log: string[] = [];
  constructor(
    readonly id: string,
    readonly sched: Scheduler,
    readonly period: number,
  ) {}

  step(): void {
    this.n++;
    this.log.push(`step${this.n}@${this.sched.clock.nowNs()}`);
    if (this.n % 3 === 0) this.sched.setTimer(this.sched.clock.nowNs() + this.period * this.n, `${this.id}/t`, { target: this, event: `t${this.n}` });
    else if (this.n < 40) this.sched.ready(this);
  }

  timerFired(event: string): void {
    this.log.push(`${event}@${this.sched.clock.nowNs()}`);
    this.sched.ready(this);
  }
}
persistable('test.sched.Worker', Worker);

interface World {
  sched: DeterministicScheduler;
  workers: Worker[];
  release: () => void;
}

function world(policy: ChoicePolicy): World {
  const sched = new DeterministicScheduler({ autoRun: false, policy });
  const workers = [7, 11, 13, 17].map((p, i) => new Worker(`w${i}`, sched, p));
  for (const w of [...workers].reverse()) sched.ready(w); // registration order ≠ index order
  const release = sched.hold();
  sched.setTimer(5, 'w1/early', { target: workers[1]!, event: 'early' });
  const cleared = sched.setTimer(6, 'w2/cleared', { target: workers[2]!, event: 'cleared' });
  sched.clearTimer(cleared);
  sched.setTimer(1_000_000, 'idle/daemon', { target: workers[3]!, event: 'daemon' }, { daemon: true });
  return { sched, workers, release };
}

/** What a world does from here on: its next choices and every actor's log. */
function run(w: World, steps: number): { choices: SchedChoice[]; logs: string[][] } {
  const before = w.sched.choices.length;
  w.sched.runSync(true, steps);
  return { choices: w.sched.choices.slice(before), logs: w.workers.map((x) => x.log.slice()) };
}

const trips: [string, (w: World) => World][] = [
  ['JSON', (w) => readGraph<World>(JSON.parse(JSON.stringify(writeGraph(w))))],
  ['copyGraph', (w) => copyGraph(w)],
];

const policies: [string, ChoicePolicy][] = [
  ['seeded', { kind: 'seeded', seed: 42 }],
  ['replay then seeded', { kind: 'replay', choices: [3, 0, 2, 1, 1, 0, 2, 0, 1, 0, 0, 1], then: { kind: 'seeded', seed: 7 } }],
  ['first', { kind: 'first' }],
];

describe('DeterministicScheduler through the graph', () => {
  for (const [how, trip] of trips) {
    for (const [name, policy] of policies) {
      it(`${how}, ${name}: the copy makes the same choices as the original, at the same virtual times`, () => {
        const original = world(policy);
        run(original, 9); // mid-run: inside the replay list, PRNG drawn, timers pending
        const copy = trip(original);
        expect(copy.sched).not.toBe(original.sched);
        expect(copy.workers[0]!.sched).toBe(copy.sched); // shared references survive
        expect(copy.sched.readyActors().map((a) => a.id)).toEqual(original.sched.readyActors().map((a) => a.id));
        expect(copy.sched.readyActors().every((a, i) => a !== original.sched.readyActors()[i])).toBe(true);
        const timers = (w: World) => w.sched.timerList().map((t) => `${t.label}@${t.dueNs}`);
        expect(timers(copy)).toEqual(timers(original));
        const a = run(original, 120);
        const b = run(copy, 120);
        expect(a.choices.length).toBeGreaterThan(20);
        expect(a.choices.some((c) => c.kind === 'timer')).toBe(true);
        if (policy.kind !== 'first') expect(new Set(a.choices.map((c) => (c.kind === 'step' ? c.index : -1))).size).toBeGreaterThan(1); // real choices
        expect(b).toEqual(a);
        expect(copy.sched.clock.nowNs()).toBe(original.sched.clock.nowNs());
      });
    }

    it(`${how}: the hold's release is bound to the copy's scheduler; an actor keeps its registration order`, () => {
      const original = world({ kind: 'first' });
      const copy = trip(original);
      copy.release();
      copy.release(); // idempotent, as before
      // The copy no longer holds: time does not pass for it; the original still holds and fires its timers.
      copy.sched.runSync(true);
      expect(copy.sched.clock.nowNs()).toBe(0);
      original.sched.runSync(true);
      expect(original.sched.clock.nowNs()).toBeGreaterThan(0);
      // world() readies w3 first: retired and readied again in the copy, it keeps its place (ordinal 0);
      // an actor new to the copy registers after every old one.
      const fresh = trip(world({ kind: 'first' }));
      fresh.sched.retire(fresh.workers[3]!);
      expect(fresh.sched.readyActors().map((a) => a.id)).toEqual(['w2', 'w1', 'w0']);
      const w4 = new Worker('w4', fresh.sched, 1);
      fresh.sched.ready(w4);
      fresh.sched.ready(fresh.workers[3]!);
      expect(fresh.sched.readyActors().map((a) => a.id)).toEqual(['w3', 'w2', 'w1', 'w0', 'w4']);
    });

    it(`${how}: a cancelled timer stays cancelled, a daemon alone does not keep time going`, () => {
      const { sched, workers } = trip(world({ kind: 'first' }));
      for (const w of workers) sched.retire(w);
      sched.clearTimer({ id: 1 }); // w1/early
      expect(sched.timerList().map((t) => t.label)).toEqual(['idle/daemon']);
      expect(sched.runSync(true)).toBe(0);
      expect(sched.clock.nowNs()).toBe(0);
    });
  }

  it("copyGraph's hook leaves no mutable part of the scheduler shared with the original, and every field copied", () => {
    const { sched } = world({ kind: 'replay', choices: [1, 0], then: { kind: 'seeded', seed: 3 } });
    sched.readyActors(); // a view to leave behind
    const copy = copyGraph(sched) as unknown as Record<string, unknown>;
    const from = sched as unknown as Record<string, unknown>;
    expect(Object.keys(copy).sort()).toEqual(Object.keys(from).sort());
    for (const key of Object.keys(from)) {
      const v = from[key];
      if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) expect(copy[key], key).not.toBe(v);
      else if (!['onChoice', 'onStall', 'readyView', 'draining'].includes(key)) expect(copy[key], key).toEqual(v);
    }
  });

  it('the state key leaves out timer ids, counters and labels: the same pending timers by different paths are one key', () => {
    const make = (detour: boolean, label = 'w/t', event = 't') => {
      const sched = new DeterministicScheduler({ autoRun: false });
      const w = new Worker('w', sched, 1);
      if (detour) for (const due of [3, 4]) sched.clearTimer(sched.setTimer(due, 'w/x', { target: w, event: 'x' }));
      const handle = sched.setTimer(10, label, { target: w, event });
      sched.ready(w);
      return { sched, w, handle };
    };
    expect(graphKey(make(true))).toBe(graphKey(make(false)));
    // A label names the timer in recorded choices (thread ids in it); what fires is the action.
    expect(graphKey(make(false, 'w/u'))).toBe(graphKey(make(false)));
    expect(graphKey(make(false, 'w/t', 'u'))).not.toBe(graphKey(make(false)));
    expect(graphKey(make(true), { skipHistory: false })).not.toBe(graphKey(make(false), { skipHistory: false }));
  });

  it('advance() waits on a record, not a closure: the census of a scheduler mid-advance is empty', async () => {
    const sched = new DeterministicScheduler({ autoRun: false });
    const release = sched.hold();
    const done = sched.advance(1_000);
    expect(census({ sched, release }).closures).toEqual([]);
    expect(census({ sched, release }).classes).toEqual(new Map());
    const copy = copyGraph(sched);
    expect(copy.timerList().map((t) => t.label)).toEqual(['advance']);
    copy.runSync(true);
    expect(copy.clock.nowNs()).toBe(1_000); // the copy's advance fires (and releases) in the copy
    sched.runSync(true);
    await done;
    release();
  });
});

describe('the rest of the area through the graph', () => {
  for (const [how, trip] of [
    ['JSON', <T>(v: T): T => readGraph<T>(JSON.parse(JSON.stringify(writeGraph(v))))],
    ['copyGraph', <T>(v: T): T => copyGraph(v)],
  ] as const) {
    it(`${how}: a PRNG continues its sequence; a virtual clock keeps its time`, () => {
      const prng = new Prng(1234);
      for (let i = 0; i < 5; i++) prng.next();
      const clock = new VirtualClock(77);
      const back = trip({ prng, clock });
      expect(Array.from({ length: 8 }, () => back.prng.next())).toEqual(Array.from({ length: 8 }, () => prng.next()));
      expect(back.clock.nowNs()).toBe(77);
      back.clock.advanceTo(80);
      expect(clock.nowNs()).toBe(77);
    });

    it(`${how}: a request queue keeps both lanes; its event stream is new and works`, () => {
      const q = new RequestQueue<{ n: number }>('cpu.1');
      const seen: string[] = [];
      q.events$.subscribe((e) => seen.push(`${e.kind}:${e.item.n}`));
      q.push({ n: 1 }, false);
      q.push({ n: 2 }, true);
      const back = trip(q);
      const again: string[] = [];
      back.events$.subscribe((e) => again.push(`${e.kind}:${e.item.n}`));
      expect([back.take()?.item.n, back.take()?.item.n, back.name]).toEqual([2, 1, 'cpu.1']);
      expect(again).toEqual(['take:2', 'take:1']);
      expect(seen).toEqual(['push:1', 'push:2']);
    });

    it(`${how}: an armed wake slot fires its record in the copy`, () => {
      const w = new Worker('w', new DeterministicScheduler({ autoRun: false }), 1);
      const slot = new WakeSlot();
      slot.armWake({ target: w, event: 'bytes' });
      const back = trip({ slot, w });
      back.slot.fire();
      back.slot.fire();
      expect([back.w.log, w.log]).toEqual([['bytes@0'], []]);
    });

    it(`${how}: a cell-edge listener is saved with its cell and reports to the restored sink`, () => {
      const sink = new EdgeSink();
      const cell = new MachineCell(MACHINES.vm, 'vm.1');
      cell.listener = reportCellEdges(sink, 'gvmmHandle');
      cell.send({ type: 'created' });
      const back = trip({ sink, cell });
      expect(back.cell.send({ type: 'powerOn' })).toBe(true);
      expect(back.sink.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['CREATING->CREATED', 'CREATED->POWERING_ON']);
      expect(sink.edges).toHaveLength(1);
    });
  }

  it('a real clock restores to the instant it was saved at and goes on at the host pace', async () => {
    const clock = new RealClock();
    await new Promise((r) => setTimeout(r, 20));
    const savedAtLeast = clock.nowNs();
    const graph = JSON.stringify(writeGraph(clock));
    await new Promise((r) => setTimeout(r, 30)); // time on disk does not count
    const back = readGraph<RealClock>(JSON.parse(graph));
    const at = back.nowNs();
    expect(at).toBeGreaterThanOrEqual(savedAtLeast);
    // The original moved on by the ~30 ms the snapshot lay still (host timers may fire a millisecond early).
    expect(clock.nowNs() - at).toBeGreaterThan(25e6);
  });

  it('a real-time scheduler re-arms its pending timers on restore with the time they had left', async () => {
    const sched = new RealTimeScheduler();
    const w = new Worker('w', sched, 1);
    const release = sched.hold();
    const dueNs = sched.clock.nowNs() + 40e6;
    sched.setTimer(dueNs, 'w/late', { target: w, event: 'late' });
    const cancelled = sched.setTimer(sched.clock.nowNs() + 1e6, 'w/cancelled', { target: w, event: 'cancelled' });
    sched.clearTimer(cancelled);
    const graph = JSON.stringify(writeGraph({ sched, w, release }));
    sched.dispose(); // the original's host timers are gone: only the restored ones can fire
    release();
    const back = readGraph<{ sched: RealTimeScheduler; w: Worker; release: () => void }>(JSON.parse(graph));
    const fired = await new Promise<string>((resolve) => {
      back.sched.onChoice = (c) => c.kind === 'timer' && resolve(`${c.label}@${c.tNs >= dueNs - 2e6}`);
    });
    await new Promise((r) => setImmediate(r)); // the timer readied w: its step runs on the next turn
    expect(fired).toBe('w/late@true');
    expect(back.w.log[0]).toMatch(/^late@/);
    expect(back.w.log[1]).toMatch(/^step1@/);
    expect(w.log).toEqual([]);
    back.release();
    back.sched.dispose();
  });
});

/** A sink of cell edges (a VM's event stream in the engine). */
class EdgeSink {
  readonly edges: CellEdgeEvent[] = [];
  emit(event: CellEdgeEvent): void {
    this.edges.push(event);
  }
  nowNs(): number {
    return 0;
  }
}
persistable('test.sched.EdgeSink', EdgeSink);
