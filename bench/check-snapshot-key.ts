/**
 * The state key from the snapshot (src/check/snapshot-key.ts) beside the hand-written one (src/check/state-key.ts)
 * on the scenarios the suite model-checks: distinct states, seconds and states/s of each, symmetry off for both
 * (the snapshot key has no vCPU renaming), partial-order reduction on. Where the counts differ, the first pair of
 * prefixes the hand key merges and the snapshot key does not is built again and the differing snapshot path
 * printed: a history field to declare, or state the hand key forgot.
 *
 * Run: `npx tsx bench/check-snapshot-key.ts [maxStates] [rounds]` (CPU time, runs alternating).
 */
import { explore } from '../src/check/explore.js';
import { Explorer } from '../src/check/explorer.js';
import { parseScenario, type Scenario } from '../src/check/scenario.js';
import { snapshotDiff } from '../src/check/snapshot-key.js';
import { AUDITED } from './check-key-audit.js';

const maxStates = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 2);
const SCENARIOS: [string, Scenario][] = [
  ['race powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ...AUDITED,
];

/** The first prefix pair the hand key merges whose snapshots differ, and where. */
function firstSplit(input: Scenario): string {
  const scenario = parseScenario(input);
  const hand = new Explorer(scenario, { symmetry: false, liveness: false, por: false });
  const snap = new Explorer(scenario, { stateKey: 'snapshot', liveness: false, por: false });
  const firstByHand = new Map<string, number[]>();
  const queue: number[][] = [[]];
  for (let q = 0; q < queue.length && q < 3000; q++) {
    const world = hand.rebuildAlong(queue[q]!);
    hand.hash(world);
    const handKey = `${hand.key.hi}:${hand.key.lo}`;
    const seen = firstByHand.get(handKey);
    if (seen) {
      snap.hash(world);
      const a = `${snap.key.hi}:${snap.key.lo}`;
      const other = hand.rebuildAlong(seen);
      snap.hash(other);
      if (a !== `${snap.key.hi}:${snap.key.lo}`) {
        const d = snapshotDiff(other, world);
        return `[${seen.join(',')}] vs [${queue[q]!.join(',')}]: ${d ? `${d.path}: ${d.a} vs ${d.b}` : 'equal walks'}`;
      }
      continue;
    }
    firstByHand.set(handKey, queue[q]!);
    for (let c = 0; c < world.choiceCount(); c++) queue.push([...queue[q]!, c]);
  }
  return 'none found';
}

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

for (const [name, input] of SCENARIOS) {
  const row: string[] = [name];
  const counts: number[] = [];
  try {
    // CPU time over alternating runs (hand, snapshot, snapshot, hand …): the machine is shared and noisy.
    const cpu = { hand: 0, snapshot: 0 };
    const states = { hand: 0, snapshot: 0 };
    for (let round = 0; round < rounds; round++) {
      for (const stateKey of (round % 2 ? ['snapshot', 'hand'] : ['hand', 'snapshot']) as ('hand' | 'snapshot')[]) {
        const start = cpuSeconds();
        const r = await explore(input, { stateKey, symmetry: false, maxStates, liveness: false, timeLimitMs: 60_000 });
        cpu[stateKey] += cpuSeconds() - start;
        states[stateKey] += r.states;
        if (round === 0) counts.push(r.states);
      }
    }
    for (const stateKey of ['hand', 'snapshot'] as const) row.push(`${stateKey}: ${states[stateKey] / rounds} states ${Math.round(states[stateKey] / cpu[stateKey])}/s`);
    row.push(`×${((states.hand / cpu.hand) / (states.snapshot / cpu.snapshot)).toFixed(2)}`);
    console.log(row.join(' | '));
    if (counts[0] !== counts[1]) console.log(`   first split: ${firstSplit(input)}`);
  } catch (error) {
    // A world the snapshot writer refuses (a closure left in engine state): no snapshot key there.
    console.log(`${row.join(' | ')} | snapshot key refused: ${error instanceof Error ? error.message : String(error)}`);
  }
}
