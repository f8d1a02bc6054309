/**
 * The deterministic scheduler port: timers fire in (due, sequence) order on a virtual clock that never goes
 * back, choices are explicit and recorded, and a recorded choice list replays the same run.
 */
import { describe, expect, it } from 'vitest';
import { DeterministicScheduler } from '../../src/sched/deterministic.js';
import type { Steppable } from '../../src/sched/scheduler.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { VERR_INVALID_PARAMETER } from '../../src/status.js';

/** A counter actor that wants `budget` steps and logs each one. */
function counter(id: string, budget: number, log: string[], sched: DeterministicScheduler): Steppable {
  let left = budget;
  const actor: Steppable = {
    id,
    step() {
      log.push(id);
      if (--left > 0) sched.ready(actor);
    },
  };
  return actor;
}

function runActors(policy: ConstructorParameters<typeof DeterministicScheduler>[0]) {
  const sched = new DeterministicScheduler({ ...policy, autoRun: false });
  const log: string[] = [];
  for (const id of ['a', 'b', 'c']) sched.ready(counter(id, 4, log, sched));
  sched.runSync(false);
  return { log, choices: sched.choices.flatMap((c) => (c.kind === 'step' ? [c.index] : [])) };
}

describe('VirtualClock', () => {
  it('moves forward only', () => {
    const clock = new VirtualClock();
    clock.advanceTo(10);
    expect(clock.nowNs()).toBe(10);
    expect(() => clock.advanceTo(5)).toThrow(/cannot go back/);
    expect(clock.nowNs()).toBe(10);
  });
});

describe('DeterministicScheduler', () => {
  it('fires equal deadlines in the order they were set, earlier deadlines first', () => {
    const sched = new DeterministicScheduler({ autoRun: false });
    const fired: string[] = [];
    for (const [due, label] of [[30, 'x'], [10, 'y'], [30, 'z'], [10, 'w'], [20, 'v']] as const) {
      sched.setTimer(due, label, () => fired.push(`${label}@${sched.clock.nowNs()}`));
    }
    const release = sched.hold();
    sched.runSync(true);
    release();
    expect(fired).toEqual(['y@10', 'w@10', 'v@20', 'x@30', 'z@30']);
  });

  it('delivers timer records (target actor + event) in the same (due, sequence) order as callbacks', () => {
    const sched = new DeterministicScheduler({ autoRun: false });
    const fired: string[] = [];
    const target = (id: string) => ({ id, timerFired: (event: string) => fired.push(`${id}:${event}@${sched.clock.nowNs()}`) });
    const a = target('vm.1/emt.0');
    const b = target('vm.1/emt.1');
    sched.setTimer(20, 'a/slice', { target: a, event: 'slice' });
    sched.setTimer(10, 'b/halt', { target: b, event: 'halt' });
    sched.setTimer(20, 'cb', () => fired.push(`cb@${sched.clock.nowNs()}`));
    const cleared = sched.setTimer(15, 'a/halt', { target: a, event: 'halt' });
    sched.setTimer(20, 'b/slice', { target: b, event: 'slice' });
    sched.clearTimer(cleared);
    const release = sched.hold();
    sched.runSync(true);
    release();
    expect(fired).toEqual(['vm.1/emt.1:halt@10', 'vm.1/emt.0:slice@20', 'cb@20', 'vm.1/emt.1:slice@20']);
    expect(sched.choices.map((c) => (c.kind === 'timer' ? c.label : c.actor))).toEqual(['b/halt', 'a/slice', 'cb', 'b/slice']);
  });

  it('does not let time pass while nobody waits', () => {
    const sched = new DeterministicScheduler({ autoRun: false });
    let fired = false;
    sched.setTimer(1_000, 't', () => (fired = true));
    sched.runSync(true);
    expect(fired).toBe(false);
    expect(sched.clock.nowNs()).toBe(0);
  });

  it('a cleared timer never fires', () => {
    const sched = new DeterministicScheduler({ autoRun: false });
    let fired = 0;
    const handle = sched.setTimer(5, 't', () => fired++);
    sched.setTimer(6, 'u', () => fired++);
    sched.clearTimer(handle);
    const release = sched.hold();
    sched.runSync(true);
    release();
    expect(fired).toBe(1);
  });

  it('same seed, same choices; a different seed may differ', () => {
    const a = runActors({ policy: { kind: 'seeded', seed: 42 } });
    const b = runActors({ policy: { kind: 'seeded', seed: 42 } });
    expect(a.log).toEqual(b.log);
    const others = [1, 2, 3, 4, 5].map((seed) => runActors({ policy: { kind: 'seeded', seed } }).log.join(''));
    expect(new Set(others).size).toBeGreaterThan(1);
  });

  it('replays a recorded choice list exactly', () => {
    const original = runActors({ policy: { kind: 'seeded', seed: 9 } });
    const replayed = runActors({ policy: { kind: 'replay', choices: original.choices } });
    expect(replayed.log).toEqual(original.log);
  });

  it("'first' always steps the earliest-registered ready actor", () => {
    expect(runActors({ policy: { kind: 'first' } }).log.join('')).toBe('aaaabbbbcccc');
  });

  it('advance() lets exactly that much virtual time pass', async () => {
    const sched = new DeterministicScheduler();
    await sched.advance(2_500);
    expect(sched.clock.nowNs()).toBe(2_500);
  });

  it('keeps its clock its own (a world copy copies it as owned): a clock given in the options is refused', () => {
    const given = new VirtualClock();
    // @ts-expect-error no `clock` option: the scheduler makes its clock, nothing else may hold it
    expect(() => new DeterministicScheduler({ clock: given })).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER }));
    const [a, b] = [new DeterministicScheduler(), new DeterministicScheduler()];
    expect(a.clock).not.toBe(b.clock);
    a.clock.advanceTo(1_000);
    expect([a.clock.nowNs(), b.clock.nowNs()]).toEqual([1_000, 0]);
  });
});
