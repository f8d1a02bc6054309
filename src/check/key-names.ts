/**
 * The snapshot key walk naming the fields it writes (for the declarations of key-fields.ts): the key walk itself
 * (KeyWalk, key-walk.ts) told each object as it starts writing it, each field's name as it writes it (the generic
 * path's, and the compiled class writers' naming variant: key-class-writers.ts) and each value, which it files
 * under that name. What is written — `transient` and `history` fields left out, a class's keySave or save record,
 * `keyFields` as what they map to, named constants and frozen data as themselves (not descended), `unordered`
 * collections — is the walk's own rules, not repeated here: a rule changed there changes the names here.
 *
 * A field is named by its class and its path from there: `Emt.cpu`, `Gvmm.config.nsEarlyWakeUp2` (a plain record
 * under a field), `VmReq.args[]` (the items of a collection; a Map's keys `<key>` and values `<value>`:
 * `Labels.reqs<value>.labelId`), `VmReq.fnId()` (a bound function's arguments). A machine cell is named by its class
 * and machine (`HeldCell:rendezvous.context.cEntered`): its keySave record's fields (the compiled cell writer writes
 * that record as a digest). Objects of registered classes are named under their own class, wherever they are met;
 * other objects under the first field the walk (breadth-first) meets them through.
 */
import { isFrozenImmutable } from '../persist/graph-shared.js';
import { codeStamp, constantName, registeredClass, type RegisteredClass } from '../persist/registry.js';
import { MachineCell } from '../sched/machine-cell.js';
import type { ClassWriter, Compiled } from './key-class-writers.js';
import { KeyWalk } from './key-walk.js';
import { KeyWriter } from './key-writer.js';

/** Where one value of a field sits: its value and, where it can be changed in place, how (the key test's perturbation). */
export interface FieldSite {
  readonly value: unknown;
  readonly set: ((v: unknown) => void) | undefined;
  /** A `times` field's: written relative to now. */
  readonly time?: true;
}

/** Every field the snapshot key writes in the graph under `root` (a world), with its sites; `now`: the virtual time. */
export function keyFieldSites(root: object, now: number): Map<string, FieldSite[]> {
  const walk = new NamingWalk(true);
  walk.encode(root, new KeyWriter(), now);
  return walk.out;
}

/**
 * The values of the fields `paths` as the key writes them, one text per field, equal in two worlds whose snapshot
 * keys are equal: primitives as themselves (times relative to now), an object the walk numbers by its number (its
 * place in the walk), a named constant or code by name, frozen data by its digest; then the items of the
 * collections it holds (`field[]`, `field<value>` …: a declaration covers them). A field no object holds: absent.
 */
export function keyFieldValues(root: object, now: number, paths: ReadonlySet<string>): Map<string, string> {
  const walk = new NamingWalk(false);
  walk.encode(root, new KeyWriter(), now);
  const text = (site: FieldSite): string => {
    const v = site.value;
    if (typeof v === 'number') return String(site.time ? v - now : v);
    if (typeof v === 'string') return JSON.stringify(v);
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null) return String(v);
    const number = walk.numbers.get(v);
    if (number !== undefined) return `#${number}`;
    const name = typeof v === 'function' ? codeStamp(v)?.name : constantName(v);
    if (name !== undefined) return `'${name}'`;
    const digest = Object.isFrozen(v) ? walk.frozen(v) : null;
    return digest ? `frozen ${digest[0]}:${digest[1]}` : '?';
  };
  const out = new Map<string, string>();
  for (const [path, sites] of walk.out) {
    const field = path.replace(ITEMS, '');
    if (!paths.has(field)) continue;
    const values = sites.map(text).join(', ');
    const before = out.get(field);
    out.set(field, before === undefined ? `${path.slice(field.length)}${values}` : `${before}; ${path.slice(field.length)}${values}`);
  }
  return out;
}

/** The item steps that end a collection's items' name (they are their field's, as key-fields.ts declares it). */
const ITEMS = /(\[\]|<key>|<value>|\(\))+$/;

type SavedSet = (at: readonly (string | number)[], v: unknown) => void;

/** Where an object the walk writes was first met: its name, and whether its values can be changed. */
interface Place {
  readonly path: string;
  /** Its fields and items are the world's own (not what a keyFields mapping made), not shared with a world's copies (frozen). */
  readonly inPlace: boolean;
  /** Met through a frozen immutable object: shared by a world and its copies, never changed. */
  readonly shared: boolean;
  /** Inside a class's saved record: the path into it (changed by save, copy, restore; undefined `set`: cannot be). */
  readonly saved?: { readonly set: SavedSet | undefined; readonly at: readonly (string | number)[] };
}

/** How the current object's values are named: its fields, its items, a Map's keys and values, a function's arguments. */
type Kind = 'fields' | 'items' | 'set' | 'map' | 'args' | 'none';

const ROOT: Place = { path: '', inPlace: true, shared: false };

/** `base.name`, one string per pair (interned: the sites' table looks each up, and worlds repeat them). */
const fieldPaths = new Map<string, Map<string, string>>();
function fieldPath(base: string, name: string): string {
  let names = fieldPaths.get(base);
  if (names === undefined) {
    if (fieldPaths.size > 10_000) fieldPaths.clear();
    fieldPaths.set(base, (names = new Map()));
  }
  let path = names.get(name);
  if (path === undefined) names.set(name, (path = `${base}.${name}`));
  return path;
}

class NamingWalk extends KeyWalk {
  readonly out = new Map<string, FieldSite[]>();
  private readonly places = new Map<object, Place>();
  /** Registered classes' places, by label (not shared). */
  private readonly classPlaces = new Map<string, Place>();
  private place = ROOT;
  /** The object being written (its fields' holder, or the collection its items are in); undefined before the root. */
  private holder: Record<string | number, unknown> | undefined = undefined;
  private kind: Kind = 'none';
  /** Its items' name (a Map's keys'), and a Map's values'. */
  private itemPath = '';
  private valuePath = '';
  private item = 0;
  private mapKey: unknown = undefined;
  /** The field whose value comes next (its name told by the walk), or null: an item. */
  private field: string | null = null;
  /** How deep in the walk's value methods: a value is named where it enters them (depth 0). */
  depth = 0;
  /** Each object written, by its place in the walk. */
  readonly numbers = new Map<object, number>();

  /** `settable`: give each site that can be changed its setter. */
  constructor(private readonly settable: boolean) {
    super();
  }

  protected override visit(obj: object): void {
    super.visit(obj);
    this.numbers.set(obj, this.numbers.size);
    this.field = null;
    this.item = 0;
    const met = this.places.get(obj) ?? ROOT;
    const entry = registeredClass(obj);
    // Shared when frozen and immutable: a frozen list may hold a record of the world's own (an EMT's thawed CpuHalt),
    // whose values change in place though the list's cannot.
    const frozen = Object.isFrozen(obj);
    const shared = met.shared || (frozen && isFrozenImmutable(obj));
    this.holder = obj as Record<string, unknown>;
    if (entry) {
      const label = classLabel(obj, entry);
      let place = frozen ? undefined : this.classPlaces.get(label);
      if (place === undefined) {
        place = { path: label, inPlace: !frozen, shared };
        if (!frozen) this.classPlaces.set(label, place);
      }
      this.place = place;
      this.kind = 'fields';
      return;
    }
    const inPlace = met.inPlace && !frozen;
    this.place = inPlace === met.inPlace && shared === met.shared ? met : { ...met, inPlace, shared };
    const proto = Object.getPrototypeOf(obj) as object | null;
    if (typeof obj === 'function') {
      this.holder = codeStamp(obj)?.args as unknown[] as Record<number, unknown> | undefined;
      this.kind = 'args';
    } else if (proto === Object.prototype || proto === null) this.kind = 'fields';
    else this.kind = proto === Array.prototype ? 'items' : proto === Map.prototype ? 'map' : proto === Set.prototype ? 'set' : 'none';
    const base = this.place.path;
    if (this.kind === 'map') {
      this.itemPath = `${base}<key>`;
      this.valuePath = `${base}<value>`;
    } else if (this.kind !== 'fields') this.itemPath = `${base}${this.kind === 'args' ? '()' : '[]'}`;
  }

  /** A compiled writer's field name (its naming variant calls this before each field). */
  at(name: string): void {
    this.field = name;
  }

  protected override fieldName(name: string): void {
    this.field = name;
    super.fieldName(name);
  }

  protected override classWriter(compiled: Compiled): ClassWriter | null {
    return compiled.named();
  }

  /** A class's saved record is named as the class (its fields `Class.field`), changed through save and restore. */
  protected override savedValue(owner: object, data: unknown): void {
    if (typeof data === 'object' && data !== null && !this.places.has(data)) {
      const spec = registeredClass(owner)!.spec;
      // (A frozen one is replaced, never changed in place: VmCore.cpuStates' cells.)
      const set = spec.save && spec.restore && !Object.isFrozen(owner) ? savedSetter(owner, spec) : undefined;
      this.places.set(data, { path: this.place.path, inPlace: false, shared: this.place.shared, saved: { set, at: [] } });
    }
    this.depth++;
    super.savedValue(owner, data);
    this.depth--;
  }

  /** Value `v` as the walk writes it: filed under its field's or collection's name; an object it enters is named by it. */
  note(v: unknown, time: boolean): void {
    const holder = this.holder;
    if (holder === undefined) return; // (the root)
    const { place, kind } = this;
    let path: string;
    let step: string | number | undefined;
    let own: boolean; // v is what the holder holds there (not a mapping's result, not a Set's item)
    if (this.field !== null) {
      step = this.field;
      this.field = null;
      path = fieldPath(place.path, step);
      own = holder[step] === v;
    } else if (kind === 'map') {
      const isKey = this.item++ % 2 === 0;
      path = isKey ? this.itemPath : this.valuePath;
      if (isKey) this.mapKey = v;
      own = !isKey;
    } else {
      step = this.item;
      if (kind === 'items') while (step < (holder as unknown as unknown[]).length && !(step in holder)) step++; // (a hole is no value)
      this.item = step + 1;
      path = this.itemPath;
      own = kind !== 'set' && holder[step] === v;
    }
    const { saved } = place;
    const set = this.settable && own ? this.setter(holder, step, saved) : undefined;
    const site: FieldSite = time ? { value: v, set, time } : { value: v, set };
    const sites = this.out.get(path);
    if (sites) sites.push(site);
    else this.out.set(path, [site]);
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || this.places.has(v)) return;
    const proto = Object.getPrototypeOf(v) as object | null;
    const plain = typeof v === 'object' && (proto === Object.prototype || proto === Array.prototype);
    const under = saved && own && plain && step !== undefined ? { set: saved.set, at: [...saved.at, step] } : undefined;
    this.places.set(v, { path, inPlace: place.inPlace && !saved && own, shared: place.shared, saved: under });
  }

  /** How the holder's own value at `step` (undefined: a Map's value, at the last key) is changed, if it can be. */
  private setter(holder: Record<string | number, unknown>, step: string | number | undefined, saved: Place['saved']): FieldSite['set'] {
    if (saved) return saved.set && step !== undefined ? (x) => saved.set!([...saved.at, step], x) : undefined;
    if (!this.place.inPlace) return undefined;
    if (step !== undefined) return (x) => (holder[step] = x);
    const key = this.mapKey;
    return (x) => (holder as unknown as Map<unknown, unknown>).set(key, x);
  }
}

// The walk's value methods, each naming the value it is given where it enters them (not again where they call each other).
type ValueMethod = (this: NamingWalk, v: never) => void;
for (const name of ['value', 'objectValue', 'ownedValue', 'ownedItemsValue', 'time', 'unorderedField'] as const) {
  const base = KeyWalk.prototype[name] as ValueMethod;
  const time = name === 'time';
  (NamingWalk.prototype as unknown as Record<string, ValueMethod>)[name] = function (v) {
    if (this.depth++ === 0) this.note(v, time);
    base.call(this, v);
    this.depth--;
  };
}

/** The class a registered object is named by: its registered name, and the machine for a cell. */
function classLabel(obj: object, entry: RegisteredClass): string {
  if (!(obj instanceof MachineCell)) return entry.name;
  return `${entry.name}:${(obj.machine as { id?: string }).id ?? '?'}`;
}

/** Change a saved class's state at `at` (a path into its saved record): save, copy along the path, restore. */
function savedSetter(obj: object, spec: RegisteredClass['spec']): SavedSet {
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
