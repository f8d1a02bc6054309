/**
 * Symmetry reduction over interchangeable vCPUs. States that differ only by a renaming of vCPUs are merged by
 * encoding the vCPUs in a canonical order (sorted by a signature of each vCPU's local state); every CPU number
 * elsewhere in the key — a rendezvous's caller, runner, order and entered set, a packet's target and queue —
 * goes through the same renaming.
 *
 * It is sound only when renaming vCPUs maps runs to runs, and that fails as soon as the scenario can run code
 * that tells vCPUs apart:
 * - every lifecycle call (powerOn, suspend, resume, reset, softReset, powerOff, fatal runtime errors) is a
 *   DESCENDING rendezvous: EMT n-1 tries the state change, EMT 0 finishes it, and each EMT runs at its own
 *   position of the order, so no two vCPUs are interchangeable;
 * - ASCENDING and DESCENDING emtRendezvous likewise, and destroy (ALL_REVERSE, EMT 0 last and special);
 * - requests to a CPU id, to ALL or ALL_REVERSE, and callbacks whose status depends on the CPU (statusOn).
 * What remains — ONE_BY_ONE, ONCE and ALL_AT_ONCE rendezvous, 'any' / 'any-queue' requests and guru meditation
 * with CPU-blind callbacks — treats all vCPUs alike (EMT 0 is special only when creating, resetting through
 * VM_FF_RESET and exiting), and there every permutation of all vCPUs is a symmetry.
 */
import { KeyWriter } from './key-writer.js';
import type { CallSpec, ScenarioSpec } from './scenario.js';
import { encodeCpu, haltEncoding, timerName, type CpuOrder } from './state-key.js';
import type { World } from './world.js';

export interface Symmetry {
  /** `on (vCPUs 0-3 interchangeable)`, `off`, or `off (unsound: …)`. */
  readonly description: string;
  readonly active: boolean;
  /** The canonical vCPU order for this world, or null without symmetry. */
  order(world: World): CpuOrder | null;
}

/** Why a call breaks vCPU symmetry, or null when it treats every vCPU alike. */
export function symmetryBreaker(spec: CallSpec): string | null {
  if (spec.statusOn) return `${spec.call} has a per-CPU callback status (statusOn)`;
  switch (spec.call) {
    case 'emtRendezvous':
      return spec.type === 'ascending' || spec.type === 'descending' ? `${spec.type} rendezvous order distinguishes every vCPU` : null;
    case 'reqCallWait':
      for (const target of [spec.target, spec.inner]) {
        if (target !== undefined && target !== 'any' && target !== 'any-queue') return `a request to ${String(target)} names CPUs`;
      }
      return null;
    case 'setGuruMeditation':
      return null;
    case 'destroy':
      return 'destroy is an ALL_REVERSE request with EMT 0 last';
    default:
      return `${spec.call} is a DESCENDING rendezvous: EMT n-1 starts the state change and EMT 0 finishes it`;
  }
}

export function symmetryOf(scenario: ScenarioSpec, wanted: boolean): Symmetry {
  const off = (description: string): Symmetry => ({ description, active: false, order: () => null });
  if (!wanted) return off('off');
  if (scenario.cpus < 2) return off('off (one vCPU)');
  for (const client of scenario.clients) {
    for (const call of client.calls) {
      const reason = symmetryBreaker(call);
      if (reason) return off(`off (unsound: ${reason})`);
    }
  }
  const key = new KeyWriter();
  return {
    description: `on (vCPUs 0-${scenario.cpus - 1} interchangeable)`,
    active: true,
    order: (world) => canonicalOrder(world, key),
  };
}

/**
 * Sort the vCPUs by a hash of everything local to each: its own part of the key (encodeCpu), its part in each
 * rendezvous, and its EMT's timers with their place in the timer queue (which of two equal deadlines fires
 * first). Two vCPUs with equal signatures are then alike in every part of the key, so the index order between
 * them does not change the key, and symmetric states get one key (the key audit checks it: missedMerges).
 * The snapshot key renames by the same order (key-cpus.ts): any order keeps it sound, since it writes the whole
 * world renamed; a signature that missed some state would only cost merges.
 */
function canonicalOrder(world: World, key: KeyWriter): CpuOrder {
  const core = world.core;
  const n = core.cCpus;
  const halt = haltEncoding(world);
  const timers = world.sched.timerList();
  const timerCpus = timers.map((t) => timerName(world.labels.timerLabel(t.label)));
  const now = world.sched.clock.nowNs();
  const signature: number[] = [];
  for (let c = 0; c < n; c++) {
    key.reset();
    encodeCpu(world, c, key, halt);
    for (const instance of core.rendezvousStack) {
      const ctx = instance.ctx;
      key.w((instance.entered.has(c) ? 1 : 0) | (ctx.caller === c ? 2 : 0) | (ctx.runner === c ? 4 : 0));
      key.w(ctx.order.indexOf(c));
      key.w(ctx.ran.indexOf(c));
    }
    for (let i = 0; i < timers.length; i++) {
      if (timerCpus[i]!.cpu !== c) continue;
      key.w(i);
      key.w(timerCpus[i]!.id);
      key.wide(timers[i]!.dueNs - now);
    }
    key.hash();
    signature.push(key.hi);
  }
  const canonical = Array.from({ length: n }, (_, i) => i).sort((a, b) => signature[a]! - signature[b]! || a - b);
  const position = new Array<number>(n);
  canonical.forEach((cpu, i) => (position[cpu] = i));
  return { canonical, position };
}
