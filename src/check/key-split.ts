/**
 * Where the snapshot key and the hand key (state-key.ts) part: breadth-first over every state of a
 * scenario, each hand key must go with one snapshot key and each snapshot key with one hand key. Yields every
 * split with the two prefixes and, for a hand key with two snapshot keys, the snapshot field where they differ.
 * test/check/snapshot-key-equal.test.ts asserts there are none; bench/key-split.ts prints them.
 */
import { Explorer } from './explorer.js';
import type { ScenarioSpec } from './scenario.js';
import { snapshotDiff } from './snapshot-key.js';

export interface KeySplit {
  readonly kind: 'one snapshot key, two hand keys' | 'one hand key, two snapshot keys';
  readonly first: readonly number[];
  readonly second: readonly number[];
  /** For two snapshot keys: the first field where the two snapshots part. */
  readonly diff?: { path: string; a: string; b: string } | null;
}

/**
 * The splits, as they are met; `states` gets the hand-key state count and snapshot keys among them at the end.
 * With `symmetry`, both keys rename the vCPUs (where the scenario allows it) by the same canonical order.
 */
export function* keySplits(scenario: ScenarioSpec, maxPrefixes = Number.POSITIVE_INFINITY, states?: { hand: number; snapshot: number }, symmetry = false): Generator<KeySplit> {
  const hand = new Explorer(scenario, { symmetry, liveness: false, por: false });
  const snap = new Explorer(scenario, { stateKey: 'snapshot', symmetry, liveness: false, por: false });
  const snapOfHand = new Map<string, { key: string; prefix: number[] }>();
  const handOfSnap = new Map<string, { key: string; prefix: number[] }>();
  const queue: number[][] = [[]];
  for (let q = 0; q < queue.length && q < maxPrefixes; q++) {
    const prefix = queue[q]!;
    const world = hand.rebuildAlong(prefix);
    hand.hash(world);
    const h = `${hand.key.hi}:${hand.key.lo}`;
    snap.hash(world);
    const s = `${snap.key.hi}:${snap.key.lo}`;
    const bySnap = handOfSnap.get(s);
    if (bySnap && bySnap.key !== h) yield { kind: 'one snapshot key, two hand keys', first: bySnap.prefix, second: prefix };
    const byHand = snapOfHand.get(h);
    if (byHand) {
      if (byHand.key !== s) {
        const other = hand.rebuildAlong(byHand.prefix);
        yield { kind: 'one hand key, two snapshot keys', first: byHand.prefix, second: prefix, diff: snapshotDiff(other, world, hand.symmetry.order(other), hand.symmetry.order(world)) };
      }
      continue;
    }
    snapOfHand.set(h, { key: s, prefix });
    if (!bySnap) handOfSnap.set(s, { key: h, prefix });
    for (let c = 0; c < world.choiceCount(); c++) queue.push([...prefix, c]);
  }
  if (states) Object.assign(states, { hand: snapOfHand.size, snapshot: handOfSnap.size });
}

export const describeSplit = (split: KeySplit): string =>
  `${split.kind}: [${split.first}] vs [${split.second}]` +
  (split.diff !== undefined ? ` part at ${split.diff ? `${split.diff.path}: ${split.diff.a} vs ${split.diff.b}` : '? (equal walks)'}` : '');
