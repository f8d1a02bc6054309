/**
 * Where the snapshot key and the hand key (symmetry off) part on a scenario: breadth-first over every state, the
 * prefixes with one key of one kind and two of the other, and the snapshot field where they differ. With
 * `futures`, every split is settled: the two worlds' futures compared exhaustively (key-futures.ts).
 * Run: `npx tsx bench/key-split.ts '<scenario json>' [maxPrefixes] [futures]`.
 */
import { describeSplit, keySplits } from '../src/check/key-split.js';
import { Explorer } from '../src/check/explorer.js';
import { sameFutures } from '../src/check/key-futures.js';
import { parseScenario } from '../src/check/scenario.js';

const scenario = parseScenario(JSON.parse(process.argv[2]!));
const futures = process.argv[4] === 'futures';
const x = new Explorer(scenario, { liveness: false, por: false, symmetry: false });
const states = { hand: 0, snapshot: 0 };
let splits = 0;
const verdicts = { same: 0, differ: 0, bounded: 0, pairs: 0 };
const where = new Map<string, number>();
for (const split of keySplits(scenario, Number(process.argv[3] ?? 200_000), states)) {
  splits++;
  const field = split.diff?.path.replace(/\[\d+\]/g, '[]') ?? split.kind;
  where.set(field, (where.get(field) ?? 0) + 1);
  if (!futures) {
    console.log(describeSplit(split));
    if (splits === 3) break;
    continue;
  }
  const v = sameFutures(x.rebuildAlong(split.first), x.rebuildAlong(split.second));
  verdicts.pairs += v.pairs;
  if (v.bounded) verdicts.bounded++;
  if (v.same) verdicts.same++;
  else {
    verdicts.differ++;
    console.log(`${describeSplit(split)}\n  futures part after [${v.parted!.path.join(' ')}]: ${v.parted!.a} vs ${v.parted!.b}`);
  }
}
console.log(`hand states ${states.hand}, snapshot keys among them ${states.snapshot}; splits ${splits}`);
for (const [field, n] of where) console.log(`  ${n} split(s) first part at ${field}`);
if (futures) console.log(`futures: ${verdicts.same} same (${verdicts.bounded} bounded), ${verdicts.differ} differ; ${verdicts.pairs} state pairs compared`);
