/**
 * One world of a scenario: an engine on a deterministic scheduler that never runs by itself, the VM created
 * (deterministically, before any choice), the scenario's clients as actors, and the property monitors
 * listening. Worlds cannot be cloned (EMT frames hold closures), so the explorer identifies a state by the
 * choice prefix that reaches it and rebuilds a world to expand it; everything here is therefore synchronous
 * and cheap to build.
 */
import { DeterministicScheduler, type ChoicePolicy } from '../sched/deterministic.js';
import type { Steppable } from '../sched/scheduler.js';
import { isVBoxError, statusName, VINF_SUCCESS } from '../status.js';
import type { TraceRecord } from '../inspect/trace-format.js';
import { startOperation, type ExternalThread } from '../vmm/external.js';
import type { EngineFaults, EngineMachines } from '../vmm/faults.js';
import type { VM } from '../api/vm.js';
import type { VmCore, VmObserver, VmTraceEvent } from '../vmm/vm-core.js';
import { createVMM, type Vmm } from '../api/vmm.js';
import type { ReqPool } from '../vmm/requests.js';
import { directRendezvousType } from '../vmm/rendezvous.js';
import type { EmtContext } from '../vmm/types.js';
import type { EmtHooks } from '../vmm/emt.js';
import type { VmComponents } from '../vmm/lifecycle.js';
import { buildOperation } from './calls.js';
import { WORLD_RAM_BYTES } from './images.js';
import { ScenarioClient, type ClientHost } from './client.js';
import type { CoverageSink } from './coverage.js';
import { Labels, type CallRef } from './labels.js';
import { routeOf, routesOf, type MonitorRoutes } from './monitor-routes.js';
import type { Monitor, MonitorContext, PropertyDef, UserInvariant, Violation } from './property.js';
import { describeCall, type ScenarioSpec } from './scenario.js';
import { WorldView } from './view.js';
import { bindCode, defineCodes, persistable } from '../persist/registry.js';
import { EMPTY_LIST } from '../persist/empty-list.js';
import { KeyWriter } from './key-writer.js';

/** A deliberately broken engine (tests only): fault flags and machine variants. */
export interface EngineVariant {
  faults?: EngineFaults;
  machines?: Partial<EngineMachines>;
}

export interface WorldOptions {
  properties: readonly PropertyDef[];
  invariants?: readonly UserInvariant[];
  engine?: EngineVariant;
  /** Keep trace records (choices, calls, events, the violation) for a counterexample file. */
  record?: boolean;
  /** The scheduler's policy for steps taken with stepByPolicy (replay). */
  policy?: ChoicePolicy;
  coverage?: CoverageSink;
  /** Run the monitors, labels and coverage during VM creation too (otherwise they start at CREATED). */
  observeCreation?: boolean;
}

export class World implements ClientHost, MonitorContext, VmObserver {
  readonly sched: DeterministicScheduler;
  readonly vmm: Vmm;
  readonly vm: VM;
  readonly core: VmCore;
  readonly pool: ReqPool;
  readonly clients: ScenarioClient[] = [];
  readonly labels: Labels;
  readonly monitors: readonly Monitor[];
  readonly view: WorldView;
  /** Trace records (transient: recording is the host's; a restored world records nothing). */
  records: TraceRecord[] | null;
  /** Live saves cancelled by SSMR3Cancel (power-off from an _LS state and friends). */
  cancels = 0;
  violation: Violation | null = null;
  stepping: Steppable | null = null;
  depth = 0;
  /** The fairness slot of the last step (liveness.ts). */
  lastSlot = 0;
  /** Re-running steps already explored: coverage is not collected again. */
  replaying = false;
  // State is data (src/persist): TypeScript `private`, never `#` fields, so a snapshot sees and restores them.
  private changed = false;
  /** Cache of ready(), dropped at every step (transient). */
  private readyCache: Steppable[] | null = null;
  /** Which monitors each event kind goes to (shared by worlds with the same monitors; transient). */
  private routes: MonitorRoutes | undefined;
  private readonly invariants: readonly UserInvariant[];
  /** Where coverage goes (transient: a host attachment; a restored world collects none until attachCoverage). */
  private coverage: CoverageSink | undefined;
  private readonly faults: EngineFaults = {};
  private readonly machines: Partial<EngineMachines> = {};
  private readonly variant: EngineVariant | undefined;
  private watching = false;

  private constructor(
    readonly scenario: ScenarioSpec,
    options: WorldOptions,
  ) {
    this.records = options.record ? [] : null;
    this.coverage = options.coverage;
    // Owned (a copy): the caller's array is the caller's. None: the shared empty list (copies share it).
    this.invariants = options.invariants?.length ? [...options.invariants] : EMPTY_LIST;
    this.variant = options.engine;
    this.sched = new DeterministicScheduler({ autoRun: false, record: options.record ?? false, policy: options.policy ?? { kind: 'first' } });
    this.vmm = createVMM({
      scheduler: this.sched,
      fidelity: scenario.fidelity,
      // A broken engine is switched on once the VM exists: creation is not what its mutation tests.
      faults: this.faults,
      machines: this.machines,
      hooks: worldHooks(scenario),
      // Small: one VM. 'scan' is VirtualBox's early wake-up pass, a function of the vCPUs' halt expiries alone.
      gvmm: { maxHandles: 4, wakeUpIndex: 'scan' },
      components: WORLD_COMPONENTS,
    });
    // Settled below by stepping; a failure shows as the state check. No promise: a discarded world is garbage at once.
    this.vm = this.vmm.createThen({ cpus: scenario.cpus, config: { NumCPUs: scenario.cpus, ...scenario.config }, ram: { sizeBytes: WORLD_RAM_BYTES } }, worldCodes.ignoreStatus);
    this.core = this.vm.core;
    this.pool = this.vm.pool;
    this.labels = new Labels(this.core, this);
    this.monitors = options.properties.length > 0 ? options.properties.map((p) => p.create()) : EMPTY_LIST;
    this.view = new WorldView(this);
    if (this.records) this.sched.onChoice = bindCode(worldCodes.recordChoice, this);
    // VM creation is the same in every world: watched only when recording or asked to (coverage, once).
    if (options.record || options.observeCreation) this.watch();
  }

  /** Build a world and run the VM's creation (VMR3Create) to CREATED; then register the clients. */
  static build(scenario: ScenarioSpec, options: WorldOptions): World {
    const world = new World(scenario, options);
    world.sched.runSync(true);
    if (!world.watching) world.watch();
    world.labels.forgetCreation();
    if (world.core.vmState !== 'CREATED') {
      // VMR3Create failing is the scenario's result, reported (and replayed) like any violation at step 0.
      const error = world.core.lastError;
      const why = error ? `: ${statusName(error.rc)} (${error.rc}): ${error.message}` : '';
      world.fail('creation', `VMR3Create did not reach CREATED (VM state ${world.core.vmState})${why}`);
      return world;
    }
    for (const monitor of world.monitors) monitor.start?.(world);
    // Frozen once switched on (never changes after): world copies share them.
    Object.freeze(Object.assign(world.faults, world.variant?.faults));
    Object.freeze(Object.assign(world.machines, world.variant?.machines));
    scenario.clients.forEach((spec, i) => {
      const client = new ScenarioClient(i, spec, world);
      world.clients.push(client);
      world.sched.ready(client);
    });
    world.depth = 0;
    return world;
  }

  /** The ready actors in choice order (then a timer choice when time may pass). */
  ready(): Steppable[] {
    return (this.readyCache ??= this.sched.readyActors());
  }

  /** How many choices there are here: ready actors, plus one for "fire the next timer" when allowed. */
  choiceCount(): number {
    const ready = this.ready().length;
    return ready + (this.timerChoice() ? 1 : 0);
  }

  /** Virtual time may pass: a timer is pending and (by default) nothing else can step, as in the runtime. */
  timerChoice(): boolean {
    return this.sched.pendingTimers > 0 && (this.scenario.timers === 'any' || this.ready().length === 0);
  }

  /** Take choice `index` (an actor of ready(), or the timer when index === ready().length). */
  step(index: number): void {
    const ready = this.ready();
    this.lastSlot = index === ready.length ? 31 : this.actorSlot(index);
    this.changed = false;
    this.readyCache = null;
    if (index === ready.length) {
      if (!this.timerChoice()) throw new Error(`world: no choice ${index} (${ready.length} ready, no timer choice)`);
      this.sched.fireNextTimer();
    } else {
      const actor = ready[index];
      if (!actor) throw new Error(`world: no choice ${index} (${ready.length} ready)`);
      this.stepping = actor;
      try {
        this.sched.stepReady(actor, index, ready.length);
      } catch (error) {
        this.fail('engine', `${actor.id} threw ${describeError(error)}`);
      } finally {
        this.stepping = null;
      }
    }
    this.afterStep();
  }

  /** Replay: let the scheduler's own policy pick the next actor (the deterministic runtime's replay). */
  stepByPolicy(): void {
    this.changed = false;
    this.readyCache = null;
    const ready = this.sched.readyActors();
    const before = this.sched.choices.length;
    // Which actor the policy picks is known only inside the step; the recorded choice tells afterwards.
    const byId = new Map(ready.map((a) => [a.id, a]));
    const previous = this.sched.onChoice;
    this.sched.onChoice = (choice) => {
      if (choice.kind === 'step') this.stepping = byId.get(choice.actor) ?? null;
      previous?.(choice);
    };
    try {
      this.sched.runSync(false, 1);
    } catch (error) {
      const choice = this.sched.choices[before];
      this.fail('engine', `${choice?.kind === 'step' ? choice.actor : 'timer'} threw ${describeError(error)}`);
    } finally {
      this.sched.onChoice = previous;
      this.stepping = null;
    }
    this.afterStep();
  }

  fireTimer(): void {
    this.changed = false;
    this.readyCache = null;
    this.sched.fireNextTimer();
    this.afterStep();
  }

  private afterStep(): void {
    this.readyCache = null;
    this.depth++;
    for (const monitor of this.monitors) monitor.afterStep?.(this, this.changed);
    // User invariants are functions of the state: on a replayed prefix they held when its states were found.
    // Monitors keep state, so they run on every step.
    if (this.replaying) return;
    for (const invariant of this.invariants) {
      if (this.violation) break;
      const result = invariant.holds(this.view);
      if (result === false) this.fail(invariant.name, `invariant '${invariant.name}' does not hold`);
      else if (typeof result === 'string') this.fail(invariant.name, result);
    }
  }

  /** Nothing can step and no timer is pending: run the end-of-run checks (deadlock, hot monitors). */
  checkTerminal(): void {
    for (const monitor of this.monitors) monitor.atTerminal?.(this);
  }

  get terminal(): boolean {
    return this.choiceCount() === 0;
  }

  fail(property: string, message: string): void {
    if (this.violation) return;
    this.violation = { property, message };
    this.records?.push({ type: 'violation', seq: this.records.length, property, message });
  }

  /** A label for liveness fairness: which actor took a step (EMTs by CPU, clients and their threads by index). */
  actorSlot(index: number): number {
    const actor = this.ready()[index];
    const n = this.core.cCpus;
    if (!actor) return 31;
    const emt = this.core.emts.indexOf(actor as never);
    if (emt >= 0) return emt;
    const client = this.clients.indexOf(actor as ScenarioClient);
    if (client >= 0) return n + client;
    const call = this.labels.threadCall.get(actor as ExternalThread);
    return call ? n + this.clients.length + call.clientIndex : 30;
  }

  startCall(client: ScenarioClient, call: CallRef): ExternalThread | null {
    this.records?.push({ type: 'call', seq: this.records.length, client: call.client, api: describeCall(call.spec), args: [call.spec], phase: 'start' });
    for (const monitor of this.monitors) monitor.onCallStart?.(call, this);
    let thread: ExternalThread;
    try {
      thread = startOperation(this.core, buildOperation(this.pool, call.spec, this), client);
    } catch (error) {
      // The API refused the input before anything ran: that is the call's status.
      client.finish(call, error instanceof Error ? error : new Error(String(error)));
      return null;
    }
    this.labels.threadCall.set(thread, call);
    return thread;
  }

  /** A rendezvous callback on the direct path (one vCPU, dying VM) builds no instance: count its type here. */
  onCallback(ctx: EmtContext): void {
    const type = this.replaying ? null : directRendezvousType(this.core.emts[ctx.cpu]?.top());
    if (type !== null) this.coverage?.noteRendezvousType(type);
  }

  callDone(client: ScenarioClient, call: CallRef, result: number | Error): void {
    if (result instanceof Error && !isVBoxError(result)) this.fail('engine', `${call.label} ${describeCall(call.spec)} threw ${describeError(result)}`);
    client.finish(call, result);
  }

  endCall(client: ScenarioClient, call: CallRef, result: number | Error): void {
    const rc = typeof result === 'number' ? result : isVBoxError(result) ? result.rc : Number.NaN;
    this.records?.push({ type: 'call', seq: this.records.length, client: call.client, api: describeCall(call.spec), args: [call.spec], phase: 'end', rc });
    for (const monitor of this.monitors) monitor.onCallEnd?.(call, rc, this);
    if (!client.done && client.position < client.spec.calls.length) this.sched.ready(client);
  }

  /** Collect coverage from here on (a restored world has none: coverage is a host attachment). */
  attachCoverage(coverage: CoverageSink | undefined): void {
    this.coverage = coverage;
  }

  private watch(): void {
    this.watching = true;
    this.labels.watchPool(this.pool);
    this.core.listeners.add(this);
  }

  /** After a restore or copy: the engine's listener set is transient (VmCore revives it empty), so listen again. */
  revive(): void {
    this.records ??= null;
    if (this.watching) this.core.listeners.add(this);
  }

  /** The world listens as itself (a VmObserver: a copy's revive makes no function) and wants every event. */
  heard(event: VmTraceEvent): void {
    this.onEvent(event);
  }

  /** Member and request-call edges only for a trace or a monitor that asks for them (nothing else here reads them). */
  wantsDetail(): boolean {
    return this.records !== null || (this.routes ??= routesOf(this.monitors)).detail;
  }

  onEvent(event: VmTraceEvent): void {
    this.labels.onEvent(event);
    if (event.kind === 'state' || event.kind === 'cpu-state') this.changed = true;
    if (!this.replaying) this.coverage?.onEvent(event);
    const route = routeOf((this.routes ??= routesOf(this.monitors)), event.kind);
    for (let i = 0; i < route.length; i++) this.monitors[route[i]!]!.onEvent!(event, this);
    this.records?.push({ type: 'event', seq: this.records.length, vm: this.core.handle, event });
  }
}

export function describeError(error: unknown): string {
  if (isVBoxError(error)) return `${statusName(error.rc)} (${error.rc}): ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * The engine hooks of a world. halt 'off': VMR3WaitU without the halt method's one-second timed sleeps, an idle
 * EMT sleeps until notified, so a world with nothing to do is quiescent. 'on': createVMM's own halt-method
 * hooks, whose timed sleeps are timer choices (docs/model-checking.md, "Halt methods").
 */
function worldHooks(scenario: ScenarioSpec): EmtHooks {
  // Frozen data (code without arguments): every world copy shares it.
  return Object.freeze({
    ...(scenario.halt === 'on' ? {} : { wait: undefined, halt: undefined, notifyCpuFF: undefined }),
    ...(scenario.guest === 'halt' ? { executeGuest: worldCodes.guestHalts } : {}),
  });
}


/** What a world leaves in engine state: functions of the code table bound to the world (data), never closures. */
const worldCodes = defineCodes('check.world', {
  recordChoice: (world: World, choice: Parameters<NonNullable<DeterministicScheduler['onChoice']>>[0]): void => {
    world.records?.push({ type: 'choice', seq: world.records.length, choice });
  },
  /**
   * SSMR3Cancel as the world counts it (the live-save-cancel property reads the count). Unbound, so every world
   * and copy shares one component table: the world is found through its VM, as the host of the Labels that
   * watch the VM's packet pool (World.build watches before any call can cancel).
   */
  ssmCancel: (core: VmCore): number => {
    const labels = core.emts[0]?.pool.watcher;
    if (labels instanceof Labels) (labels.host as World).cancels++;
    return VINF_SUCCESS;
  },
  guestHalts: () => ({ kind: 'halt' as const }),
  ignoreStatus: (_rc: number): void => {},
});

/** The world's components: SSMR3Cancel counted by the world. */
const WORLD_COMPONENTS: Partial<VmComponents> = Object.freeze({ ssmCancel: worldCodes.ssmCancel });

const fixed = (): undefined => undefined;

// (World's constructor is private: World.build is the way in; the registry only needs its prototype.)
persistable('World', World as unknown as abstract new () => World, {
  transient: ['coverage', 'records', 'readyCache', 'routes'],
  owned: ['clients', 'monitors', 'invariants', 'view'],
  // Steps taken, the last step's fairness slot and whether it moved a state: facts about the path, not the state.
  history: ['depth', 'lastSlot', 'changed', 'replaying'],
  revive: (world) => world.revive(),
  // The state key from the snapshot takes the engine as it is; a monitor's state as the monitor keys it (its
  // `encode`: a monitor's own abstraction, checked by key-audit.ts), not its bookkeeping tables.
  // The scenario and the explorer's options are the same in every world one explorer keys: nothing to tell apart.
  keyFields: { monitors: (_world, monitors: readonly Monitor[], _now, cpu) => monitorWords(monitors, cpu), scenario: fixed, faults: fixed, machines: fixed, invariants: fixed, variant: fixed },
});

const monitorKey = new KeyWriter();

/** What the monitors keep, as their `encode` words (CPU ids as the snapshot key's walk writes them: `cpu`). */
function monitorWords(monitors: readonly Monitor[], cpu: (c: number) => number): number[] {
  monitorKey.reset();
  for (const monitor of monitors) monitor.encode?.(monitorKey, cpu);
  return monitorKey.snapshot();
}
