/**
 * A worker's expansions on the wire (src/check/parallel-wire.ts): what the main thread reads back is what the
 * worker wrote, field by field — steps with and without coverage, hot and terminal flags, a ticket or a packed
 * world, violations, outcomes, own paths, a reduced state's world, an enabled mask with the top bit set, key
 * halves up to 2^32 - 1, held children's choice signatures — and the numbers and packed worlds are listed for transfer.
 */
import { describe, expect, it } from 'vitest';
import type { Expansion, StepFacts } from '../../src/check/explore-worker.js';
import { decodeExpansions, encodeExpansions, fromWire, toWire, wireTransfers } from '../../src/check/parallel-wire.js';

const step = (over: Partial<StepFacts>): StepFacts => ({
  choice: 0, hi: 1, lo: 2, slot: 0, hot: false, enabled: 1, terminal: false, violation: null, terminalViolation: null, outcome: null, ticket: 3, world: null, coverage: [], ...over,
});

const CASES: [string, Expansion[]][] = [
  ['nothing', []],
  ['a state with no steps', [{ index: 7, reduced: false, all: 0, steps: [] }]],
  [
    'plain steps: coverage, flags, extreme numbers',
    [{ index: 0, reduced: false, all: 3, steps: [step({ coverage: [4, 0, 9] }), step({ choice: 1, hi: 0xffffffff, lo: 0, hot: true, enabled: 1 << 31, ticket: -1, terminal: true }), step({ choice: 2, slot: 31 })] }],
  ],
  [
    'rare fields: a violation, an end-of-run violation, an outcome, a packed world, an own path',
    [
      { index: 4, reduced: false, all: 2, steps: [step({ violation: { property: 'p', message: 'm' }, own: { base: 2, tail: [1, 0] } }), step({ choice: 1, terminalViolation: { property: 'deadlock', message: 'x' }, outcome: 'Off | A: powerOff=VINF_SUCCESS' })] },
      { index: 5, reduced: false, all: 1, steps: [step({ ticket: -1, world: new Uint8Array([1, 2, 3]), own: { base: 0, tail: [2] } })] },
    ],
  ],
  [
    "a reduced state and its world for the proviso, between two others",
    [
      { index: 1, reduced: false, all: 1, steps: [step({})] },
      { index: 2, reduced: true, all: 4, steps: [step({ choice: 2 })], rest: { ticket: -1, world: new Uint8Array([9]) } },
      { index: 3, reduced: true, all: 2, steps: [step({})], rest: { ticket: 5, world: null } },
    ],
  ],
  [
    "held children's choice signatures (an empty one too), beside a step without",
    [{ index: 6, reduced: false, all: 3, steps: [step({ signature: '34|A#0,' }), step({ choice: 1, ticket: -1 }), step({ choice: 2, ticket: 4, signature: '' })] }],
  ],
];

describe('expansions on the wire', () => {
  it.each(CASES)('%s: read back as written', (_name, expansions) => {
    expect(decodeExpansions(encodeExpansions(expansions))).toEqual(expansions);
  });

  it('a reply: times, coverage items and packed worlds as they were; numbers and every packed world transferred', () => {
    const packed = [new Uint8Array([5])];
    const reply = { expansions: CASES[3]![1], coverage: [[0, { rendezvousType: 'once' }]] as [number, { rendezvousType: string }][], times: { unpackUs: 1, copyUs: 2, stepUs: 3, packUs: 4, packs: 1, cpuUs: 5, handleCpuUs: 4, copies: 1, spares: 0 }, packed };
    const wire = toWire(reply);
    expect(fromWire(wire)).toEqual(reply);
    const buffers = wireTransfers(toWire({ ...reply, expansions: [...CASES[3]![1], ...CASES[4]![1]] }));
    expect(buffers).toHaveLength(1 + 1 + 1 + 1); // the numbers, the pack reply's world, a step's world, a rest's world
    expect(buffers).toContain(packed[0]!.buffer);
  });
});
