/**
 * Machine cells that know their owner (a rendezvous member's frame, a request call), so one module-level
 * listener serves every cell of a kind instead of a closure per cell. Such a cell is saved as a MachineCell
 * plus its owner field; a restore sets the shared listener again.
 */
import type { MachineCell, TransitionListener } from '../sched/machine-cell.js';
import { persistable, registeredClassByName } from '../persist/registry.js';

/** Register a MachineCell subclass whose field `owner` names its owner and whose listener is `listener`. */
export function persistableCell<C extends abstract new (...args: any[]) => MachineCell>(name: string, ctor: C, owner: string, listener: TransitionListener): C {
  const cell = registeredClassByName('MachineCell')!.spec;
  return persistable(name, ctor, {
    transient: ['listener'],
    save: (c) => ({ cell: cell.save!(c), owner: (c as unknown as Record<string, unknown>)[owner] }),
    restore: (c, data: { cell: unknown; owner: unknown }) => {
      cell.restore!(c, data.cell);
      Object.assign(c, { [owner]: data.owner, listener });
    },
  });
}
