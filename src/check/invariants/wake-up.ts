/**
 * Wake-up (scenarios with `halt: 'on'`): VMR3NotifyCpuFF wakes a sleeping EMT for work it can act on. With the
 * halt methods every wait has a timeout — VMR3WaitU re-checks each second, a halt loop blocks for 15 ms or halts
 * in GVMM for up to a second — so a lost wake-up is no deadlock: the EMT finds the work when the timeout fires,
 * a second of latency per request. This property reports it where it happens: virtual time is about to pass
 * (no actor can step) while an EMT sleeps in VMR3WaitU or VMR3WaitHalted with work pending that it was never
 * made runnable for since the work appeared. An EMT that was woken and went back to sleep anyway is the
 * liveness check's case (a halt loop that keeps missing the work cycles on its timeouts). With `halt: 'off'` a
 * lost wake-up is a deadlock and this monitor stays silent (and out of the state key).
 */
import { HaltFrame, interrupted } from '../../vmm/emt-frames.js';
import type { Emt } from '../../vmm/emt.js';
import { VM_FF_EMT_RENDEZVOUS } from '../../vmm/ff.js';
import { haltOf } from '../../vmm/halt/state.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { KeyWriter } from '../key-writer.js';

/** Where the EMT sleeps and whether it has work its wait should end for; null when it is not asleep. */
function sleeping(emt: Emt): { where: string; owed: boolean } | null {
  const top = emt.top();
  if (!top) return emt.idle ? { where: 'VMR3WaitU', owed: emt.loopWouldAct() } : null;
  if (top instanceof HaltFrame) return { where: 'VMR3WaitHalted', owed: emt.hasLoopWork() || interrupted(emt, top.ignoreInterrupts) };
  return null;
}

function describeWork(emt: Emt): string {
  const vm = emt.vm;
  if (vm.fTerminateEMT) return 'termination';
  if ((vm.ff & VM_FF_EMT_RENDEZVOUS) !== 0) return 'a rendezvous';
  if (!vm.cpuQueues[emt.cpu]!.isEmpty) return 'a request on its queue';
  if (!vm.globalQueue.isEmpty) return 'a request on the global queue';
  return 'force flags';
}

export const wakeUp: PropertyDef = {
  name: 'wake-up',
  description: 'with halt methods on, VMR3NotifyCpuFF wakes a sleeping EMT: time never passes while an EMT sleeps with work it was not woken for',
  create: () => new WakeUpMonitor(),
};

class WakeUpMonitor implements Monitor {
  private enabled = false;
  /** The EMTs woken (runnable and able to progress) since their pending work appeared (a set: any vCPU count). */
  private readonly noticed = new Set<number>();
  readonly name = 'wake-up';
  start(ctx: MonitorContext): void {
    this.enabled = ctx.view.world.scenario.halt === 'on';
  }
  afterStep(ctx: MonitorContext): void {
    if (!this.enabled) return;
    const world = ctx.view.world;
    const quiet = world.ready().length === 0 && world.sched.pendingTimers > 0;
    for (const emt of world.core.emts) {
      const sleep = sleeping(emt);
      if (!sleep?.owed) this.noticed.delete(emt.cpu);
      else if (world.sched.isReady(emt) && emt.canProgress()) this.noticed.add(emt.cpu); // woken, not a stale wake-up
      else if (quiet && !this.noticed.has(emt.cpu)) {
        ctx.fail('wake-up', `wake-up: ${emt.id.slice(emt.id.indexOf('/') + 1)} sleeps in ${sleep.where} (${haltOf(emt.vm).method}) with ${describeWork(emt)} pending and was never woken for it: only a timeout would end the wait (VM ${world.core.vmState}, vCPU ${world.core.cpuState(emt.cpu)})`);
        return;
      }
    }
  }
  encode(key: KeyWriter, cpu: (c: number) => number): void {
    if (!this.enabled) return;
    let mask = 0;
    for (const c of this.noticed) mask |= 1 << cpu(c);
    key.w(mask);
  }
}

persistable('WakeUpMonitor', WakeUpMonitor);
