/**
 * The state key from the snapshot (src/check/snapshot-key.ts) beside the hand-written one (src/check/state-key.ts)
 * on the scenarios the suite model-checks and the symmetric ones: distinct states of each key with symmetry on and
 * off, partial-order reduction on and off (the two must agree everywhere), and CPU seconds of each with the
 * defaults. Where the counts differ, the first pair of prefixes the hand key merges and the snapshot key does not
 * is printed with where the two snapshots part (key-split.ts). `--cost` times instead the figures that decide
 * whether the snapshot key can be the default: the race on 6 vCPUs with reductions off and on, and Save ∥
 * Suspend ∥ PowerOff on 2 vCPUs with timers any.
 *
 * Run: `npx tsx bench/check-snapshot-key.ts [maxStates] [rounds]` or `npx tsx bench/check-snapshot-key.ts --cost`
 * (CPU time, runs alternating).
 */
import { explore, type ExploreOptions } from '../src/check/explore.js';
import { disablePretenuring } from '../src/check/gc-tuning.js';
import { describeSplit, keySplits } from '../src/check/key-split.js';
import { parseScenario, type Scenario } from '../src/check/scenario.js';
import { AUDITED } from './check-key-audit.js';

const cost = process.argv.includes('--cost');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const maxStates = Number(args[0] ?? (cost ? 1_000_000 : 20_000));
const rounds = Number(args[1] ?? (cost ? 1 : 2));

const rv = (type: 'once' | 'one-by-one' | 'all-at-once') => ({ call: 'emtRendezvous' as const, type });
const SCENARIOS: [string, Scenario][] = [
  ['race powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ...AUDITED,
  // Symmetric: symmetry.ts renames vCPUs here.
  ['ONCE ∥ reqCallWait(any → any), 3 vCPUs', { cpus: 3, clients: [[rv('once')], [{ call: 'reqCallWait', target: 'any', inner: 'any' }]] }],
  ['ALL_AT_ONCE ∥ reqCallWait(any), 3 vCPUs', { cpus: 3, clients: [[rv('all-at-once')], [{ call: 'reqCallWait', target: 'any' }]] }],
  ['halt on (BOOTSTRAP): ONCE ∥ reqCallWait(any), 2 vCPUs', { cpus: 2, halt: 'on', config: { HaltMethod: 1 }, clients: [[rv('once')], [{ call: 'reqCallWait', target: 'any' }]] }],
  ['halt on (GLOBAL_1): ONCE ∥ reqCallWait(any), 2 vCPUs', { cpus: 2, halt: 'on', config: { HaltMethod: 5 }, clients: [[rv('once')], [{ call: 'reqCallWait', target: 'any' }]] }],
];

const COST: [string, Scenario, ExploreOptions][] = [
  ['race powerOn→suspend ∥ powerOff, 6 vCPUs, reductions off', { cpus: 6, clients: [['powerOn', 'suspend'], ['powerOff']] }, { por: false, symmetry: false }],
  ['race powerOn→suspend ∥ powerOff, 6 vCPUs, reductions on', { cpus: 6, clients: [['powerOn', 'suspend'], ['powerOff']] }, {}],
  ['Save ∥ Suspend ∥ PowerOff, 2 vCPUs, timers any', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] }, {}],
];

const MODES: [string, ExploreOptions][] = [
  ['sym+por', {}],
  ['sym', { por: false }],
  ['por', { symmetry: false }],
  ['none', { por: false, symmetry: false }],
];

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** States and CPU seconds of each key, `rounds` alternating runs (hand, snapshot, snapshot, hand …). */
async function timed(input: Scenario, options: ExploreOptions): Promise<{ states: Record<string, number>; cpu: Record<string, number> }> {
  const cpu = { hand: 0, snapshot: 0 };
  const states = { hand: 0, snapshot: 0 };
  for (let round = 0; round < rounds; round++) {
    for (const stateKey of (round % 2 ? ['snapshot', 'hand'] : ['hand', 'snapshot']) as ('hand' | 'snapshot')[]) {
      const start = cpuSeconds();
      const r = await explore(input, { ...options, stateKey, maxStates, timeLimitMs: 600_000 });
      cpu[stateKey] += (cpuSeconds() - start) / rounds;
      states[stateKey] = r.states;
    }
  }
  return { states, cpu };
}

disablePretenuring(); // as `vmm-actors check` runs
if (cost) {
  for (const [name, input, options] of COST) {
    const { states, cpu } = await timed(input, options);
    console.log(`${name} | hand: ${states.hand} states ${cpu.hand.toFixed(2)} s | snapshot: ${states.snapshot} states ${cpu.snapshot.toFixed(2)} s | ×${(cpu.snapshot / cpu.hand).toFixed(2)}`);
  }
} else {
  for (const [name, input] of SCENARIOS) {
    const row: string[] = [name];
    try {
      const split: string[] = [];
      for (const [mode, options] of MODES) {
        const counts = await Promise.all((['hand', 'snapshot'] as const).map(async (stateKey) => (await explore(input, { ...options, stateKey, maxStates, liveness: false })).states));
        row.push(`${mode} ${counts[0]}${counts[0] === counts[1] ? '' : ` ≠ ${counts[1]}`}`);
        if (counts[0] !== counts[1] && split.length === 0) {
          for (const s of keySplits(parseScenario(input), 3000, undefined, options.symmetry ?? true)) {
            split.push(describeSplit(s));
            break;
          }
        }
      }
      const { cpu } = await timed(input, { liveness: false });
      row.push(`CPU s hand ${cpu.hand.toFixed(2)} snapshot ${cpu.snapshot.toFixed(2)} ×${(cpu.snapshot / cpu.hand).toFixed(2)}`);
      console.log(row.join(' | '));
      if (split.length > 0) console.log(`   first split: ${split[0]}`);
    } catch (error) {
      // A world the snapshot walk refuses (a closure left in engine state, an undeclared CPU field).
      console.log(`${row.join(' | ')} | snapshot key refused: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
