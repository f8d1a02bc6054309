/**
 * bindCode's call shapes (src/persist/registry.ts): the bound function passes exactly the bound arguments, then
 * the call's own, for every count (the common ones take a path without spreading; the rest the general one), reads
 * the bound array at call time (the graph reader fills it after binding), and carries its stamp.
 */
import { describe, expect, it } from 'vitest';
import { bindCodeTo, codeStamp, defineCode } from '../../src/persist/registry.js';

const seen = defineCode('test.bindCode.seen', function (...args: unknown[]): unknown[] {
  return args;
});

describe('bindCode', () => {
  const cases = [0, 1, 2, 3, 4].flatMap((b) => [0, 1, 2, 3, 4].map((a) => [b, a] as const));
  it.each(cases)('%i bound, %i given: the function sees the bound ones, then the given ones, and no more', (b, a) => {
    const bound = Array.from({ length: b }, (_, i) => `b${i}`);
    const given = Array.from({ length: a }, (_, i) => `a${i}`);
    const fn = bindCodeTo(seen, bound);
    expect(fn(...given)).toEqual([...bound, ...given]);
    expect(codeStamp(fn)).toEqual({ name: 'test.bindCode.seen', args: bound });
    expect(Object.keys(fn)).toEqual([]);
  });

  it('reads the bound array when called (filled after binding, as the graph reader does)', () => {
    const bound: unknown[] = [];
    const fn = bindCodeTo(seen, bound);
    bound.push('late');
    expect(fn(1)).toEqual(['late', 1]);
  });
});
