/**
 * Expanding states from copied worlds (issue 17 item 1): with `copyDepth: 0` every state is expanded from the
 * world that discovered it and copies of it (search.ts), so nothing is rebuilt or replayed in breadth-first,
 * depth-first or random search: rebuilds and replayed steps read 0. Goal: the copies change only how worlds are
 * obtained, never what is explored or reported. Method: over the suite's checker scenarios, with reductions on and
 * off, the same states, transitions, outcomes, verdict and counterexample as a search that rebuilds every world it
 * needs by replaying its prefix (`copyDepth: Infinity, keptWorldBytes: 0`: nothing kept, nothing copied); the same
 * with every kept world a snapshot (`keptWorldBytes: 0`, kept-worlds.ts), and for every mutant's shortest
 * counterexample (spare worlds, which come by other paths, report the table's path). The default's spares save
 * rebuilds well beyond the discovering worlds (which alone leave transitions − states + 1 rebuilds; spares by
 * choice signature left 0.53–0.67 of that on the race when they were introduced).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readCheckpoint } from '../../src/check/checkpoint/checkpoint.js';
import { explore, type ExploreOptions, type ExploreResult } from '../../src/check/explore.js';
import { Explorer } from '../../src/check/explorer.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { singletonChoice } from '../../src/check/por.js';
import { CycleProviso } from '../../src/check/proviso.js';
import type { Scenario } from '../../src/check/scenario.js';
import type { UserInvariant } from '../../src/check/property.js';
import { CopyAhead, REPLAY_STEPS_PER_COPY } from '../../src/check/search.js';
import { World } from '../../src/check/world.js';
import { SUITE_SCENARIOS } from './suite-scenarios.js';

const summary = (r: ExploreResult) => ({
  verdict: r.verdict, states: r.states, transitions: r.transitions, outcomes: r.outcomes, coverage: r.coverage,
  violations: r.violations.map((v) => [v.property, v.message, v.choices]),
});

const REDUCTIONS: [string, ExploreOptions][] = [['reductions on', {}], ['reductions off', { por: false, symmetry: false }]];
/** Halt methods tick forever: their searches are bounded by depth (the same bound on both sides). */
const bounded = (scenario: Scenario): ExploreOptions => (scenario.halt === 'on' ? { maxDepth: 40 } : {});

/** States per search: a bounded search stops at the same state either way, and the suite stays fast. */
const MAX_STATES = 800;

async function compare(scenario: Scenario, options: ExploreOptions, copied: ExploreOptions) {
  // Nothing kept, nothing copied: every expansion rebuilds its world (the explorer before parked worlds and copies).
  const rebuilt = await explore(scenario, { maxStates: MAX_STATES, ...options, copyDepth: Number.POSITIVE_INFINITY, keptWorldBytes: 0 });
  const copy = await explore(scenario, { maxStates: MAX_STATES, ...options, ...copied, copyDepth: 0 });
  expect(summary(copy)).toEqual(summary(rebuilt));
  expect([copy.rebuilds, copy.replayedSteps]).toEqual([0, 0]);
  return { rebuilt, copy };
}

describe('no replay: breadth- and depth-first search from copied worlds', () => {
  const cases = SUITE_SCENARIOS.flatMap(([name, scenario]) =>
    (['bfs', 'dfs'] as const).flatMap((mode) => REDUCTIONS.map(([reductions, options]) => [`${mode}, ${reductions}: ${name}`, scenario, { ...options, ...bounded(scenario), mode }] as const)),
  );
  it.each(cases)('%s', async (_name, scenario, options) => {
    const { rebuilt, copy } = await compare(scenario, options, {});
    expect(rebuilt.replayedSteps).toBeGreaterThan(0); // the comparison is with a search that does replay
    expect(copy.snapshots).toBe(0); // all within the default memory budget
  });
});

describe('no replay beyond the memory budget: kept worlds as snapshots', () => {
  it.each(
    SUITE_SCENARIOS.filter(([name]) => /race.*3 vCPUs|save ∥ powerOff|GLOBAL_1|descending|teleport on/.test(name)).flatMap(([name, scenario]) =>
      (['bfs', 'dfs'] as const).map((mode) => [`${mode}: ${name}`, scenario, mode] as const),
    ),
  )('%s', async (_name, scenario, mode) => {
    const { copy } = await compare(scenario, { por: false, symmetry: false, ...bounded(scenario), mode, maxStates: 300 }, { keptWorldBytes: 0 });
    expect(copy.snapshots).toBeGreaterThan(0);
  });

  it.each(['bfs', 'dfs'] as const)('%s: user invariants (functions) travel in snapshots: one evaluation per transition, the same counterexample', async (mode) => {
    const race: Scenario = { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] };
    let evaluations = 0;
    const invariants: UserInvariant[] = [
      { name: 'counting', holds: () => void evaluations++ },
      { name: 'never-suspended', holds: (view) => view.vmState !== 'SUSPENDED' },
    ];
    const { copy } = await compare(race, { mode, invariants, por: false, symmetry: false }, { keptWorldBytes: 0 });
    expect(copy.violations[0]?.property).toBe('never-suspended');
    evaluations = 0;
    const again = await explore(race, { mode, invariants: invariants.slice(0, 1), por: false, symmetry: false, copyDepth: 0, keptWorldBytes: 0 });
    expect(again.status).toBe('ok');
    expect(evaluations).toBe(again.transitions);
    expect(again.snapshots).toBeGreaterThan(0);
  });

  it('the kept worlds count in bytes/state: every state kept once, as a snapshot smaller than a live world', async () => {
    const race: Scenario = { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] };
    const live = await explore(race, { por: false, symmetry: false, copyDepth: 0 });
    const snapshots = await explore(race, { por: false, symmetry: false, copyDepth: 0, keptWorldBytes: 0 });
    expect([live.snapshots, snapshots.snapshots]).toEqual([0, snapshots.states]);
    expect(live.bytesPerState).toBeGreaterThan(snapshots.bytesPerState);
  });
});

describe("breadth-first search, reductions on: nothing copied ahead of an EMT's reduced step, nothing replayed", () => {
  it.each([3, 4])("the race on %i vCPUs: every copy is stepped but those taken ahead of a call's reduced step", async (cpus) => {
    const copy = vi.spyOn(Explorer.prototype, 'copy');
    const step = vi.spyOn(World.prototype, 'step');
    try {
      const r = await explore({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] });
      expect(r.reductions.por).toBe(true);
      const copies = new Set(copy.mock.results.map((made) => made.value as World));
      expect([r.copies, r.rebuilds, r.replayedSteps]).toEqual([copies.size, 0, 0]);
      const stepped = new Set(step.mock.contexts);
      const unused = [...copies].filter((w) => !stepped.has(w));
      // The proviso asks after a call's step only (CycleProviso.callStep), so only those are copied in case.
      const ahead = (w: World) => singletonChoice(w) >= 0 && CycleProviso.callStep(w.actorSlot(singletonChoice(w)), w.core.cCpus);
      expect(unused.filter((w) => !ahead(w))).toEqual([]);
    } finally {
      copy.mockRestore();
      step.mockRestore();
    }
  });
});

describe('breadth-first search, the cycle rule fires: the state is rebuilt after its one step', () => {
  it('the race on 3 vCPUs, the rule forced at every EMT step into a known state: the status and outcomes of reductions off', async () => {
    const race: Scenario = { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] };
    const off = await explore(race, { por: false });
    const original = CycleProviso.prototype.reducedStep;
    // No suite scenario closes a cycle of reduced steps, so force the rule where its answer stays sound (more full
    // expansions): the state is then expanded fully, as after a real cycle, from a world rebuilt (search.ts worldAt).
    const rule = vi.spyOn(CycleProviso.prototype, 'reducedStep').mockImplementation(function (this: CycleProviso, head, target, known, call) {
      if (original.call(this, head, target, known, call)) return true;
      if (call || !known) return false;
      this.expandedFully(head);
      return true;
    });
    try {
      const forced = await explore(race);
      expect(forced.reductions.por).toBe(true);
      expect(forced.rebuilds).toBeGreaterThan(0);
      expect([forced.status, forced.outcomes]).toEqual([off.status, off.outcomes]); // the verdict names the states: fewer
    } finally {
      rule.mockRestore();
    }
    expect(CycleProviso.prototype.reducedStep).toBe(original);
  });
});

describe('provisoRebuilds at reduced states (depth-first): no copy in advance, a rebuild when the proviso asks', () => {
  it.each([3, 4])('the race on %i vCPUs, reductions on: the no-replay result, fewer copies, rebuilds only where the proviso asks', async (cpus) => {
    const race: Scenario = { cpus, clients: [['powerOn', 'suspend'], ['powerOff']] };
    const strict = await explore(race, { mode: 'dfs' });
    expect([strict.rebuilds, strict.replayedSteps]).toEqual([0, 0]); // the default never replays
    const byDefault = await explore(race, { mode: 'dfs', provisoRebuilds: true });
    expect(summary(byDefault)).toEqual(summary(strict));
    expect(byDefault.rebuilds).toBeGreaterThan(0); // the proviso asked somewhere
    // Each proviso's rebuild replaces one of the copies strict took at every reduced state, most of them unused.
    expect(byDefault.copies + byDefault.rebuilds).toBeLessThan(strict.copies);
    // Reductions off: no reduced state, so no replay either way.
    const off = await explore(race, { mode: 'dfs', por: false, symmetry: false });
    expect([off.rebuilds, off.replayedSteps]).toEqual([0, 0]);
  });

  it('a rebuild replays on a copy of a root world built once, not on a world built anew', async () => {
    const race: Scenario = { cpus: 4, clients: [['powerOn', 'suspend'], ['powerOff']] };
    const build = vi.spyOn(World, 'build');
    try {
      const r = await explore(race, { mode: 'dfs', provisoRebuilds: true });
      expect(r.rebuilds).toBeGreaterThan(1);
      expect(build).toHaveBeenCalledTimes(2); // the search's root, and the one rebuilds copy
      build.mockClear();
      const never = await explore(race, { copyDepth: Number.POSITIVE_INFINITY }); // no copies at all: each rebuild builds
      expect(never.rebuilds).toBeGreaterThan(0); // a state's second choice has no copy: it rebuilds
      expect(build).toHaveBeenCalledTimes(1 + never.rebuilds);
    } finally {
      build.mockRestore();
    }
  });
});

describe('copyDepth 48 (copies from there on, rebuilds nearer the root)', () => {
  it('spare worlds save rebuilds: the race on 3 vCPUs, reductions off', async () => {
    const r = await explore({ cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] }, { por: false, symmetry: false, copyDepth: 48 });
    expect(r.rebuilds).toBeGreaterThan(0);
    expect(r.rebuilds).toBeLessThan(0.7 * (r.transitions - r.states + 1));
  });
});

describe('no replay after a resume: kept worlds are not checkpointed, so each frontier state is rebuilt once', () => {
  it('stopped by maxStates, resumed with copyDepth 0: the uninterrupted result, at most one rebuild per frontier state', async () => {
    const race: Scenario = { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] };
    const options: ExploreOptions = { por: false, symmetry: false, copyDepth: 0 };
    const dir = mkdtempSync(join(tmpdir(), 'copied-worlds-'));
    await explore(race, { ...options, maxStates: 700, checkpoint: { dir, everyMs: 1e9, everyStates: 150 } });
    const { head, states } = readCheckpoint(dir).header;
    const resumed = await explore(race, { ...options, resume: dir });
    const whole = await explore(race, options);
    expect(summary(resumed)).toEqual(summary(whole));
    expect(resumed.rebuilds).toBeGreaterThan(0);
    expect(resumed.rebuilds).toBeLessThanOrEqual(states - head);
    expect(whole.replayedSteps).toBe(0);
  });
});

describe('no replay in random search and sampling', () => {
  it.each(['random', 'pct', 'portfolio'] as const)('%s', async (mode) => {
    const r = await explore({ cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] }, { mode, walks: 50, seed: 3 });
    expect(r.transitions).toBeGreaterThan(100);
    expect([r.rebuilds, r.replayedSteps]).toEqual([0, 0]);
  });
});

describe('mutants: the same shortest counterexample from copied worlds', () => {
  it.each(MUTANTS.map((m) => [m.name, m] as const))('%s', async (name, mutant) => {
    const { copy } = await compare(mutant.scenario, { engine: mutant.engine, mutant: name }, {});
    expect(copy.violations.length).toBeGreaterThan(0);
  });
});

describe('CopyAhead: copy a reduced state before its one choice where the proviso asks often enough', () => {
  // Cost model (search.ts): a copy at every reduced state, against a copy and `depth` replayed steps where the
  // proviso asks; a copy costs REPLAY_STEPS_PER_COPY replayed steps.
  it.each([
    ['the race N = 5 (304 of 1,502 asked), depth 36: rebuild', false, 304, 1502, 36, false],
    ['the same rate, deeper than 4 copies of replay: copy', false, 304, 1502, 70, true],
    ['Save ∥ Suspend ∥ PowerOff (about half asked), depth 20: copy', false, 750, 1500, 20, true],
    ['nothing met yet (rate ½), near the root: rebuild', false, 0, 0, 5, false],
    ['nothing met yet, deeper than one copy of replay: copy', false, 0, 0, 20, true],
    ['copyDepth 0 given: always copy', true, 0, 1000, 1, true],
  ] as const)('%s', (_name, always, asked, reduced, depth, wanted) => {
    expect(REPLAY_STEPS_PER_COPY).toBe(16); // the rows' depths assume it
    const ahead = new CopyAhead(always);
    for (let i = 0; i < reduced; i++) ahead.met(i < asked);
    expect(ahead.wanted(depth)).toBe(wanted);
  });
});
