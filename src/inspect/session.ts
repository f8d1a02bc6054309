/**
 * An inspection session: the link between one engine (its scheduler and its VMs) and the inspectors given to
 * `createVMM({ inspect })`. It exists only when someone inspects — without an inspector the engine has no
 * listener, no choice observer and converts nothing (DESIGN: even a no-op XState inspector halves an actor's
 * send rate). Facts become records once per protocol in use (RecordPublisher).
 */
import type { SchedChoice, Scheduler } from '../sched/scheduler.js';
import type { VmCore, VmTraceEvent } from '../vmm/vm-core.js';
import { EngineFactSource } from './engine-source.js';
import { RecordPublisher, type InspectorInput } from './inspector.js';

export class InspectionSession {
  readonly source: EngineFactSource;
  readonly #cores = new Map<string, VmCore>();
  readonly #detach: (() => void)[] = [];

  constructor(
    readonly sched: Scheduler,
    input: InspectorInput,
  ) {
    const publisher = new RecordPublisher(input);
    this.source = new EngineFactSource(
      (fact) => publisher.publish(fact),
      (actorId, machine) => this.#context(actorId, machine),
    );
    // Chain, do not replace: the checker or a recorder may observe choices too.
    const previous = sched.onChoice;
    const onChoice = (choice: SchedChoice) => {
      previous?.(choice);
      this.source.choice(choice);
      publisher.choice(choice);
    };
    sched.onChoice = onChoice;
    this.#detach.push(() => {
      if (sched.onChoice === onChoice) sched.onChoice = previous;
    });
  }

  /** Start inspecting a VM: announce the VM, its vCPUs and EMTs, then follow its events. */
  addVm(core: VmCore): void {
    const tNs = core.nowNs();
    this.#cores.set(core.id, core);
    this.source.forget(core.id);
    this.source.announce(core.id, 'vm', core.vmState, tNs);
    for (let cpu = 0; cpu < core.cCpus; cpu++) this.source.announce(`${core.id}/cpu.${cpu}`, 'vmcpu', core.cpuState(cpu), tNs, core.id);
    for (const emt of core.emts) this.source.announce(emt.id, 'emt', emt.state, tNs, core.id);
    const listener = (event: VmTraceEvent) => this.source.event(core.id, event);
    core.listeners.add(listener);
    this.#detach.push(() => core.listeners.delete(listener));
  }

  /** Stop: remove every listener and the choice observer. */
  detach(): void {
    for (const undo of this.#detach.splice(0)) undo();
    this.#cores.clear();
  }

  #context(actorId: string, machine: string): unknown {
    if (machine !== 'vm' && machine !== 'rendezvous') return undefined;
    const slash = actorId.indexOf('/');
    const core = this.#cores.get(slash < 0 ? actorId : actorId.slice(0, slash));
    if (!core) return undefined;
    if (machine === 'vm') return core.state.context;
    if (core.rendezvousLock?.id === actorId) return core.rendezvousLock.ctx;
    for (const instance of core.rendezvousStack) if (instance.id === actorId) return instance.ctx;
    return undefined;
  }
}

/** Attach inspectors to an engine's scheduler (VMs are added as they are created). */
export function attachInspection(sched: Scheduler, input: InspectorInput): InspectionSession {
  return new InspectionSession(sched, input);
}
