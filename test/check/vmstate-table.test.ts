/**
 * The checker judges VMSTATE changes against its own copy of the reference table (src/check/vmstate-table.ts),
 * not against the machine it checks. Goal: that copy is exactly the reference data. Method: read the fixture
 * JSON (the steering copy when present) and compare edge lists, in order, and the code-only reset edges.
 */
import { describe, expect, it } from 'vitest';
import { VMSTATE_ALLOWED_EDGES, VMSTATE_CODE_ONLY_EDGES, VMSTATE_TABLE_EDGES } from '../../src/check/vmstate-table.js';
import { readReference } from '../support/reference.js';

interface Reference {
  transitions: Record<string, string[]>;
  transitionCount: number;
  codeTransitionsNotInTable: { from: string; to: string; where: string }[];
}

const reference = readReference<Reference>();

describe('vmR3ValidateStateTransition (checker copy)', () => {
  it('has the 65 table edges of the reference, in the same order', () => {
    const edges = Object.entries(reference.transitions).flatMap(([from, targets]) => targets.map((to) => [from, to]));
    expect(VMSTATE_TABLE_EDGES.map(([from, to]) => [from, to])).toEqual(edges);
    expect(VMSTATE_TABLE_EDGES).toHaveLength(reference.transitionCount);
    expect(VMSTATE_TABLE_EDGES).toHaveLength(65);
  });

  it('has the two code-only reset edges with their condition', () => {
    expect(VMSTATE_CODE_ONLY_EDGES).toEqual(reference.codeTransitionsNotInTable);
    expect(VMSTATE_ALLOWED_EDGES).toHaveLength(67);
  });
});
