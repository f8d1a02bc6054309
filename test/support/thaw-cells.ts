/**
 * A world with writable twins of its frozen machine cells, in the same states, for tests that change values in
 * place: the engine replaces a frozen cell at each transition (VmCore.cpuStates, GVMM's handle cells), and a world
 * copy freezes the held ones it shares (HeldCell). A frozen list holding one is replaced by a list of the twins; a
 * frozen record holds no cell.
 */
import { MachineCell } from '../../src/sched/machine-cell.js';

export function thawCells<T extends object>(world: T): T {
  const done = new Map<object, unknown>();
  const thaw = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return v;
    if (done.has(v)) return done.get(v);
    done.set(v, v);
    let out: unknown = v;
    if (v instanceof MachineCell) {
      if (Object.isFrozen(v)) {
        const Cell = v.constructor as new (machine: MachineCell['machine'], systemId: string) => MachineCell;
        out = Object.assign(new Cell(v.machine, v.systemId), { snapshot: v.snapshot });
      }
    } else if (Array.isArray(v)) {
      const items = v.map(thaw);
      if (items.some((item, i) => item !== v[i])) out = Object.isFrozen(v) ? items : Object.assign(v, items);
    } else if (v instanceof Map) {
      for (const [key, item] of v) if (thaw(item) !== item) v.set(key, thaw(item));
    } else if (!Object.isFrozen(v) && !(v instanceof Set)) {
      const fields = v as Record<string, unknown>;
      for (const key of Object.keys(fields)) {
        const item = fields[key];
        const twin = thaw(item);
        if (twin !== item) fields[key] = twin;
      }
    }
    done.set(v, out);
    return out;
  };
  thaw(world);
  return world;
}

