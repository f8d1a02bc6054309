/**
 * A GVMM on a hand-stepped deterministic scheduler, with fake VMs whose states the test sets, for the GVMM
 * tests, the scan/heap property test and the benches. EMTs are named `vm.H/emt.i` as the engine names them.
 */
import { Gvmm, type GvmmOptions } from '../../src/gvmm/gvmm.js';
import type { GvmBinding } from '../../src/gvmm/gvm.js';
import { DeterministicScheduler } from '../../src/sched/deterministic.js';

export interface FakeVm {
  handle: number;
  cpus: number;
  vmState: string;
  cpuStates: string[];
  /** vCPUs poked (RTMpPokeCpu), in order. */
  pokes: number[];
  emt(cpu: number): string;
}

export interface GvmmRig {
  gvmm: Gvmm;
  sched: DeterministicScheduler;
  vms: FakeVm[];
  /** Create a VM through GVMMR0CreateVM and register vCPUs 1..n-1 from their EMTs. */
  addVm(cpus: number, options?: { register?: boolean; session?: string }): FakeVm;
  /** Move virtual time to `ns`, firing every timer due on the way. */
  advanceTo(ns: number): void;
}

export const emtName = (handle: number, cpu: number) => `vm.${handle}/emt.${cpu}`;

export function gvmmRig(options: Partial<Omit<GvmmOptions, 'sched'>> = {}): GvmmRig {
  const sched = new DeterministicScheduler({ autoRun: false, record: false });
  const gvmm = new Gvmm({ sched, ...options });
  const vms: FakeVm[] = [];
  let sessions = 0;
  return {
    gvmm,
    sched,
    vms,
    addVm(cpus, opts = {}) {
      const vm: FakeVm = {
        handle: 0, cpus, vmState: 'CREATING', cpuStates: new Array<string>(cpus).fill('STARTED'), pokes: [],
        emt: (cpu) => emtName(vm.handle, cpu),
      };
      const binding: GvmBinding = {
        vmState: () => vm.vmState,
        cpuState: (cpu) => vm.cpuStates[cpu]!,
        poke: (cpu) => vm.pokes.push(cpu),
      };
      // EMT0's name needs the handle, which is known once reserved.
      const handle = gvmm.reserveHandle();
      if (handle < 0) throw new Error(`reserveHandle: ${handle}`);
      vm.handle = handle;
      const rc = gvmm.createVM({ cCpus: cpus, session: opts.session ?? `session.${++sessions}`, emt0: vm.emt(0), binding, handle });
      if (rc !== handle) throw new Error(`createVM: ${rc}`);
      if (opts.register !== false) {
        for (let cpu = 1; cpu < cpus; cpu++) {
          const rcReg = gvmm.registerVCpu(handle, cpu, vm.emt(cpu));
          if (rcReg !== 0) throw new Error(`registerVCpu: ${rcReg}`);
        }
      }
      vms.push(vm);
      return vm;
    },
    advanceTo(ns) {
      while (sched.nextTimerNs !== undefined && sched.nextTimerNs <= ns) sched.fireNextTimer();
      if (sched.clock.nowNs() < ns) sched.clock.advanceTo(ns);
    },
  };
}
