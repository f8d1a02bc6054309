/**
 * The state key from the snapshot (src/check/snapshot-key.ts): equal exactly when the snapshots are equal up to
 * the numbering of objects, with `history` and `transient` fields left out — so a state field nobody listed in
 * a hand-written key still tells states apart. Synthetic registered classes keep the test independent of the
 * engine's registrations; the explorer option is checked on a small scenario.
 */
import { describe, expect, it } from 'vitest';
import { defineCode, bindCode, persistable } from '../../src/persist/registry.js';
import { encodeSnapshot, snapshotDiff } from '../../src/check/snapshot-key.js';
import { KeyWriter } from '../../src/check/key-writer.js';

class KeyCell {
  value = 0;
  /** Steps so far: decides nothing. */
  steps = 0;
  /** A cache rebuilt on use. */
  cache: number[] | undefined = undefined;
  peer: KeyCell | null = null;
  items: unknown[] = [];
}
persistable('SnapshotKeyTest.KeyCell', KeyCell, { history: ['steps'], transient: ['cache'] });
const add = defineCode('snapshotKeyTest.add', (cell: KeyCell, n: number) => cell.value + n);

function keyOf(root: object): string {
  const key = new KeyWriter();
  encodeSnapshot(root, key);
  key.hash();
  return `${key.hi}:${key.lo}`;
}

function pair(): [KeyCell, KeyCell] {
  const a = new KeyCell();
  const b = new KeyCell();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

describe('snapshot state key', () => {
  it('is equal for equal graphs and ignores history and transient fields', () => {
    const [a] = pair();
    const [c] = pair();
    a.steps = 5;
    a.cache = [1, 2];
    expect(keyOf(a)).toBe(keyOf(c));
    expect(snapshotDiff(a, c)).toBeNull();
  });

  it('tells apart any state field, shared references from copies, and bound data', () => {
    const [base] = pair();
    const variants: [string, (x: KeyCell) => void][] = [
      ['a state field', (x) => (x.value = 1)],
      ['a nested field', (x) => (x.peer!.value = 1)],
      ['an array element', (x) => x.items.push('QUEUED')],
      ['a Map entry', (x) => x.items.push(new Map([[1, 'a']]))],
      ['bound code data', (x) => x.items.push(bindCode(add, x, 1))],
    ];
    for (const [what, change] of variants) {
      const [x] = pair();
      change(x);
      expect(keyOf(x), what).not.toBe(keyOf(base));
      expect(snapshotDiff(base, x), what).not.toBeNull();
    }
  });

  it('tells a shared reference from two equal copies', () => {
    const [shared] = pair();
    const [copies] = pair();
    const cell = new KeyCell();
    shared.items.push(cell, cell);
    copies.items.push(new KeyCell(), new KeyCell());
    expect(keyOf(shared)).not.toBe(keyOf(copies));
  });

  it('keys a frozen record by what it holds, all the way down, and walks one holding unfrozen data', () => {
    // key-frozen.ts writes a frozen record of frozen data as a digest cached by identity: the cache must never
    // stand for data that can still change.
    const record = (n: number, inner: unknown) => Object.freeze({ name: 'cfg', limits: Object.freeze([1, n]), inner });
    const keyed = (r: object) => {
      const [x] = pair();
      x.items.push(r);
      return keyOf(x);
    };
    expect(keyed(record(2, null))).toBe(keyed(record(2, null)));
    expect(keyed(record(2, null))).not.toBe(keyed(record(3, null)));
    const open = { value: 1 };
    const holding = record(2, open);
    const before = keyed(holding);
    open.value = 2;
    expect(keyed(holding)).not.toBe(before);
    const list = [1];
    const holdingList = record(2, list);
    const first = keyed(holdingList);
    list.push(2);
    expect(keyed(holdingList)).not.toBe(first);
  });

  it('names the field where two snapshots part', () => {
    const [a] = pair();
    const [b] = pair();
    b.peer!.value = 7;
    expect(snapshotDiff(a, b)).toEqual({ path: '.peer.value', a: '0', b: '7' });
  });
});
