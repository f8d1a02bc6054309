/**
 * The fields the snapshot state key writes, by name (for the declarations of key-fields.ts): a walk over a world
 * with the key walk's rules (src/check/key-walk.ts) — `transient` and `history` fields left out, a class with
 * `keySave` or `save` written as that record, `keyFields` written as what they map to, named constants and frozen
 * records as themselves (not descended) — that names every field it meets instead of encoding it.
 *
 * A field is named by its class and its path from there: `Emt.cpu`, `Gvmm.config.nsEarlyWakeUp2` (a plain record
 * under a field), `VmReq.args[]` (the items of a collection; a Map's keys `<key>` and values `<value>`:
 * `Labels.reqs<value>.labelId`), `VmReq.fnId()` (a bound function's arguments). A machine cell is named by its class
 * and machine (`OwnedCell:rendezvous.context.cEntered`): a context's fields are its machine's own. Objects of
 * registered classes are named under their own class, wherever they are met.
 */
import { codeStamp, constantName, registeredClass, unfrozenConstantPrototypes, type RegisteredClass } from '../persist/registry.js';
import { MachineCell } from '../sched/machine-cell.js';

/** Where one value of a field sits: its value and, where it can be changed in place, how (the key test's perturbation). */
export interface FieldSite {
  readonly value: unknown;
  readonly set: ((v: unknown) => void) | undefined;
}

/** The class a registered object is named by: its registered name, and the machine for a cell. */
function classLabel(obj: object, entry: RegisteredClass): string {
  if (!(obj instanceof MachineCell)) return entry.name;
  return `${entry.name}:${(obj.machine as { id?: string }).id ?? '?'}`;
}

/** A frozen record (the key writes its digest) or a named constant: written as itself, its fields not the key's to name. */
const isConstant = (v: object): boolean =>
  Object.isFrozen(v) || (unfrozenConstantPrototypes.has(Object.getPrototypeOf(v) as object | null) && constantName(v) !== undefined);

/**
 * Every field the snapshot key writes in the graph under `root` (a world), with its sites. `now`: the virtual time
 * keyFields get. Plain records are named under the first field (in walk order) they are met through.
 */
export function keyFieldSites(root: object, now: number): Map<string, FieldSite[]> {
  const out = new Map<string, FieldSite[]>();
  const seen = new Set<object>();
  const classes: object[] = [];
  const note = (path: string, site: FieldSite): void => {
    const sites = out.get(path);
    if (sites) sites.push(site);
    else out.set(path, [site]);
  };
  /**
   * The value `v` of the field named `path`; `set` changes it in place (undefined: it cannot be). `inPlace`: the
   * collections and records under it may be changed in place (not what a keyFields mapping or a cell's immutable
   * snapshot gave).
   */
  const field = (path: string, v: unknown, set: FieldSite['set'], inPlace = true): void => {
    note(path, { value: v, set });
    if (typeof v === 'function') {
      const args = codeStamp(v)?.args as unknown[] | undefined;
      if (args) items(`${path}()`, args, inPlace ? args : undefined);
      return;
    }
    if (typeof v !== 'object' || v === null || isConstant(v) || seen.has(v)) return;
    const entry = registeredClass(v);
    if (entry) {
      seen.add(v);
      classes.push(v);
      return;
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto !== Object.prototype && proto !== null && proto !== Array.prototype && proto !== Map.prototype && proto !== Set.prototype) return; // bytes
    seen.add(v);
    if (Array.isArray(v)) return items(`${path}[]`, v, inPlace ? v : undefined);
    if (v instanceof Set) return items(`${path}[]`, [...v], undefined);
    if (v instanceof Map) {
      for (const [k, item] of v) {
        field(`${path}<key>`, k, undefined, inPlace);
        field(`${path}<value>`, item, inPlace ? (x) => v.set(k, x) : undefined, inPlace);
      }
      return;
    }
    record(path, v as Record<string, unknown>, undefined, undefined, inPlace);
  };
  const items = (path: string, list: readonly unknown[], holder: unknown[] | undefined): void => {
    list.forEach((item, i) => field(path, item, holder && ((x) => (holder[i] = x)), holder !== undefined));
  };
  /** A record's fields under `path`; `skip`: fields the key leaves out. */
  const record = (path: string, obj: Record<string, unknown>, skip: ReadonlySet<string> | undefined, spec?: RegisteredClass['spec'], inPlace = true): void => {
    for (const key of Object.keys(obj)) {
      if (skip?.has(key)) continue;
      const as = spec?.keyFields?.[key];
      const raw = obj[key];
      // A keyFields value is what the key writes (a table id as what it names, the monitors as their words).
      const v = as ? as(obj, raw, now, (c: number) => c) : raw;
      const mine = inPlace && v === raw;
      field(`${path}.${key}`, v, mine ? (x) => (obj[key] = x) : undefined, mine);
    }
  };
  const classObject = (obj: object): void => {
    const entry = registeredClass(obj)!;
    const { spec } = entry;
    const label = classLabel(obj, entry);
    const keyed = spec.keySave ? spec.keySave(obj) : undefined;
    if (keyed !== undefined || spec.save) {
      const data = keyed !== undefined ? keyed : spec.save!(obj);
      if (typeof data !== 'object' || data === null) return;
      const set = spec.save && spec.restore ? savedSetter(obj, spec) : undefined;
      if (Array.isArray(data)) return data.forEach((item, i) => savedField(`${label}[]`, [i], item, set));
      for (const [key, v] of Object.entries(data as Record<string, unknown>)) savedField(`${label}.${key}`, [key], v, set);
      return;
    }
    const skip = new Set([...(spec.transient ?? []), ...(spec.history ?? [])]);
    record(label, obj as Record<string, unknown>, skip, spec);
  };
  /** A field of a saved record: plain records under it are followed by their path into the record (restore sets them). */
  const savedField = (path: string, at: readonly (string | number)[], v: unknown, set: ((at: readonly (string | number)[], v: unknown) => void) | undefined): void => {
    const proto = typeof v === 'object' && v !== null && !isConstant(v) ? (Object.getPrototypeOf(v) as object | null) : undefined;
    if (proto === Object.prototype || proto === Array.prototype) {
      note(path, { value: v, set: undefined });
      if (Array.isArray(v)) v.forEach((item, i) => savedField(`${path}[]`, [...at, i], item, set));
      else for (const [key, item] of Object.entries(v as Record<string, unknown>)) savedField(`${path}.${key}`, [...at, key], item, set);
    } else field(path, v, set && ((x) => set(at, x)), false);
  };
  field('', root, undefined);
  out.delete('');
  for (let i = 0; i < classes.length; i++) classObject(classes[i]!);
  return out;
}

/** Change a saved class's state at `at` (a path into its saved record): save, copy along the path, restore. */
function savedSetter(obj: object, spec: RegisteredClass['spec']): (at: readonly (string | number)[], v: unknown) => void {
  return (at, v) => {
    // A cell's snapshot is set as it is (restore would resolve its value in the machine, refusing a made-up state).
    const cell = obj instanceof MachineCell && (at[0] === 'value' || at[0] === 'context') ? obj : undefined;
    const top = setAt((cell ? cell.snapshot : spec.save!(obj)) as Data, at, v);
    if (cell) cell.snapshot = top as unknown as MachineCell['snapshot'];
    else spec.restore!(obj, top);
  };
}

type Data = Record<string | number, unknown>;

/** A shallow copy of `data` with the value at path `at` replaced (copies along the path, shares the rest). */
function setAt(data: Data, at: readonly (string | number)[], v: unknown): Data {
  const copy = (d: Data): Data => (Array.isArray(d) ? ([...(d as unknown[])] as unknown as Data) : { ...d });
  const top = copy(data);
  let holder = top;
  for (let i = 0; i < at.length - 1; i++) holder = holder[at[i]!] = copy(holder[at[i]!] as Data);
  holder[at[at.length - 1]!] = v;
  return top;
}
