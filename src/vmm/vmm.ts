/**
 * createVMM: one engine holding many VMs, as GVMM does on a host. It owns the scheduler and clock ports and
 * creates VMs the way VMR3Create does: check the input, start one EMT per vCPU, run the init on EMT(0)
 * through a VMCPUID_ANY request (registering vCPUs 1..n with requests to their EMTs), then CREATED.
 */
import { DeterministicScheduler, type ChoicePolicy } from '../sched/deterministic.js';
import { RealTimeScheduler } from '../sched/real-time.js';
import type { Scheduler } from '../sched/scheduler.js';
import { VBoxError, VERR_INVALID_PARAMETER, VINF_SUCCESS } from '../status.js';
import { readBaseConfig, type VmConfigInput } from './config.js';
import { Emt, type EmtHooks } from './emt.js';
import { reqCallOp, runOperation, statusToResult } from './external.js';
import { NO_COMPONENTS, type VmComponents } from './lifecycle.js';
import { ReqPool } from './requests.js';
import { emtCallWait, type EmtResult, type ReqFn } from './types.js';
import { VM } from './vm.js';
import { VmCore, type AtErrorCallback, type VmmHost } from './vm-core.js';

export interface VmmOptions {
  /** 'virtual' (default): deterministic scheduler and virtual GIP time; 'real': host time for embedders. */
  clock?: 'virtual' | 'real';
  /** Deterministic mode: how ready actors are picked (default: seeded with `seed`, or lowest id first). */
  policy?: ChoicePolicy;
  seed?: number;
  /** 'intended' (default) or 'as-written' (reproduce the quirks of vbox-facts.md §12). */
  fidelity?: 'intended' | 'as-written';
  /** Guest execution and other hooks. */
  hooks?: EmtHooks;
  /** Component notifications (PDM, SSM …); defaults do nothing. */
  components?: Partial<VmComponents>;
  /** A prebuilt scheduler (the checker passes its own). */
  scheduler?: Scheduler;
}

export interface CreateOptions {
  cpus: number;
  config?: VmConfigInput;
  /** pfnVMAtError, registered before anything else. */
  atError?: AtErrorCallback;
}

export class Vmm implements VmmHost {
  readonly sched: Scheduler;
  readonly fidelity: 'intended' | 'as-written';
  current: { vm: VmCore; cpu: number } | null = null;
  readonly vms = new Map<number, VM>();
  readonly #ids = { req: 0, caller: 0 };
  #nextHandle = 1;

  constructor(readonly options: VmmOptions = {}) {
    this.fidelity = options.fidelity ?? 'intended';
    if (options.scheduler) this.sched = options.scheduler;
    else if (options.clock === 'real') this.sched = new RealTimeScheduler();
    else {
      const policy = options.policy ?? (options.seed !== undefined ? { kind: 'seeded', seed: options.seed } : { kind: 'first' });
      this.sched = new DeterministicScheduler({ policy });
    }
  }

  get clock() {
    return this.sched.clock;
  }

  nextId(kind: 'req' | 'caller'): number {
    return ++this.#ids[kind];
  }

  /** VMR3Create. Rejects with VBoxError (VERR_TOO_MANY_CPUS, VERR_INVALID_PARAMETER …) and creates nothing. */
  async create(options: CreateOptions): Promise<VM> {
    if (typeof options !== 'object' || options === null) throw new VBoxError(VERR_INVALID_PARAMETER, 'create() needs { cpus }');
    const config = readBaseConfig(options.cpus, options.config ?? { NumCPUs: options.cpus });
    const core = new VmCore(this, this.#nextHandle++, options.cpus, config);
    if (options.atError) core.atError.push(options.atError);
    core.ext.components = { ...NO_COMPONENTS, ...this.options.components };
    const pool = new ReqPool(core);
    const hooks: EmtHooks = {
      ...this.options.hooks,
      onTerminated: (vm) => {
        this.options.hooks?.onTerminated?.(vm);
        (vm.ext.onTerminated as (() => void) | undefined)?.();
      },
    };
    for (let cpu = 0; cpu < core.cCpus; cpu++) core.emts.push(new Emt(core, cpu, pool, hooks));
    core.cActiveEmts = core.cCpus;
    const vm = new VM(core, pool);
    this.vms.set(core.handle, vm);
    const errorsBefore = core.cErrors;
    const rc = await runOperation(core, reqCallOp(pool, { target: 'any' }, vmR3CreateU, []));
    statusToResult(core, rc, errorsBefore);
    return vm;
  }

  /** Let `ns` of GIP time pass with the world running (virtual: as fast as it can be simulated). */
  advance(ns: number): Promise<void> {
    return this.sched.advance(ns);
  }

  runUntilIdle(): Promise<void> {
    return this.sched.runUntilIdle();
  }

  dispose(): void {
    this.sched.dispose();
  }
}

/** vmR3CreateU's init on EMT(0): GVMM, then each other vCPU registers on its own EMT, then CREATED. */
const vmR3CreateU: ReqFn = ({ vm }) => {
  vm.created = true; // GVMMR3CreateVM: from here on every EMT may serve VMCPUID_ANY
  const registerFrom = (cpu: number): EmtResult => {
    if (cpu >= vm.cCpus) {
      vm.setState('CREATED', 'CREATING');
      return VINF_SUCCESS;
    }
    return emtCallWait(cpu, vmR3RegisterVCpu, [], (rc) => (rc < 0 ? rc : registerFrom(cpu + 1)));
  };
  return registerFrom(1);
};

/** Ring-3 side of GVMMR3RegisterVCpu, on the vCPU's own EMT. */
const vmR3RegisterVCpu: ReqFn = () => VINF_SUCCESS;

export function createVMM(options: VmmOptions = {}): Vmm {
  return new Vmm(options);
}
