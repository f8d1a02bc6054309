/**
 * The deterministic scheduler's ready list: actors in registration order whatever order they re-arm in, each
 * once however often it says ready, gone when stepped or retired. Goal: the choice indices the checker and a
 * replay depend on never move. Method: random ready / retire / step sequences against a plain model (a Set
 * of registration numbers), seeded, so a failure repeats.
 */
import { describe, expect, it } from 'vitest';
import { DeterministicScheduler } from '../../src/sched/deterministic.js';
import { Prng } from '../../src/sched/prng.js';
import type { Steppable } from '../../src/sched/scheduler.js';

describe('DeterministicScheduler ready list', () => {
  it.each([1, 2, 3, 4, 5])('agrees with a sorted-set model over 2,000 random operations (seed %i)', (seed) => {
    const sched = new DeterministicScheduler({ autoRun: false, record: true });
    const prng = new Prng(seed);
    const stepped: string[] = [];
    const actors: Steppable[] = Array.from({ length: 12 }, (_, i) => ({ id: `a${i}`, step: () => stepped.push(`a${i}`) }));
    const registered: Steppable[] = []; // registration order = order of first ready()
    const model = new Set<Steppable>();
    const expected = () => registered.filter((a) => model.has(a));
    for (let op = 0; op < 2000; op++) {
      const actor = actors[prng.int(actors.length)]!;
      const what = prng.int(4);
      if (what <= 1) {
        if (!registered.includes(actor)) registered.push(actor);
        sched.ready(actor);
        model.add(actor);
      } else if (what === 2) {
        sched.retire(actor);
        model.delete(actor);
      } else if (model.size > 0) {
        const list = expected();
        const index = prng.int(list.length);
        sched.stepAt(index);
        model.delete(list[index]!);
        expect(stepped.at(-1)).toBe(list[index]!.id);
        expect(sched.choices.at(-1)).toMatchObject({ kind: 'step', index, of: list.length, actor: list[index]!.id });
      }
      expect(sched.readyActors().map((a) => a.id)).toEqual(expected().map((a) => a.id));
      for (const a of actors) expect(sched.isReady(a)).toBe(model.has(a));
    }
  });

  it('answers readyActors() with one array until the set changes', () => {
    const sched = new DeterministicScheduler({ autoRun: false });
    const [a, b] = ['a', 'b'].map((id): Steppable => ({ id, step: () => {} }));
    sched.ready(a!);
    const first = sched.readyActors();
    sched.ready(a!); // already ready: no change
    expect(sched.readyActors()).toBe(first);
    sched.ready(b!);
    expect(sched.readyActors()).not.toBe(first);
    expect(first.map((x) => x.id)).toEqual(['a']);
  });
});
