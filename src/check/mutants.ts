/**
 * Deliberately broken engines for the mutation test (issue item 7): each one must be caught by the checker.
 * Where the broken behaviour is a machine's own decision (a guard or action on an edge), the mutant is a
 * `machine.provide()` variant of machines/rendezvous.ts or machines/rendezvous-member.ts (same graph, broken
 * actions or guards), registered as the constant `machine:<machine>:<mutant>` so a world running it snapshots
 * like any other; the rest are the test-only fault flags of src/vmm/faults.ts, which says for each why it is
 * code and not an edge. Selectable only in tests: nothing exports this file from the package entry or the CLI.
 * Each mutant names a small scenario that exposes it and the property expected to catch it; the mutation test
 * records the length of the shortest counterexample.
 */
import { assign } from 'xstate';
import { MACHINES } from '../../machines/index.js';
import {
  firstRunner, mergeRendezvousStatus, nextRunner, rendezvousTypeOf, RV_STOP_ON_ERROR, type RendezvousContext,
  type RendezvousEvent, type RendezvousType,
} from '../../machines/rendezvous.js';
import { defineConstant } from '../persist/registry.js';
import type { EngineMachines } from '../vmm/faults.js';
import type { ExploreOptions } from './explore.js';
import type { Scenario } from './scenario.js';
import type { EngineVariant } from './world.js';

export interface Mutant {
  readonly name: string;
  /** What is broken, in VirtualBox terms. */
  readonly description: string;
  readonly engine: EngineVariant;
  readonly scenario: Scenario;
  /** The property expected to report it. */
  readonly caughtBy: string;
  /** Needs an engine feature that may be missing (save): the test skips it when absent. */
  readonly needs?: 'save';
}

type Args = { context: RendezvousContext; event: RendezvousEvent };

type Implementations = { actions?: Record<string, unknown>; guards?: Record<string, unknown> };

/**
 * An engine running `machine` with some actions or guards replaced (the graph stays the same), the variant
 * named `machine:<machine>:<mutant>`: a snapshot names the machine each cell runs by constant (so restoring a
 * broken engine's snapshot needs this module loaded, as the tests that build one have).
 */
function provided(mutant: string, machine: keyof EngineMachines, impl: Implementations): EngineVariant {
  const variant = defineConstant(`machine:${machine}:${mutant}`, MACHINES[machine].provide(impl as never));
  return { machines: { [machine]: variant } };
}

/** The done-counting action of machines/rendezvous.ts with the order or status rule swapped out. */
const countCallbackWith = (rules: { order?: (type: RendezvousType) => RendezvousType; merge?: (cur: number, rc: number) => number; token?: boolean; last?: boolean }) =>
  assign(({ context, event }: Args) => {
    if (event.type !== 'callbackDone') return {};
    const cDone = context.cDone + 1;
    const type = rules.order ? rules.order(context.type) : context.type;
    return {
      cDone,
      status: (rules.merge ?? mergeRendezvousStatus)(context.status, event.rc),
      order: [...context.order, event.cpu],
      ran: event.ran ? [...context.ran, event.cpu] : context.ran,
      runner: rules.last ? null : nextRunner(type, event.cpu, cDone, context.cCpus),
      token: rules.last ? false : rules.token ?? context.type === 'one-by-one',
    };
  });

const ascending = (type: RendezvousType): RendezvousType => (type === 'descending' ? 'ascending' : type);
const lastWins = (_current: number, rc: number) => rc;

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'descending-runs-ascending',
    description: 'VMMEMTRENDEZVOUS_FLAGS_TYPE_DESCENDING runs EMT 0 first and EMT n-1 last (the ascending order)',
    engine: provided('descending-runs-ascending', 'rendezvous', {
      actions: {
        releaseFirst: assign(({ context, event }: Args) => ({
          cEntered: context.cEntered + 1,
          released: context.type === 'all-at-once',
          runner: firstRunner(ascending(context.type), context.cCpus, event.type === 'enter' ? event.cpu : -1),
        })),
        countCallback: countCallbackWith({ order: ascending }),
      },
    }),
    scenario: { cpus: 2, clients: [['powerOn']] },
    caughtBy: 'rendezvous-order',
  },
  {
    name: 'stop-on-error-ignored',
    description: 'VMMEMTRENDEZVOUS_FLAGS_STOP_ON_ERROR is dropped: callbacks run after one failed',
    engine: provided('stop-on-error-ignored', 'rendezvous', {
      actions: {
        initRendezvous: assign(({ event }: Args) => {
          if (event.type !== 'begin') return {};
          return {
            flags: event.flags, type: rendezvousTypeOf(event.flags), stopOnError: false, cCpus: event.cCpus, caller: event.caller, depth: event.depth,
            status: 0, cEntered: 0, cDone: 0, cReturned: 0, runner: null, token: false, released: false, order: [], ran: [],
          };
        }),
      },
    }),
    scenario: { cpus: 2, clients: [['suspend']] },
    caughtBy: 'stop-on-error',
  },
  {
    name: 'status-merge-last-wins',
    description: 'i32RendezvousStatus takes every callback status (last wins) instead of the §6.4 merge',
    engine: provided('status-merge-last-wins', 'rendezvous', {
      actions: {
        countCallback: countCallbackWith({ merge: lastWins }),
        signalDone: countCallbackWith({ merge: lastWins, last: true }),
      },
    }),
    scenario: { cpus: 2, clients: [['suspend']] },
    caughtBy: 'status-merge',
  },
  {
    name: 'once-runs-everywhere',
    description: 'VMMEMTRENDEZVOUS_FLAGS_TYPE_ONCE waits for every EMT to run the callback',
    engine: provided('once-runs-everywhere', 'rendezvous', { guards: { isLastCallback: ({ context }: Args) => context.cDone + 1 === context.cCpus } }),
    scenario: { cpus: 2, clients: [[{ call: 'emtRendezvous', type: 'once' }]] },
    caughtBy: 'deadlock',
  },
  {
    name: 'last-arrival-early',
    description: 'a DESCENDING rendezvous starts running callbacks one EMT before the last has entered',
    engine: provided('last-arrival-early', 'rendezvous', {
      guards: { isLastArrival: ({ context }: Args) => context.cEntered + (context.type === 'descending' ? 2 : 1) >= context.cCpus },
    }),
    scenario: { cpus: 3, clients: [['powerOn']] },
    caughtBy: 'deadlock',
  },
  {
    name: 'one-by-one-token-lost',
    description: 'ONE_BY_ONE never signals the next EMT after a callback finishes',
    engine: provided('one-by-one-token-lost', 'rendezvous', { actions: { countCallback: countCallbackWith({ token: false }) } }),
    scenario: { cpus: 2, clients: [[{ call: 'emtRendezvous', type: 'one-by-one' }]] },
    caughtBy: 'deadlock',
  },
  {
    name: 'lost-wakeup',
    description: 'VMR3ReqQueue on the global queue wakes no EMT (VMR3NotifyGlobalFFU lost)',
    engine: { faults: { lostWakeupGlobal: true } },
    scenario: { cpus: 2, clients: [['powerOn']] },
    caughtBy: 'deadlock',
  },
  {
    name: 'request-completed-twice',
    description: 'vmR3ReqProcessOne completes the packet a second time',
    engine: { faults: { completeTwice: true } },
    scenario: { cpus: 1, clients: [['powerOn']] },
    caughtBy: 'engine',
  },
  {
    name: 'rendezvous-lock-kept',
    description: 'the rendezvous caller never releases u32RendezvousLock',
    engine: provided('rendezvous-lock-kept', 'rendezvousMember', { actions: { readStatus: assign({ releaseLock: false }) } }),
    scenario: { cpus: 2, clients: [['powerOn', 'powerOff']] },
    caughtBy: 'deadlock',
  },
  {
    name: 'emt0-vcpu-not-started',
    description: 'vmR3PowerOn on EMT(0) forgets VMCPUSTATE_STARTED for its own vCPU',
    engine: { faults: { skipCpuStart: true } },
    scenario: { cpus: 2, clients: [['powerOn']] },
    caughtBy: 'vcpu-agreement',
  },
  {
    name: 'all-reverse-ascending',
    description: 'VMCPUID_ALL_REVERSE visits the CPUs 0 … n-1',
    engine: { faults: { allReverseAscending: true } },
    scenario: { cpus: 2, clients: [[{ call: 'reqCallWait', target: 'all-reverse' }]] },
    caughtBy: 'request-order',
  },
  {
    name: 'destroy-keeps-queued-requests',
    description: 'VMR3Destroy leaves requests still queued to exited EMTs uncompleted (no VERR_VM_REQUEST_KILLED)',
    engine: { faults: { keepQueuedAtDestroy: true } },
    scenario: { cpus: 2, clients: [['powerOff', 'destroy'], [{ call: 'reqCallWait', target: 1 }]] },
    caughtBy: 'deadlock',
  },
  {
    name: 'power-off-ls-no-cancel',
    description: 'VMR3PowerOff from RUNNING_LS does not cancel the live save (no SSMR3Cancel)',
    engine: { faults: { powerOffNoCancel: true } },
    scenario: { cpus: 1, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] },
    caughtBy: 'live-save-cancel',
    needs: 'save',
  },
  {
    name: 'load-skips-cpu-states',
    description: 'vmmR3Load reads the started flags but sets no vCPU state: a loaded VM is SUSPENDED with every vCPU STOPPED',
    engine: { faults: { loadSkipsCpuStates: true } },
    scenario: { cpus: 2, clients: [['loadFromFile', 'resume']] },
    caughtBy: 'vcpu-agreement',
  },
  {
    name: 'teleport-target-skips-cpu-states',
    description: 'as load-skips-cpu-states, on the teleport target (VMR3LoadFromStream with fTeleporting)',
    engine: { faults: { loadSkipsCpuStates: true } },
    scenario: { cpus: 2, clients: [['loadFromStream', 'resume']] },
    caughtBy: 'vcpu-agreement',
  },
  // Halt methods on (scenario `halt: 'on'`): every wait has a timeout, so these need their own properties.
  {
    name: 'global1-halted-wake-up-lost',
    description: "GLOBAL_1's VMR3NotifyCpuFF sends no SCHED_WAKE_UP to a halted vCPU: it sleeps in GVMM until its timeout",
    engine: { faults: { haltedWakeUpLost: true } },
    scenario: { cpus: 1, halt: 'on', guest: 'halt', config: { HaltMethod: 5 }, clients: [['powerOn', { call: 'reqCallWait', target: 0 }]] },
    caughtBy: 'wake-up',
  },
  {
    name: 'halt-ignores-flags',
    description: 'the OLD halt loop never checks the force flags: a halted EMT woken for a request blocks again, every 15 ms, forever',
    engine: { faults: { haltIgnoresFlags: true } },
    scenario: { cpus: 1, halt: 'on', guest: 'halt', config: { HaltMethod: 3 }, clients: [['powerOn', { call: 'reqCallWait', target: 0 }]] },
    caughtBy: 'liveness',
  },
];

/** Exported for tests that want the stop-on-error bit without importing the machine. */
export const STOP_ON_ERROR = RV_STOP_ON_ERROR;

/** A mutant's engine by its name: another thread makes the engine again from it (an engine variant holds functions). */
export function engineByName(name: string): EngineVariant {
  const engine = MUTANTS.find((m) => m.name === name)?.engine;
  if (!engine) throw new Error(`explore: no mutant named '${name}'`);
  return engine;
}

/**
 * What another thread needs to run the engine of `options`: null without an `engine` (a `mutant` name alone only
 * labels traces, the engine is the real one), the mutant's name for a named mutant's engine, undefined for an engine
 * that is no named mutant (it cannot cross).
 */
export function engineCrossing(options: Pick<ExploreOptions, 'engine' | 'mutant'>): string | null | undefined {
  if (!options.engine) return null;
  return MUTANTS.some((m) => m.name === options.mutant && m.engine === options.engine) ? options.mutant : undefined;
}
