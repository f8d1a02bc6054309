/** The options and records of createVMM and the Vmm (src/api/vmm.ts). */
import type { ChoicePolicy } from '../sched/deterministic.js';
import type { InspectorInput } from '../inspect/inspector.js';
import type { Scheduler } from '../sched/scheduler.js';
import type { VmConfigInput } from '../vmm/config.js';
import type { EmtHooks } from '../vmm/emt.js';
import type { VmComponents } from '../vmm/lifecycle.js';
import type { AtErrorCallback } from '../vmm/vm-core.js';
import type { GuestRamOptions } from '../ssm/live/guest-ram.js';
import type { EngineFaults, EngineMachines } from '../vmm/faults.js';
import type { VmmGvmmOptions } from '../vmm/halt/engine.js';
import type { UserFunctionMap } from './functions.js';
import type { PersistedVmm } from './snapshot.js';
import type { VM } from './vm.js';

/** vmm.vms$: a VM whose VMR3Create succeeded, and the same VM once destroyed (TERMINATED). */
export interface VmLifeEvent {
  readonly kind: 'created' | 'destroyed';
  readonly vm: VM;
  readonly handle: number;
  readonly tNs: number;
}

/** A promise-API call pending at snapshot time, finished by the restored engine (vmm.restoredCalls). */
export interface RestoredCall {
  /** The call's id in the engine (what the snapshot recorded for it). */
  readonly callId: number;
  /** The VM's handle. */
  readonly vm: number;
  /** The status its promise would have resolved with, or the error it would have rejected with. */
  readonly result: number | Error;
  readonly tNs: number;
}

export interface VmmOptions {
  /** 'virtual' (default): deterministic scheduler and virtual GIP time; 'real': host time for embedders. */
  clock?: 'virtual' | 'real';
  /** Deterministic mode: how ready actors are picked (default: seeded with `seed`, or lowest id first). */
  policy?: ChoicePolicy;
  seed?: number;
  /** 'intended' (default) or 'as-written' (reproduce the quirks of vbox-facts.md §12; each one: docs/fidelity.md). */
  fidelity?: 'intended' | 'as-written';
  /** Guest execution and other hooks. */
  hooks?: EmtHooks;
  /** Component notifications (PDM, SSM …); defaults do nothing. */
  components?: Partial<VmComponents>;
  /** A prebuilt scheduler (the checker passes its own). */
  scheduler?: Scheduler;
  /** @internal Test-only broken variants for the checker's mutation tests (src/vmm/faults.ts). */
  faults?: EngineFaults;
  /** @internal Test-only machine variants (`machine.provide()`), defaulting to machines/. */
  machines?: Partial<EngineMachines>;
  /**
   * Inspectors: a function or observer as XState's `inspect` takes, an @statelyai/inspect inspector, a record
   * sink (trace recorder, websocket stream) or a list. Without one, inspection costs nothing.
   */
  inspect?: InspectorInput;
  /** GVMM: the early wake-up index ('heap' | 'scan'), `/GVMM/*` config, semaphore resolution, handle count. */
  gvmm?: VmmGvmmOptions;
  /**
   * The embedder's functions by name, `{ name: fn }`: what a snapshot writes for a pending reqCallWait `fn`, a
   * rendezvous callback, an at-state / at-error callback or an SSM unit's callbacks (docs/snapshot.md). A
   * restore needs every name its snapshot uses.
   */
  functions?: UserFunctionMap;
  /**
   * Restore this engine (vmm.getPersistedSnapshot(), JSON round trip allowed) instead of making a new one.
   * Clock, fidelity and GVMM options come from the snapshot; `scheduler`, `clock`, `policy`, `seed`,
   * `fidelity` and `gvmm` must then be left out.
   */
  snapshot?: PersistedVmm;
}

export interface CreateOptions {
  cpus: number;
  config?: VmConfigInput;
  /** pfnVMAtError, registered before anything else. */
  atError?: AtErrorCallback;
  /** Simulated guest RAM (the `pgm` saved-state unit): size, dirty rate, prefill. Default 4 MiB, not dirtied. */
  ram?: GuestRamOptions;
}

/** The options that are data (saved in a snapshot, so a restore rebuilds the same engine). */
export interface VmmConfig {
  readonly clock: 'virtual' | 'real';
  readonly fidelity: 'intended' | 'as-written';
  readonly gvmm?: VmmGvmmOptions;
}

/** The options that are the embedder's code and host attachments: re-supplied to a restore, never saved. */
export type VmmImplementations = Pick<VmmOptions, 'hooks' | 'components' | 'inspect' | 'functions'>;
