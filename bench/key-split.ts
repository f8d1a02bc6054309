/**
 * Where the snapshot key and the hand key (symmetry off) part on a scenario: breadth-first over every state, the
 * first three prefixes with one key of one kind and two of the other, and the snapshot field where they differ.
 * Run: `npx tsx bench/key-split.ts '<scenario json>' [maxPrefixes]`.
 */
import { describeSplit, keySplits } from '../src/check/key-split.js';
import { parseScenario } from '../src/check/scenario.js';

const scenario = parseScenario(JSON.parse(process.argv[2]!));
const states = { hand: 0, snapshot: 0 };
let splits = 0;
for (const split of keySplits(scenario, Number(process.argv[3] ?? 200_000), states)) {
  console.log(describeSplit(split));
  if (++splits === 3) break;
}
if (splits < 3) console.log(`hand states ${states.hand}, snapshot keys among them ${states.snapshot}`);
