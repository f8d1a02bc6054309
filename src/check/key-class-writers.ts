/**
 * The snapshot key walk's per-class writers (key-walk.ts), compiled once per class like graph-copier.ts's copiers:
 * the field names written out (monomorphic reads) behind one shape word naming the class and its field list; a
 * machine cell as its interned snapshot's digest.
 */
import { planOf, type ClassPlan } from '../persist/graph-plan.js';
import { codeStamp } from '../persist/registry.js';
import { CELL_FIELDS, MachineCell } from '../sched/machine-cell.js';
import type { KeyWalk } from './key-walk.js';
import { CLASS_CPU_FIELDS, CPU_NAMED, MACHINE_CPU_CONTEXT, renameData, undeclared, type CpuFields, type Renaming } from './key-cpus.js';
import { hashOf, Tag } from './key-words.js';
import { at } from './map-at.js';
import { stringHash } from './labels.js';

/** A registered class's fields written out: `(obj, walk)`; null where the generic path must go. */
export type ClassWriter = (obj: object, walk: KeyWalk) => void;
export interface Compiled {
  readonly keys: readonly string[];
  readonly write: ClassWriter;
  /** With a vCPU renaming: the fields key-cpus.ts declares go through it (refuses an undeclared class). */
  readonly renamed: ClassWriter;
  /**
   * The naming walk's (key-names.ts): `write` telling the walk each field's name before its value (made on first
   * use; null: the generic path, which names fields itself — a machine cell, named by its keySave record).
   */
  readonly named: () => ClassWriter | null;
}

/** Two 32-bit hashes of a machine snapshot's value and context, by snapshot (snapshots are immutable, interned). */
const snapshotDigests = new WeakMap<object, [number, number]>();
const second = (text: string): number => {
  let h = 0x2545f491;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995) ^ (h >>> 15);
  return h;
};

/**
 * A machine cell as MachineCell's keySave spells it (machine, state value and context, a subclass's own fields
 * but history, a code-table listener) without building that record: the snapshot as its JSON (the cell's memo
 * interns snapshots by the same JSON, so equal JSON is one state of the machine), hashed once per snapshot.
 */
function cellWriter(extra: readonly string[], shape: number, renamed: boolean): ClassWriter {
  return (obj, k) => {
    const cell = obj as MachineCell;
    k.w(Tag.Shape);
    k.w(shape);
    k.value(cell.machine);
    const snapshot = cell.snapshot;
    const digest = renamed ? renamedDigest(cell, k.renaming!) : digestOf(snapshot);
    k.w(digest[0]);
    k.w(digest[1]);
    for (const key of extra) k.value((cell as unknown as Record<string, unknown>)[key]);
    k.value(codeStamp(cell.listener) ? cell.listener : undefined);
  };
}

function digestOf(snapshot: MachineCell['snapshot']): [number, number] {
  return at(snapshotDigests, snapshot, () => digestOfJson(JSON.stringify([snapshot.value, snapshot.context ?? null])));
}

const digestOfJson = (json: string): [number, number] => [stringHash(json), second(json)];

/** Per snapshot, per renaming (its canonical order as text): the digest of the context with CPU ids renamed. */
const renamedDigests = new WeakMap<object, Map<string, [number, number]>>();
const newMap = (): Map<string, [number, number]> => new Map();

/** A cell's digest with the CPU ids in its context renamed (MACHINE_CPU_CONTEXT; a machine without an entry is refused). */
function renamedDigest(cell: MachineCell, renaming: Renaming): [number, number] {
  const id = (cell.machine as { id?: string }).id ?? '?';
  const fields = MACHINE_CPU_CONTEXT[id];
  if (!fields) throw undeclared(`machine '${id}'`);
  const snapshot = cell.snapshot;
  if (Object.keys(fields).length === 0) return digestOf(snapshot);
  return at(at(renamedDigests, snapshot, newMap), renaming.canonical.join(), () =>
    digestOfJson(JSON.stringify([snapshot.value, renameData({ fields }, snapshot.context ?? null, renaming)])),
  );
}

/** A class's declared CPU fields (key-cpus.ts), refusing a field whose name says CPU and is not declared. */
export function cpuFieldsOf(name: string, keys: readonly string[]): CpuFields {
  const fields = CLASS_CPU_FIELDS[name];
  if (!fields) throw undeclared(`class ${name}`);
  for (const key of keys) if (CPU_NAMED.test(key) && !fields[key]) throw undeclared(`field ${name}.${key}`);
  return fields;
}

/**
 * The compiled writer of a registered class whose fields `first` shows (null: generic path — a class with save
 * or keySave, inherited enumerable properties, an odd field name, or not registered).
 */
export function compile(proto: object, first: object): Compiled | null {
  const plan: ClassPlan | undefined = planOf(proto);
  if (!plan || !plan.forIn) return null;
  const { spec, name } = plan.entry;
  const keys: string[] = [];
  for (const key in first) keys.push(key);
  if (first instanceof MachineCell) {
    const extra = keys.filter((key) => !CELL_FIELDS.has(key) && !plan.unkeyed?.has(key));
    const shape = hashOf(`${name}(${extra.join(',')})`);
    return { keys, write: cellWriter(extra, shape, false), renamed: withFields(name, keys, () => cellWriter(extra, shape, true)), named: () => null };
  }
  if (spec.save || spec.keySave) return null;
  if (keys.includes('__proto__')) return null;
  const kept = keys.filter((key) => !plan.unkeyed?.has(key));
  // Fields whose object nothing else refers to (ClassSpec.owned, ownedItems: as the copier reads them): no table entry.
  const { owned, ownedItems } = spec;
  // The shape word: the class and the fields it writes, so the field names need no words of their own.
  const shape = hashOf(`${name}(${kept.join(',')})`);
  const writer = (cpus: CpuFields, naming = false): ClassWriter => {
    const lines = kept.map((key) => (naming ? `k.at(${JSON.stringify(key)}); ` : '') + line(key, `[${JSON.stringify(key)}]`));
    // The names are JSON string literals (no code can be injected); the body is straight-line field reads.
    const body = new Function('kf', 'cf', `return function (o, k) {\nlet v;\nk.w(${Tag.Shape}); k.w(${shape});\n${lines.join('\n')}\n};`);
    return body(spec.keyFields ?? {}, cpus) as ClassWriter;
    /** How field `key` (`at`: its accessor) is written. */
    function line(key: string, at: string): string {
      const raw = spec.keyFields?.[key] ? `kf${at}(o, o${at}, k.now, k.cpu)` : `o${at}`;
      if (cpus[key]) return `k.cpuField(cf${at}, ${raw});`;
      if (spec.times?.includes(key)) return `k.time(${raw});`;
      if (spec.unordered?.includes(key)) return `k.unorderedField(${raw});`;
      const object = spec.keyFields?.[key] ? 'objectValue' : ownedItems?.includes(key) ? 'ownedItemsValue' : owned?.includes(key) ? 'ownedValue' : 'objectValue';
      return `v = ${raw}; if (typeof v === 'object' && v !== null) k.${object}(v); else k.value(v);`;
    }
  };
  let named: ClassWriter | undefined;
  const renamed = withFields(name, kept, () => writer(cpuFieldsOf(name, kept)));
  return { keys, write: writer({}), renamed, named: () => (named ??= writer({}, true)) };
}

/** The renamed writer, or one that refuses (the class has no entry in key-cpus.ts) when a renaming meets it. */
function withFields(name: string, keys: readonly string[], make: () => ClassWriter): ClassWriter {
  try {
    cpuFieldsOf(name, keys);
  } catch (e) {
    return () => {
      throw e;
    };
  }
  return make();
}
