/**
 * The read-only view of a world that monitors and user invariants get: VM and vCPU states, EMT states and
 * frames, queue depths, the rendezvous in progress and the clients' progress. Plain values only, so an
 * invariant cannot change the world it judges.
 */
import type { VmState } from '../../machines/vm.js';
import type { VmCpuState } from '../../machines/vmcpu.js';
import type { CallRef } from './labels.js';
import type { World } from './world.js';
import { describeCall } from './scenario.js';
import { persistable } from '../persist/registry.js';

export interface ClientView {
  readonly name: string;
  /** Calls finished so far. */
  readonly position: number;
  /** The call in flight, e.g. `suspend`, or null. */
  readonly pending: string | null;
  /** Statuses of the finished calls, in order. */
  readonly results: readonly number[];
}

export class WorldView {
  constructor(readonly world: World) {}

  get cpus(): number {
    return this.world.core.cCpus;
  }

  get vmState(): VmState {
    return this.world.core.vmState;
  }

  get prevState(): VmState | null {
    return (this.world.core.state.context as { prevState: VmState | null }).prevState;
  }

  cpuState(cpu: number): VmCpuState {
    return this.world.core.cpuState(cpu);
  }

  emtState(cpu: number): string {
    return this.world.core.emts[cpu]!.state;
  }

  /** The EMT's frames, outermost first (`rendezvous:caller:turn`, `call:A#0.1`, `guest:halted` …). */
  emtFrames(cpu: number): string[] {
    const labels = this.world.labels;
    return this.world.core.emts[cpu]!.frames.map((frame) => {
      const req = (frame as { req?: unknown }).req;
      return req && frame.describe.startsWith('call:') ? `call:${labels.reqName(req as never)}` : frame.describe;
    });
  }

  /** Rendezvous in progress, outermost first: name, type and phase. */
  get rendezvous(): { name: string; type: string; phase: string }[] {
    return this.world.core.rendezvousStack.map((r) => ({ name: this.world.labels.rendezvousName(r.id), type: r.ctx.type, phase: r.phase }));
  }

  queueLength(queue: 'global' | number): number {
    const core = this.world.core;
    return queue === 'global' ? core.globalQueue.size : core.cpuQueues[queue]!.size;
  }

  get clients(): ClientView[] {
    return this.world.clients.map((c) => ({
      name: c.spec.name,
      position: c.position,
      pending: c.pending ? describeCall(c.pending.spec) : null,
      results: [...c.results],
    }));
  }

  /** Calls in flight. */
  get pendingCalls(): CallRef[] {
    return this.world.clients.flatMap((c) => (c.pending ? [c.pending] : []));
  }

  get depth(): number {
    return this.world.depth;
  }

  get powerOffInsteadOfReset(): boolean {
    return this.world.core.config.PowerOffInsteadOfReset;
  }

  get fidelity(): 'intended' | 'as-written' {
    return this.world.core.host.fidelity;
  }

  /** SSMR3Cancel calls so far. */
  get cancels(): number {
    return this.world.cancels;
  }

  rendezvousName(id: string): string {
    return this.world.labels.rendezvousName(id);
  }

  /** A one-line summary of every EMT, for deadlock messages. */
  describeEmts(): string {
    return Array.from({ length: this.cpus }, (_, cpu) => {
      const frames = this.emtFrames(cpu);
      return `emt.${cpu} ${this.emtState(cpu)}${frames.length ? ` [${frames.join(' > ')}]` : ''}`;
    }).join('; ');
  }
}

persistable('WorldView', WorldView);
