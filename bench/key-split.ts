/**
 * Where the snapshot key and the hand key (symmetry off) part on a scenario: breadth-first over every state, the
 * first two prefixes with one key of one kind and two of the other, and the snapshot field where they differ.
 * Run: `npx tsx bench/key-split.ts '<scenario json>' [maxPrefixes]`.
 */
import { Explorer } from '../src/check/explorer.js';
import { parseScenario } from '../src/check/scenario.js';
import { snapshotDiff } from '../src/check/snapshot-key.js';

const scenario = parseScenario(JSON.parse(process.argv[2]!));
const max = Number(process.argv[3] ?? 200_000);
const hand = new Explorer(scenario, { symmetry: false, liveness: false, por: false });
const snap = new Explorer(scenario, { stateKey: 'snapshot', liveness: false, por: false });
const snapOfHand = new Map<string, { key: string; prefix: number[] }>();
const handOfSnap = new Map<string, { key: string; prefix: number[] }>();
const queue: number[][] = [[]];
let splits = 0;
for (let q = 0; q < queue.length && q < max && splits < 3; q++) {
  const prefix = queue[q]!;
  const world = hand.rebuildAlong(prefix);
  hand.hash(world);
  const h = `${hand.key.hi}:${hand.key.lo}`;
  snap.hash(world);
  const s = `${snap.key.hi}:${snap.key.lo}`;
  const byHand = snapOfHand.get(h);
  const bySnap = handOfSnap.get(s);
  if (bySnap && bySnap.key !== h) {
    splits++;
    console.log(`one snapshot key, two hand keys: [${bySnap.prefix}] vs [${prefix}]`);
  }
  if (byHand) {
    if (byHand.key !== s) {
      splits++;
      const d = snapshotDiff(hand.rebuildAlong(byHand.prefix), world);
      console.log(`one hand key, two snapshot keys: [${byHand.prefix}] vs [${prefix}]: ${d ? `${d.path}: ${d.a} vs ${d.b}` : 'equal walks'}`);
    }
    continue;
  }
  snapOfHand.set(h, { key: s, prefix });
  if (!bySnap) handOfSnap.set(s, { key: h, prefix });
  for (let c = 0; c < world.choiceCount(); c++) queue.push([...prefix, c]);
}
console.log(`hand states ${snapOfHand.size}, snapshot keys among them ${handOfSnap.size}`);
