/** Vmm.system, XState's `system.get(systemId)`, as a record (no closure per engine or world copy). */
import type { EngineActorRef, PartSnapshot } from './actor.js';
import type { VM } from './vm.js';
import type { Vmm } from './vmm.js';

/** Vmm.system: `get` a method that finds the engine through its record (a world copy's attachHost makes no closure). */
export class VmmSystem {
  constructor(private readonly vmm: Vmm) {}

  get(systemId: string): VM | EngineActorRef<PartSnapshot> | undefined {
    const vmId = typeof systemId === 'string' ? systemId.split('/')[0]! : '';
    const vm = /^vm\.\d+$/.test(vmId) ? this.vmm.vms.get(Number(vmId.slice(3))) : undefined;
    if (!vm || vm.systemId !== vmId) return undefined;
    return systemId === vmId ? vm : vm.actorRef(systemId);
  }
}
