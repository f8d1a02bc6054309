/**
 * A spare-descended world's own path as a chain (own-steps.ts): its tail is the choices taken after the base's
 * table prefix, in order, whether the chain starts at a base or extends a path given as an array (the workers').
 */
import { describe, expect, it } from 'vitest';
import type { OwnPath } from '../../src/check/kept-worlds.js';
import { OwnSteps } from '../../src/check/own-steps.js';

describe('OwnSteps', () => {
  it.each([
    ['from a base', undefined, 7, [3, 0, 2, 1]],
    ['extending an array path', { base: 4, tail: [1, 1] }, 9, [0, 5]],
    ['one step', undefined, 0, [2]],
  ] as [string, OwnPath | undefined, number, number[]][])('%s: the tail is every choice in order, after the base', (_, start, base, choices) => {
    let own: OwnPath | undefined = start;
    const paths: OwnPath[] = [];
    for (const choice of choices) paths.push((own = OwnSteps.extend(own, base, choice)));
    const expectedBase = start ? start.base : base;
    const before = start ? start.tail : [];
    paths.forEach((path, i) => {
      expect(path.base).toBe(expectedBase);
      expect(path.tail).toEqual([...before, ...choices.slice(0, i + 1)]);
    });
  });

  it('siblings share their prefix and do not see each other', () => {
    const parent = OwnSteps.extend(undefined, 2, 1);
    const a = OwnSteps.extend(parent, 2, 0);
    const b = OwnSteps.extend(parent, 2, 3);
    expect([parent.tail, a.tail, b.tail]).toEqual([[1], [1, 0], [1, 3]]);
  });
});
