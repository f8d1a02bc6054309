/**
 * It finds real bugs (issue item 7): deliberately broken engines — machine.provide() variants (named constants
 * `machine:<machine>:<mutant>`) and the test-only fault flags of src/vmm/faults.ts — are each caught by the
 * property named in src/check/mutants.ts, with the same shortest (breadth-first) counterexample as before issue
 * 12, which replays to the same violation text. The correct engine passes the same scenarios, so each catch is
 * the mutant's doing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { explore } from '../../src/check/explore.js';
import { MUTANTS, type Mutant } from '../../src/check/mutants.js';
import { replayTrace } from '../../src/check/replay.js';
import { parseScenario } from '../../src/check/scenario.js';
import '../../src/check/vitest.js';
import { World } from '../../src/check/world.js';
import { constantName } from '../../src/persist/registry.js';
import { census } from '../../src/persist/walk.js';
import { MachineCell } from '../../src/sched/machine-cell.js';
import type { EngineFaults, EngineMachines } from '../../src/vmm/faults.js';
import { vmOps } from '../../src/vmm/operations.js';

/**
 * Where each mutant's wrong decision lives (src/vmm/faults.ts): a machine's own guard or action → a provide()d
 * variant of that machine; the code that drives a machine → a fault flag. The flag table is keyed by every
 * EngineFaults field, so adding or dropping a flag without deciding here does not compile.
 */
const VARIANTS: Readonly<Record<string, keyof EngineMachines>> = {
  'descending-runs-ascending': 'rendezvous',
  'stop-on-error-ignored': 'rendezvous',
  'status-merge-last-wins': 'rendezvous',
  'once-runs-everywhere': 'rendezvous',
  'last-arrival-early': 'rendezvous',
  'one-by-one-token-lost': 'rendezvous',
  'rendezvous-lock-kept': 'rendezvousMember',
};
const FLAGS: Readonly<Record<keyof Required<EngineFaults>, readonly string[]>> = {
  lostWakeupGlobal: ['lost-wakeup'],
  completeTwice: ['request-completed-twice'],
  skipCpuStart: ['emt0-vcpu-not-started'],
  allReverseAscending: ['all-reverse-ascending'],
  keepQueuedAtDestroy: ['destroy-keeps-queued-requests'],
  powerOffNoCancel: ['power-off-ls-no-cancel'],
  haltedWakeUpLost: ['global1-halted-wake-up-lost'],
  haltIgnoresFlags: ['halt-ignores-flags'],
  loadSkipsCpuStates: ['load-skips-cpu-states', 'teleport-target-skips-cpu-states'],
};
/**
 * The shortest counterexample of each mutant (choices), as the engine before issue 12 found them (commit
 * 0e62181): issue 12 requires every mutant to be caught with the same shortest counterexample while the
 * engine's state becomes data, so a refactor that changes one must explain why here.
 */
const SHORTEST: Readonly<Record<string, number>> = {
  'descending-runs-ascending': 6, 'stop-on-error-ignored': 7, 'status-merge-last-wins': 9, 'once-runs-everywhere': 6,
  'last-arrival-early': 6, 'one-by-one-token-lost': 6, 'lost-wakeup': 2, 'request-completed-twice': 3,
  'rendezvous-lock-kept': 14, 'emt0-vcpu-not-started': 7, 'all-reverse-ascending': 3, 'destroy-keeps-queued-requests': 20,
  'power-off-ls-no-cancel': 10, 'load-skips-cpu-states': 3, 'teleport-target-skips-cpu-states': 3,
  'global1-halted-wake-up-lost': 8, 'halt-ignores-flags': 10,
};
/** Every machine cell reachable from `root` through own fields, arrays, Maps and Sets. */
function cellsOf(root: object): MachineCell[] {
  const cells: MachineCell[] = [];
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value) || constantName(value) !== undefined) return;
    seen.add(value);
    if (value instanceof MachineCell) return void cells.push(value);
    if (value instanceof Map) return value.forEach((v, k) => (visit(k), visit(v)));
    if (value instanceof Set || Array.isArray(value)) return value.forEach((v) => visit(v));
    for (const key of Object.keys(value)) visit((value as Record<string, unknown>)[key]);
  };
  visit(root);
  return cells;
}
const flagOf = (name: string) => (Object.keys(FLAGS) as (keyof EngineFaults)[]).find((flag) => FLAGS[flag].includes(name));
const variants = MUTANTS.filter((m) => VARIANTS[m.name] !== undefined);
const flagged = MUTANTS.filter((m) => flagOf(m.name) !== undefined);

const table: string[] = [];
// Mutants of optional engine parts run when the part exists (vmOps.save: saved state).
const runnable = MUTANTS.filter((m) => m.needs !== 'save' || 'save' in vmOps);

describe('engine mutants', () => {
  it('has at least ten that run without optional engine parts', () => {
    expect(MUTANTS.filter((m) => !m.needs).length).toBeGreaterThanOrEqual(10);
  });

  it('are each a machine variant or a fault flag, as tabled above', () => {
    expect(MUTANTS.map((m) => m.name).sort()).toEqual([...variants, ...flagged].map((m) => m.name).sort());
    expect(variants.filter((m) => flagOf(m.name) !== undefined)).toEqual([]);
  });

  it.each(variants.map((m) => [m.name, m] as const))('%s is a machine.provide() variant with no fault flags', (name, mutant: Mutant) => {
    const machine = VARIANTS[name]!;
    expect(mutant.engine.faults ?? {}).toEqual({});
    expect(Object.keys(mutant.engine.machines ?? {})).toEqual([machine]);
    const variant = mutant.engine.machines![machine]!;
    expect(variant).not.toBe(MACHINES[machine]);
    // Named like machines/ definitions (src/persist/machines.ts): a snapshot names the machine a cell runs.
    expect(constantName(variant)).toBe(`machine:${machine}:${name}`);
  });

  it('each fault flag is read in exactly one place, the file src/vmm/faults.ts names for it', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const faultsTs = readFileSync(join(root, 'src/vmm/faults.ts'), 'utf8');
    const named = new Map([...faultsTs.matchAll(/\/\*\* ([\w/.-]+\.ts) [^]*?\*\/\s*(\w+)\?: boolean;/g)].map((m) => [m[2]!, m[1]!]));
    expect([...named.keys()].sort()).toEqual(Object.keys(FLAGS).sort());
    const reads = new Map<string, string[]>();
    const scan = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) scan(path);
        else if (entry.name.endsWith('.ts') && !/src\/(check\/|vmm\/faults\.ts)/.test(path)) {
          for (const m of readFileSync(path, 'utf8').matchAll(/\bfaults\??\.(?!js\b|ts\b)(\w+)/g)) reads.set(m[1]!, [...(reads.get(m[1]!) ?? []), relative(root, path)]);
        }
      }
    };
    scan(join(root, 'src'));
    for (const [flag, file] of named) {
      expect(reads.get(flag), flag).toHaveLength(1);
      expect(reads.get(flag)![0]!.endsWith(file), `${flag} is read in ${reads.get(flag)![0]}, faults.ts says ${file}`).toBe(true);
    }
    expect([...reads.keys()].filter((flag) => !named.has(flag))).toEqual([]);
  });

  it.each(flagged.map((m) => [m.name, m] as const))('%s is a fault flag and runs the machines of machines/', (name, mutant: Mutant) => {
    expect(mutant.engine.machines ?? {}).toEqual({});
    expect(mutant.engine.faults).toEqual({ [flagOf(name)!]: true });
  });

  it.each(variants.map((m) => [m.name, m] as const))('a world running %s runs and holds its machine by name (no closure, no unnamed machine)', (name, mutant: Mutant) => {
    const world = World.build(parseScenario(mutant.scenario), { properties: [], engine: mutant.engine });
    const variant = mutant.engine.machines![VARIANTS[name]!]!;
    const unnamed: string[] = [];
    let runs = false;
    for (let i = 0; i < 60 && !world.terminal && world.choiceCount() > 0; i++) {
      world.step(0);
      // The variant is switched on after VMR3Create (src/check/world.ts): some cell made later must run it.
      runs ||= cellsOf(world.core).some((cell) => cell.machine === variant);
      const found = census(world.vmm);
      // A machine reached other than as a named constant is walked into: its class and its implementations show.
      unnamed.push(...found.closures.filter((path) => /\.(machines?|implementations)\b/.test(path)));
      if (found.classes.has('StateMachine')) unnamed.push(`StateMachine at ${found.classes.get('StateMachine')}`);
    }
    expect(unnamed).toEqual([]);
    expect(runs).toBe(true);
  });

  it.each(runnable.map((m) => [m.name, m] as const))('%s is caught', async (_name, mutant) => {
    const result = await explore(mutant.scenario, { engine: mutant.engine, mutant: mutant.name });
    expect(result.status).toBe('violation');
    const v = result.violations[0]!;
    expect(v.property).toBe(mutant.caughtBy);
    expect(v.choices.length).toBe(SHORTEST[mutant.name]);
    table.push(`| ${mutant.name} | ${v.property} | ${v.choices.length} | ${v.message.slice(0, 90)} |`);
    // The counterexample replays in the deterministic runtime to the same text (with the same broken engine).
    const replay = replayTrace(v.text, { engine: mutant.engine });
    expect(replay.divergence).toBeNull();
    expect(replay.violation).toEqual({ property: v.property, message: v.message });
    expect(replay.reproduced).toBe(true);
  });

  it.each(runnable.map((m) => [m.name, m] as const))('the correct engine passes the scenario of %s', async (_name, mutant) => {
    expect(await explore(mutant.scenario)).toHaveNoViolations();
  });

  afterAll(() => {
    if (table.length > 0) console.log(['| mutant | caught by | shortest trace (steps) | message |', '|---|---|---|---|', ...table.sort()].join('\n'));
  });
});
