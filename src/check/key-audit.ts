/**
 * An audit of the state key. The explorer merges two states when their keys are equal, and that is sound only
 * when the key holds everything that decides what a world can do next. The engine keeps part of its state in
 * closures (an operation's continuation, a timer's callback) that state-key.ts can only read through what they
 * have visibly done, and a user's monitor keeps its own state behind `encode`; either can leave something out,
 * and then states with different futures are merged and interleavings go unexplored without any error.
 *
 * The audit searches the scenario breadth-first like the explorer; wherever a second choice prefix reaches a
 * key already seen, it builds both states again and compares their futures: the trees of successor keys (with
 * violations, and outcomes where runs end) `depth` steps deep, then `lanes` runs to the end in lockstep.
 * Successors are compared as multisets, because choice indices follow the order actors were registered in,
 * which the key deliberately leaves out. With symmetry on, the merges are the explorer's (canonical keys), and
 * the futures are labelled by the least key over every renaming of the vCPUs, an exact canonical form: so a
 * mismatch means the merged states' futures are not even symmetric, and the audit checks the symmetry
 * reduction's soundness as well.
 */
import { Prng } from '../sched/prng.js';
import { RealClock } from '../time/real-clock.js';
import { endOfRun, Explorer } from './explorer.js';
import type { ExploreOptions } from './explore.js';
import { isParsedScenario, parseScenario, type ScenarioSpec, type Scenario } from './scenario.js';
import { choiceTags } from './key-futures.js';
import { encodeWorld, type CpuOrder } from './state-key.js';
import { World } from './world.js';

export interface KeyAuditOptions extends Pick<ExploreOptions, 'properties' | 'engine' | 'symmetry'> {
  /** How many steps of the two futures are compared (default 2). */
  depth?: number;
  /** Stop after this many distinct keys (default 2,000). */
  maxStates?: number;
  /** Stop after this many merges were compared (default: no limit). */
  maxMerges?: number;
  /** Runs followed to their end from both states of each merge, beyond the tree (default 1; 0: the tree only). */
  lanes?: number;
  /** Seed of the lanes' choices (default 1). */
  seed?: number;
}

/** A lane longer than this is cut (a run that never ends, e.g. halt methods ticking). */
const LANE_STEPS_MAX = 200;

/** Two prefixes with one key and different futures. */
export interface KeyMismatch {
  key: string;
  first: number[];
  second: number[];
  /** Where the futures part: the choices after the shared key, and what each side reaches there. */
  after: number[];
  firstSees: string[];
  secondSees: string[];
}

export interface KeyAuditResult {
  /** True when no mismatch was found and the search was not cut short. */
  ok: boolean;
  states: number;
  /** Prefixes that reached a key seen before (each is a merge the explorer makes). */
  merges: number;
  /**
   * With symmetry: states that are renamings of a state seen before under another key, i.e. merges the
   * canonical vCPU order missed (costly, never wrong). 0 when the canonical order is exact; null without symmetry.
   */
  missedMerges: number | null;
  mismatches: KeyMismatch[];
  bounded: boolean;
  depth: number;
  lanes: number;
  seconds: number;
}

/** A state's future: its label (key; violation, or outcome where a run ends), with its successors' futures by choice. */
interface Future {
  label: string;
  children: Future[];
  /** The children's signatures, sorted: the multiset compared. */
  signature: string;
}

export function auditStateKey(input: ScenarioSpec | Scenario, options: KeyAuditOptions = {}): KeyAuditResult {
  const scenario = isParsedScenario(input) ? input : parseScenario(input);
  const depth = options.depth ?? 2;
  const maxStates = options.maxStates ?? 2_000;
  const maxMerges = options.maxMerges ?? Number.POSITIVE_INFINITY;
  const lanes = options.lanes ?? 1;
  const clock = new RealClock();
  // The explorer's own world options and key (symmetry included): the audit checks exactly what it merges.
  const explorer = new Explorer(scenario, { liveness: false, por: false, ...pick(options) });
  const hex = () => `${(explorer.key.hi >>> 0).toString(16)}:${(explorer.key.lo >>> 0).toString(16)}`;
  /** The explorer's key: what it merges by. */
  const keyOf = (world: World) => {
    explorer.hash(world);
    return hex();
  };
  // Futures are compared by an exact canonical form: the explorer's canonical vCPU order breaks ties between
  // vCPUs by number, so two symmetric successors may carry different keys (a merge missed, not a wrong one).
  const renamings = explorer.symmetry.active ? permutations(scenario.cpus) : null;
  const labelOf = (world: World) => {
    if (!renamings) return keyOf(world);
    let least = '';
    for (const order of renamings) {
      encodeWorld(world, explorer.key, order);
      explorer.key.hash();
      const key = hex();
      if (least === '' || key < least) least = key;
    }
    return least;
  };
  const at = (prefix: readonly number[]) => {
    const world = World.build(scenario, explorer.worldOptions);
    for (const choice of prefix) world.step(choice);
    return world;
  };
  /** The state's label: its key, and the violation it reached or, where a run ends, the outcome. */
  const stateLabel = (world: World) => {
    // Where a run ends, its outcome too: statuses are history to the engine, but `outcomes` reports them.
    const end = endOfRun(world);
    return labelOf(world) + (world.violation ? `!${world.violation.property}` : end !== null ? ` = ${end}` : '');
  };
  const future = (prefix: number[], world: World, levels: number): Future => {
    const label = stateLabel(world);
    const n = levels === 0 || world.violation ? 0 : world.choiceCount();
    const children: Future[] = [];
    for (let i = 0; i < n; i++) {
      const next = i === n - 1 ? world : at(prefix); // the last child steps the world itself
      next.step(i);
      children.push(future([...prefix, i], next, levels - 1));
    }
    const signature = `${label}(${children.map((c) => c.signature).sort().join(',')})`;
    return { label, children, signature };
  };

  const prng = new Prng(options.seed ?? 1);
  /** The world's choices named by who takes them, the same in both worlds of a merge (CPUs canonical). */
  const tagsOf = (world: World): string[] => choiceTags(world, explorer.symmetry.order(world)?.position);
  /**
   * Follow one run from both states to its end in lockstep, the same actor stepping on both sides (picked at
   * random): after every step the labels must agree. This reaches what a difference does far later than `depth`
   * (a status merged early and returned at the call's end); the tree covers the near future exhaustively.
   */
  const lane = (a: readonly number[], b: readonly number[]): Omit<KeyMismatch, 'key' | 'first' | 'second'> | null => {
    const wa = at(a);
    const wb = at(b);
    const after: number[] = [];
    for (let steps = 0; steps < LANE_STEPS_MAX && !wa.violation; steps++) {
      const tagsA = tagsOf(wa);
      if (tagsA.length === 0) return null;
      const i = prng.int(tagsA.length);
      const tag = tagsA[i]!;
      const j = tagsOf(wb).indexOf(tag);
      if (j < 0) return { after, firstSees: [`${tag} can step`], secondSees: [`${tag} cannot step`] };
      wa.step(i);
      wb.step(j);
      after.push(j);
      const la = stateLabel(wa);
      const lb = stateLabel(wb);
      if (la !== lb) return { after, firstSees: [la], secondSees: [lb] };
      if (la.includes(' = ')) return null; // the run ended (with halt methods on, it ticks on)
    }
    return null;
  };

  const first = new Map<string, { prefix: number[]; future: Future | null }>();
  const mismatches: KeyMismatch[] = [];
  const queue: number[][] = [[]];
  let merges = 0;
  const classes = new Set<string>();
  let missedMerges = 0;
  while (queue.length > 0 && first.size < maxStates && merges < maxMerges) {
    const prefix = queue.shift()!;
    const world = at(prefix);
    const key = keyOf(world);
    const known = first.get(key);
    if (!known) {
      first.set(key, { prefix, future: null });
      if (renamings) {
        const exact = labelOf(world);
        if (classes.has(exact)) missedMerges++;
        else classes.add(exact);
      }
      if (!world.violation) for (let i = 0; i < world.choiceCount(); i++) queue.push([...prefix, i]);
      continue;
    }
    merges++;
    known.future ??= future(known.prefix, at(known.prefix), depth);
    const other = future(prefix, world, depth);
    if (other.signature !== known.future.signature) {
      mismatches.push(mismatchOf(key, known.prefix, prefix, known.future, other));
      continue;
    }
    for (let i = 0; i < lanes; i++) {
      const parted = lane(known.prefix, prefix);
      if (parted) {
        mismatches.push({ key, first: known.prefix, second: prefix, ...parted });
        break;
      }
    }
  }
  const bounded = queue.length > 0;
  return {
    ok: mismatches.length === 0 && !bounded,
    states: first.size,
    merges,
    missedMerges: renamings ? missedMerges : null,
    mismatches,
    bounded,
    depth,
    lanes,
    seconds: clock.nowNs() / 1e9,
  };
}

/** Every renaming of n vCPUs as a CpuOrder (n! of them: the audit's symmetric scenarios are small). */
function permutations(n: number): CpuOrder[] {
  if (n > 6) throw new RangeError(`key audit with symmetry: ${n} vCPUs have ${n}! renamings; audit up to 6 vCPUs, or pass symmetry: false`);
  const out: CpuOrder[] = [];
  const walk = (canonical: number[], rest: number[]) => {
    if (rest.length === 0) {
      const position = new Array<number>(n);
      canonical.forEach((cpu, i) => (position[cpu] = i));
      out.push({ canonical, position });
    }
    for (const cpu of rest) walk([...canonical, cpu], rest.filter((c) => c !== cpu));
  };
  walk([], Array.from({ length: n }, (_, i) => i));
  return out;
}

const pick = (o: KeyAuditOptions): ExploreOptions => ({
  ...(o.properties ? { properties: o.properties } : {}),
  ...(o.engine ? { engine: o.engine } : {}),
  ...(o.symmetry !== undefined ? { symmetry: o.symmetry } : {}),
});

/** Walk both futures to the first level where the multisets of successors differ. */
function mismatchOf(key: string, first: number[], second: number[], a: Future, b: Future): KeyMismatch {
  const after: number[] = [];
  for (;;) {
    const sa = a.children.map((c) => c.signature);
    const sb = b.children.map((c) => c.signature);
    // Descend while exactly one child differs on each side with the same label: the difference lies below.
    const onlyA = a.children.filter((c) => !sb.includes(c.signature));
    const onlyB = b.children.filter((c) => !sa.includes(c.signature));
    if (a.label === b.label && onlyA.length === 1 && onlyB.length === 1 && onlyA[0]!.label === onlyB[0]!.label) {
      after.push(b.children.indexOf(onlyB[0]!));
      a = onlyA[0]!;
      b = onlyB[0]!;
      continue;
    }
    // The successors only one side has (by key; marked when they differ only further down).
    const seen = (only: Future[], other: Future[]) =>
      only.map((c) => (other.some((o) => o.label === c.label) ? `${c.label}…` : c.label)).sort();
    return { key, first, second, after, firstSees: seen(onlyA, b.children), secondSees: seen(onlyB, a.children) };
  }
}

/** The audit in words, one line per mismatch (the CLI prints this). */
export function formatKeyAudit(result: KeyAuditResult): string {
  const head = `state-key audit (${result.depth} steps deep, ${result.lanes} lane${result.lanes === 1 ? '' : 's'} per merge): ${result.states.toLocaleString('en-US')} states, ${result.merges.toLocaleString('en-US')} merges compared`;
  const verdict =
    result.mismatches.length > 0
      ? `${result.mismatches.length} merge(s) of states with different futures`
      : result.bounded
        ? 'no mismatch so far (bounded)'
        : 'every merge sound';
  const symmetry = result.missedMerges === null ? '' : `; symmetry: ${result.missedMerges} symmetric state(s) under a second key`;
  const lines = [`${head}, ${result.seconds.toFixed(2)} s: ${verdict}${symmetry}`];
  for (const m of result.mismatches.slice(0, 10)) {
    lines.push(
      `  key ${m.key}: choices [${m.first.join(',')}] and [${m.second.join(',')}] part after [${m.after.join(',')}]: ` +
        `first reaches {${m.firstSees.join(' ')}}, second {${m.secondSees.join(' ')}}`,
    );
  }
  return lines.join('\n');
}
