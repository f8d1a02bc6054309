/**
 * Filling a read object's fields (graph-read.ts, graph-unpack.ts): by a function generated per field list, which
 * assigns them by name, where every name may be assigned (no accessor or method of that name on the prototype to
 * run instead). Set one by one by computed key or defineProperty, an object of more than ~16 fields becomes a
 * dictionary in V8, and so does every copy of it (copyGraph keeps the shape): a restored or unpacked engine's
 * World, VmCore, Vmm and scheduler were all read by hash probes.
 */

/**
 * Per prototype: field names a plain assignment may set (no accessor or method of that name to run instead). The
 * names come from the graph read (input): at most NAMES_MAX are remembered per prototype, the rest judged each time.
 */
const assignable = new WeakMap<object, Map<string, boolean>>();
const NAMES_MAX = 4096;

export function mayAssign(proto: object, key: string): boolean {
  let known = assignable.get(proto);
  if (!known) assignable.set(proto, (known = new Map()));
  let ok = known.get(key);
  if (ok === undefined) {
    ok = key !== '__proto__' && !(key in proto);
    if (known.size < NAMES_MAX) known.set(key, ok);
  }
  return ok;
}

/**
 * Per field list: a function assigning the fields by name. Assigned by a computed key (`obj[key] = value`), an
 * instance with more than ~16 fields (4 in the object, 12 more beside it) turns into a dictionary: every later
 * access of it, and of its copies (copyGraph keeps the shape), is a hash probe. A world unpacked in a worker thread
 * (explore-worker.ts) had its World, VmCore, Vmm and scheduler so, and stepped, keyed and copied ~1.4× slower than
 * one thread's (docs/model-checking-internals.md, stop 18). A bounded cache: a snapshot's field lists are input.
 */
const assigners = new Map<string, (obj: object, values: unknown[]) => void>();
const ASSIGNERS_MAX = 1024;

export function namedAssigner(keys: readonly string[]): ((obj: object, values: unknown[]) => void) | null {
  const id = JSON.stringify(keys); // unambiguous whatever the names hold (a join could make ['a\0b'] of ['a', 'b'])
  let assign = assigners.get(id);
  if (assign === undefined && assigners.size < ASSIGNERS_MAX) {
    assign = new Function('o', 'v', keys.map((key, i) => `o[${JSON.stringify(key)}] = v[${i}];`).join('\n')) as (obj: object, values: unknown[]) => void;
    assigners.set(id, assign);
  }
  return assign ?? null;
}

/**
 * The filler of an object of `proto` with the fields `keys` (in order), or null where some field may not be assigned
 * (graph-read.ts and graph-unpack.ts then define field by field). The last field lists filled per prototype are
 * found by comparing the lists (a reader's field names are mostly the very same strings), before any key is built:
 * building the JSON key of every object's list was a fifth of unpacking a world.
 */
export function assignerFor(proto: object, keys: readonly string[]): ((obj: object, values: unknown[]) => void) | null {
  let recent = recentByProto.get(proto);
  if (recent !== undefined) {
    for (const filler of recent) if (sameList(filler.keys, keys)) return filler.assign;
  }
  for (const key of keys) if (!mayAssign(proto, key)) return null;
  const assign = namedAssigner(keys);
  if (assign === null) return null;
  if (recent === undefined) recentByProto.set(proto, (recent = []));
  if (recent.length >= RECENT_PER_PROTO) recent.shift();
  recent.push({ keys: keys.slice(), assign });
  return assign;
}

/** Per prototype, the fillers of its last field lists (RECENT_PER_PROTO at most: the lists come from input). */
const recentByProto = new WeakMap<object, { keys: readonly string[]; assign: (obj: object, values: unknown[]) => void }[]>();
const RECENT_PER_PROTO = 8;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Fill `obj` (of prototype `proto`) with `values` under `keys`, in order, the class's `transient` fields it lacks
 * added as undefined: by a generated filler where every field may be assigned (assignerFor), else field by field,
 * assigned where the prototype has nothing of that name and defined where it has (data from a snapshot must not run
 * a setter), `__proto__` always defined (graph-read.ts and graph-unpack.ts, the two ways back).
 */
export function fillFields(obj: object, proto: object | null, keys: string[], values: unknown[], transient: readonly string[] | undefined): void {
  if (transient) for (const key of transient) if (!keys.includes(key) && !(proto !== null && key in proto)) keys.push(key), values.push(undefined);
  const assign = proto !== null ? assignerFor(proto, keys) : null;
  if (assign) return assign(obj, values);
  const record = obj as Record<string, unknown>;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (proto !== null ? mayAssign(proto, key) : key !== '__proto__') record[key] = values[i];
    else define(obj, key, values[i]);
  }
}

/** An own, writable, enumerable field, set without running any accessor. */
export const define = (obj: object, key: string, value: unknown): void => void Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
