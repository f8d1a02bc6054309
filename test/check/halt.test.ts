/**
 * The halt methods under the model checker (scenario `halt: 'on'`): idle and halted EMTs wait through the VM's
 * halt method (BOOTSTRAP, OLD, METHOD_1, GLOBAL_1) and GVMM's halt / wake-up scheduling, whose timed sleeps are
 * timer choices. Goals: the state key holds the hidden halt and GVMM state and no absolute time, so a quiescent
 * VM ticks in a small cycle and exploration stays finite; the correct engine passes for every method and ends
 * where it ends with halt off; a lost wake-up of a halted vCPU is caught ('wake-up') and a halt loop that never
 * sees its work is a liveness lasso on the engine's own cyclic graph, both replaying to the same text.
 * Method: worlds stepped by hand for keys, explore() for the rest.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { BUILT_IN_PROPERTIES } from '../../src/check/invariants/index.js';
import { auditStateKey, formatKeyAudit } from '../../src/check/key-audit.js';
import { KeyWriter } from '../../src/check/key-writer.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { replayTrace } from '../../src/check/replay.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import { encodeSnapshot } from '../../src/check/snapshot-key.js';
import { encodeWorld, identityOrder } from '../../src/check/state-key.js';
import { World } from '../../src/check/world.js';
import '../../src/check/vitest.js';
import type { Gvm } from '../../src/gvmm/gvm.js';
import { sendHeld } from '../../src/sched/held-cell.js';
import { haltOf } from '../../src/vmm/halt/state.js';
import { METHODS } from '../support/halt-methods.js';

const keyOf = (world: World) => {
  const key = new KeyWriter();
  encodeWorld(world, key, identityOrder(world.core.cCpus));
  key.hash();
  return `${key.hi.toString(16)}:${key.lo.toString(16)}`;
};

const build = (input: Scenario) => World.build(parseScenario(input), { properties: BUILT_IN_PROPERTIES });

/** Step the first choice until nothing but a timer is left (clients done, EMTs asleep). */
const settle = (world: World) => {
  for (let i = 0; i < 500 && world.ready().length > 0; i++) world.step(0);
  expect(world.ready()).toHaveLength(0);
  return world;
};

const gvmOf = (world: World) => world.core.gvmm!.table.lookup(world.core.handle) as Gvm;

describe('scenario field halt', () => {
  it("defaults to 'off', takes 'on', and names the field when wrong", () => {
    expect(parseScenario({ cpus: 1, clients: [['powerOn']] }).halt).toBe('off');
    expect(parseScenario({ cpus: 1, halt: 'on', clients: [['powerOn']] }).halt).toBe('on');
    expect(() => parseScenario({ cpus: 1, halt: 'yes' as never, clients: [['powerOn']] })).toThrow(`scenario.halt: must be 'off' or 'on', got "yes"`);
  });
});

describe('state key with halt methods on', () => {
  // A running VM whose two vCPUs halt (GLOBAL_1: in GVMM) or idle EMTs (OLD: on their semaphores).
  const halted: Scenario = { cpus: 2, halt: 'on', guest: 'halt', config: { HaltMethod: 5 }, clients: [['powerOn']] };
  const idle: Scenario = { cpus: 2, halt: 'on', config: { HaltMethod: 3 }, clients: [['powerOn']] };
  const cases: [string, Scenario, (world: World) => void][] = [
    ['the semaphore of an EMT halted in GVMM is signalled (its next wait returns at once)', halted, (w: World) => haltOf(w.core).sem(1).signal()],
    ["fWait (whether OLD's VMR3NotifyCpuFF signals or does nothing)", idle, (w: World) => void (haltOf(w.core).ownCpu(0).fWait = !haltOf(w.core).cpus[0]!.fWait)],
    ["GVMM's halt event is signalled (the next SCHED_HALT returns at once)", idle, (w: World) => void (gvmOf(w).ownCpu(1).signalled = true)],
    ['GVMM expects a wake-up 0.5 s from now (the early wake-up quick check)', halted, (w: World) => void (w.core.gvmm!.schedOps.uNsNextEmtWakeup = w.sched.clock.nowNs() + 500_000_000)],
    ["METHOD_1's oversleep average (shorter blocks)", idle, (w: World) => void (haltOf(w.core).ownCpu(0).ownMethod1().cNSBlockedTooLongAvg = 3_000_000)],
    ['the halt method itself', idle, (w: World) => sendHeld(haltOf(w.core), { type: 'switch', target: 'METHOD_1', initRc: 0 })],
  ];

  it.each(cases)('differs when only hidden state differs: %s', (_name, input, change) => {
    const same = settle(build(input));
    const changed = settle(build(input));
    expect(keyOf(changed)).toBe(keyOf(same));
    change(changed);
    expect(keyOf(changed)).not.toBe(keyOf(same));
  });

  // METHOD_1's history: the hand key (CpuHalt.writeState) and the snapshot key take one rule (method1Key). What only
  // counts (cNSBlocked; cBlocks while nothing overslept; the spin history while the clock does not catch up) stays out.
  const snapshotKeyOf = (world: World) => {
    const key = new KeyWriter();
    encodeSnapshot(world, key, world.sched.clock.nowNs());
    key.hash();
    return `${key.hi.toString(16)}:${key.lo.toString(16)}`;
  };
  type M1 = ReturnType<ReturnType<typeof haltOf>['cpus'][number]['ownMethod1']>;
  const overslept = (m1: M1) => void (m1.cNSBlockedTooLong = 2_000_000);
  const method1Cases: [string, ((m1: M1) => void) | null, (m1: M1) => void, boolean][] = [
    ['cNSBlocked (only counted)', null, (m1) => void (m1.cNSBlocked += 1_000_000), false],
    ['cBlocks while nothing overslept', null, (m1) => void (m1.cBlocks += 3), false],
    ['the spin history while the clock does not catch up', null, (m1) => void ((m1.startSpinNs = 7), (m1.lastBlockNs = 5)), false],
    ['cBlocks once a block overslept', overslept, (m1) => void (m1.cBlocks += 3), true],
    ['the oversleep itself', null, overslept, true],
  ];
  it.each(method1Cases)("METHOD_1's %s: both keys agree on whether it decides", (_name, both, change, decides) => {
    const [base, changed] = [settle(build(idle)), settle(build(idle))];
    for (const world of [base, changed]) both?.(haltOf(world.core).ownCpu(0).ownMethod1());
    change(haltOf(changed.core).ownCpu(0).ownMethod1());
    expect(keyOf(changed) !== keyOf(base)).toBe(decides);
    expect(snapshotKeyOf(changed) !== snapshotKeyOf(base)).toBe(decides);
  });

  it('keeps GVMM wake-up hints that decide the same apart only by what they decide', () => {
    const at = (offsetNs: number | 'zero') => {
      const world = settle(build(halted));
      const sched = world.core.gvmm!.schedOps;
      sched.uNsNextEmtWakeup = offsetNs === 'zero' ? 0 : world.sched.clock.nowNs() + offsetNs;
      return keyOf(world);
    };
    // 0 ("recalculate") and anything due within EW2 (50 µs) never skip the pass: one class.
    expect(at(10_000)).toBe(at('zero'));
    expect(at(300_000_000)).not.toBe(at('zero'));
  });

  it.each(METHODS)('%s: a quiescent VM ticks in a small cycle, the same key at a later virtual time', (name, method) => {
    const inputs: Scenario[] = [
      { cpus: 2, halt: 'on', guest: 'halt', config: { HaltMethod: method }, clients: [['powerOn']] },
      { cpus: 2, halt: 'on', config: { HaltMethod: method }, clients: [['powerOn', 'powerOff']] },
    ];
    for (const input of inputs) {
      const world = settle(build(input));
      if (world.terminal) {
        // BOOTSTRAP's halt loop spins until notified and sets no timer: with every vCPU halted the run ends.
        expect([name, input.guest]).toEqual(['BOOTSTRAP', 'halt']);
        continue;
      }
      const seen = new Map<string, number>();
      let cycle: { steps: number; ns: number } | null = null;
      for (let step = 0; step < 40 && !cycle; step++) {
        const key = keyOf(world);
        const earlier = seen.get(key);
        if (earlier !== undefined) cycle = { steps: step - earlier, ns: world.sched.clock.nowNs() };
        seen.set(key, step);
        // Only timers and the EMTs they wake: nothing else can step.
        expect(world.clients.every((c) => c.pending === null)).toBe(true);
        world.step(0);
      }
      expect(cycle, `${JSON.stringify(input)}: no key repeated within 40 steps`).not.toBeNull();
      expect(cycle!.steps).toBeLessThanOrEqual(8);
      expect(cycle!.ns).toBeGreaterThan(0); // virtual time moved on; the key did not
    }
  });

  // An audit of the whole key (src/check/key-audit.ts): wherever two different prefixes reach one key, the states
  // must have the same futures, the same tree of successor keys a few steps deep. Leaving out the semaphore's
  // signalled bit fails it (one vCPU: two requests signal an idle EMT twice, and the second signal survives its
  // wake-up).
  const audits = METHODS.flatMap(([name, method]) => [
    [name, 1, 3, { cpus: 1, halt: 'on', guest: 'halt', config: { HaltMethod: method }, clients: [['powerOn'], ['powerOff']] }],
    [name, 2, 2, { cpus: 2, halt: 'on', guest: 'halt', config: { HaltMethod: method }, clients: [['powerOn', { call: 'reqCallWait', target: 1 }], ['powerOff']] }],
  ] as [string, number, number, Scenario][]);
  it.each(audits)('%s, %i vCPU(s): states merged by key have the same successors %i steps deep', (_name, _cpus, depth, input) => {
    const audit = auditStateKey(input, { depth, maxStates: 300, maxMerges: 40 });
    expect(audit.mismatches, formatKeyAudit(audit)).toEqual([]);
    expect(audit.merges).toBeGreaterThanOrEqual(20);
  });

  it('merges two orders of the same steps (clients issuing their calls)', () => {
    const input: Scenario = { cpus: 2, halt: 'on', guest: 'halt', clients: [['powerOn'], ['powerOff']] };
    const byActor = (world: World, ...ids: string[]) => {
      for (const id of ids) world.step(world.ready().findIndex((a) => a.id === id));
      return world;
    };
    expect(keyOf(byActor(build(input), 'client.A', 'client.B'))).toBe(keyOf(byActor(build(input), 'client.B', 'client.A')));
  });
});

const figures: string[] = [];

describe('the correct engine with halt methods on (guest halts)', () => {
  const scenarios: [string, Scenario][] = [
    ['PowerOn ∥ PowerOff, 1 vCPU', { cpus: 1, clients: [['powerOn'], ['powerOff']] }],
    ['PowerOn ∥ PowerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn'], ['powerOff']] }],
    ['PowerOn → reqCallWait(1) ∥ PowerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', { call: 'reqCallWait', target: 1 }], ['powerOff']] }],
    ['PowerOn → ONCE rendezvous ∥ reqCallWait(0), 2 vCPUs', { cpus: 2, clients: [['powerOn', { call: 'emtRendezvous', type: 'once' }], [{ call: 'reqCallWait', target: 0 }]] }],
  ];
  const cases = METHODS.flatMap(([name, method]) => scenarios.map(([title, input]) => [name, title, method, input] as const));

  it.each(cases)('%s: %s passes and ends as with halt off', async (name, title, method, input) => {
    const on = await explore({ ...input, halt: 'on', guest: 'halt', config: { HaltMethod: method } });
    expect(on).toHaveNoViolations();
    const off = await explore({ ...input, guest: 'halt', config: { HaltMethod: method } });
    expect(off).toHaveNoViolations();
    // Halting is transparent: the same ways to end. With halt on, EMTs that sleep with a timeout tick forever, so
    // most runs end at quiescent states (clients done, only timers left) rather than terminal ones.
    expect(off.outcomes.length).toBeGreaterThan(0);
    expect(on.outcomes).toEqual(off.outcomes);
    figures.push(`| ${name} | ${title} | ${on.states} | ${on.seconds.toFixed(2)} | ${off.states} |`);
  });
});

describe('halt-path mutants', () => {
  const mutant = (name: string) => MUTANTS.find((m) => m.name === name)!;

  it("a GLOBAL_1 wake-up lost for a halted vCPU is a 'wake-up' violation, not a deadlock, at the shortest trace", async () => {
    const m = mutant('global1-halted-wake-up-lost');
    const result = await explore(m.scenario, { engine: m.engine, mutant: m.name });
    const v = result.violations[0]!;
    expect(v.property).toBe('wake-up');
    expect(v.message).toBe(
      'wake-up: emt.0 sleeps in VMR3WaitHalted (GLOBAL_1) with a request on its queue pending and was never woken for it: only a timeout would end the wait (VM RUNNING, vCPU STARTED_HALTED)',
    );
    // Breadth-first: the shortest counterexample (powerOn, then the request the halted vCPU never hears of).
    expect(v.choices.length).toBe(8);
    figures.push(`| mutant ${m.name} | ${v.property} | ${v.choices.length} steps | |`);
    const replay = replayTrace(v.text, { engine: m.engine });
    expect(replay.divergence).toBeNull();
    expect(replay.reproduced).toBe(true);
    // The timeout hides the bug from every other property: with OLD (no GVMM wake-ups) or halt off it passes.
    expect(await explore({ ...m.scenario, config: { HaltMethod: 3 } }, { engine: m.engine, mutant: m.name })).toHaveNoViolations();
    expect(await explore({ ...m.scenario, halt: 'off' }, { engine: m.engine, mutant: m.name })).toHaveNoViolations();
  });

  it('a halt loop that never sees its work is a liveness lasso on the engine graph, which replays', async () => {
    const m = mutant('halt-ignores-flags');
    const result = await explore(m.scenario, { engine: m.engine, mutant: m.name });
    const v = result.violations[0]!;
    // The call stays pending while the EMT wakes every 15 ms and blocks again: a cycle, not a deadlock.
    expect(v.property).toBe('liveness');
    expect(v.message).toBe("liveness: A#1 reqCallWait(0) never returns: a fair cycle of 2 steps keeps the monitor in its hot state 'call in flight'");
    expect(v.lassoAt).toBe(8);
    expect(v.choices.length - v.lassoAt!).toBe(2); // timer fires, the EMT runs one halt-loop pass
    figures.push(`| mutant ${m.name} | ${v.property} | lasso ${v.lassoAt} + ${v.choices.length - v.lassoAt!} steps | |`);
    const replay = replayTrace(v.text, { engine: m.engine });
    expect(replay.divergence).toBeNull();
    expect(replay.violation).toEqual({ property: 'liveness', message: v.message });
    expect(replay.reproduced).toBe(true);
    // The unmutated engine has the same cycles (the EMT ticks) but none is hot.
    expect(await explore(m.scenario)).toHaveNoViolations();
  });
});

afterAll(() => {
  if (figures.length > 0) console.log(['| method | scenario | states (halt on) | s | states (halt off) |', '|---|---|---:|---:|---:|', ...figures].join('\n'));
});
