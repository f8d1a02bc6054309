/**
 * Spare worlds (kept-worlds.ts): a world that steps into a known state still waiting to be expanded serves one of
 * that state's choices in place of a copy. Goal: a state keeps no more worlds than it has choices (the discovering
 * world and at most choiceCount − 1 spares), since any beyond would only wait, live, to be dropped. Method: offer a
 * waiting state many worlds at it (copies of its own, so their choice signatures agree) and count what comes back.
 * The default budget: 512 MiB, or a quarter of the searching thread's heap where that is less.
 */
import { describe, expect, it } from 'vitest';
import { Explorer } from '../../src/check/explorer.js';
import { keptWorldBudget, KeptWorlds } from '../../src/check/kept-worlds.js';
import { choiceSignature, sameChoices } from '../../src/check/parked.js';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';

describe('spares: at most one world per choice of the waiting state', () => {
  it.each([2, 3, 4])('the race on %i vCPUs, a state with several choices offered 10 spares', (cpus) => {
    const x = new Explorer(parseScenario({ cpus, clients: [['powerOn', 'suspend'], ['powerOff']] }), { por: false, symmetry: false });
    const world = World.build(x.scenario, x.worldOptions);
    while (world.choiceCount() < 2) world.step(0); // a state with a choice to make
    const choices = world.choiceCount();
    const kept = new KeptWorlds(x, 1 << 30, true);
    kept.keep(1, world, false);
    for (let i = 0; i < 10; i++) kept.keepSpare(1, x.copy(world), undefined, 0, i);
    let taken = 0;
    while (kept.take(1)) taken++;
    expect(taken).toBe(choices);
  });
});

describe('sameChoices: choiceSignature equality without the strings', () => {
  // Worlds along the race's first states, some of one state by different paths (their call threads registered in
  // other orders), compared pairwise both ways: the answer is the strings' equality, and both answers occur.
  it.each([2, 3])('the race on %i vCPUs, 40 worlds pairwise', (cpus) => {
    const x = new Explorer(parseScenario({ cpus, clients: [['powerOn', 'suspend'], ['powerOff', 'powerOn']] }), { por: false, symmetry: false });
    const worlds = [World.build(x.scenario, x.worldOptions)];
    for (let q = 0; worlds.length < 40; q++) {
      for (let c = 0; c < worlds[q]!.choiceCount(); c++) {
        const next = x.copy(worlds[q]!);
        next.step(c);
        worlds.push(next);
      }
    }
    const seen = new Set<boolean>();
    for (const a of worlds) {
      for (const b of worlds) {
        const same = choiceSignature(a) === choiceSignature(b);
        expect(sameChoices(a, b)).toBe(same);
        seen.add(same);
      }
    }
    expect([...seen].sort()).toEqual([false, true]);
  });
});

describe('the default budget: min(512 MiB, a quarter of the heap limit)', () => {
  const MiB = 1 << 20;
  it.each([
    ['a 4 GiB heap (a 64-bit default)', 4096 * MiB, 512 * MiB],
    ['exactly 2 GiB', 2048 * MiB, 512 * MiB],
    ['--max-old-space-size=1024', 1024 * MiB, 256 * MiB],
    ['a 512 MiB heap', 512 * MiB, 128 * MiB],
  ])('%s', (_name, heap, budget) => {
    expect(keptWorldBudget(heap)).toBe(budget);
  });
});
