/**
 * What makes engine state data that can be written out, copied and read back (DESIGN.md "State is data"):
 *
 * - a **class registry**: each stateful class by a stable name, with the own fields that are not state
 *   (caches, listeners, host attachments) and, for the few whose state is not their own fields, save/restore;
 * - a **code table**: module-level functions by name (VM.cpp's workers, the engine's hooks), and code *bound*
 *   to data arguments (`bindCode(vmR3Suspend, reason)`): a function object stamped with its name and its
 *   arguments, so the state that holds it holds a name and data, never a closure's hidden scope;
 * - **named constants**: objects compared by identity (machine definitions, frozen records, shared events).
 *
 * src/persist/graph.ts walks an engine with these and writes a snapshot; anything it meets that none of them
 * names (an anonymous closure, an unregistered class) is refused with its path.
 */

/** The stamp on a function from the code table: its name, and the arguments bindCode bound (data). */
export interface CodeStamp {
  readonly name: string;
  readonly args?: readonly unknown[];
}

const CODE = Symbol('vmm-actors.code');
const codeByName = new Map<string, (...args: any[]) => unknown>();

type AnyFn = (...args: any[]) => any;

/** Put a module-level function in the code table under `name` (unique across the engine); returns it. */
export function defineCode<F extends AnyFn>(name: string, fn: F): F {
  const known = codeByName.get(name);
  if (known && known !== fn) throw new Error(`code table: '${name}' is defined twice`);
  codeByName.set(name, fn);
  if (!(CODE in fn)) Object.defineProperty(fn, CODE, { value: { name } satisfies CodeStamp });
  return fn;
}

/** Define several at once: `defineCodes('lifecycle', { vmR3PowerOn, vmR3PowerOff })` names them `lifecycle.vmR3PowerOn` … */
export function defineCodes<T extends Record<string, AnyFn>>(prefix: string, fns: T): T {
  for (const [name, fn] of Object.entries(fns)) defineCode(`${prefix}.${name}`, fn);
  return fns;
}

/**
 * `fn` (from the code table) with its first arguments bound to data: calling the result calls
 * `fn(...bound, ...rest)`. The result carries its name and `bound` as its stamp, so a snapshot writes
 * `{ code: name, args: bound }` and a restore binds the same again.
 */
export function bindCode<B extends readonly unknown[], R extends readonly unknown[], T>(
  fn: (...args: [...B, ...R]) => T,
  ...bound: B
): (...rest: R) => T {
  return bindCodeTo(fn, bound) as (...rest: R) => T;
}

/**
 * bindCode with the bound arguments given as an array that the result keeps (not a copy): the graph reader and
 * copier bind first and fill the array once the objects it refers to exist.
 */
export function bindCodeTo(fn: AnyFn, bound: unknown[] | readonly unknown[]): AnyFn {
  const stamp = codeStamp(fn);
  if (!stamp || stamp.args) throw new Error(`bindCode: ${fn.name || 'an anonymous function'} is not in the code table (defineCode)`);
  // Assigned, not defined: Object.defineProperty costs several times a bind (binding is on the copier's and the
  // engine's hot paths, once per operation). A symbol key stays out of Object.keys and for-in all the same.
  const call = boundCall(fn, bound) as AnyFn & { [CODE]?: CodeStamp };
  call[CODE] = { name: stamp.name, args: bound };
  return call;
}

/**
 * `fn` with `bound` in front, without spreading in the common shapes (up to 3 bound, 0–2 more): a rest-and-spread
 * call costs about ten plain ones, and bound listeners and continuations run on every engine step. `bound` is read
 * at call time (the reader fills it after binding).
 */
function boundCall(fn: AnyFn, bound: readonly unknown[]): AnyFn {
  return function (): unknown {
    const n = arguments.length;
    if (n <= 2) {
      const a = arguments[0] as unknown;
      const b = arguments[1] as unknown;
      switch (bound.length) {
        case 1:
          return n === 0 ? fn(bound[0]) : n === 1 ? fn(bound[0], a) : fn(bound[0], a, b);
        case 2:
          return n === 0 ? fn(bound[0], bound[1]) : n === 1 ? fn(bound[0], bound[1], a) : fn(bound[0], bound[1], a, b);
        case 3:
          return n === 0 ? fn(bound[0], bound[1], bound[2]) : n === 1 ? fn(bound[0], bound[1], bound[2], a) : fn(bound[0], bound[1], bound[2], a, b);
      }
    }
    const all = bound.slice();
    for (let i = 0; i < n; i++) all.push(arguments[i]); // arguments only indexed: an optimized wrapper never allocates it
    return fn(...all);
  };
}

/** The code-table stamp of `fn`, or undefined for a function the table does not name. */
export function codeStamp(fn: unknown): CodeStamp | undefined {
  return typeof fn === 'function' ? (fn as { [CODE]?: CodeStamp })[CODE] : undefined;
}

/** The function a stamp names, rebuilt (restore); undefined when the table has no such name. */
export function codeFromStamp(stamp: CodeStamp): AnyFn | undefined {
  const fn = codeByName.get(stamp.name);
  if (!fn) return undefined;
  return stamp.args ? bindCode(fn, ...stamp.args) : fn;
}

/** Names of the objects compared by identity: machine definitions, frozen records, shared events. */
const constantByName = new Map<string, object>();
const nameOfConstant = new WeakMap<object, string>();

export function defineConstant<T extends object>(name: string, value: T): T {
  const known = constantByName.get(name);
  if (known && known !== value) throw new Error(`constants: '${name}' is defined twice`);
  constantByName.set(name, value);
  nameOfConstant.set(value, name);
  if (!Object.isFrozen(value)) unfrozenConstantPrototypes.add(Object.getPrototypeOf(value) as object | null);
  return value;
}

/**
 * Prototypes of constants that were not frozen when defined. The graph copier looks an object up among the
 * constants only when it is frozen or has one of these prototypes (a WeakMap lookup per object is too dear).
 */
export const unfrozenConstantPrototypes = new Set<object | null>();

export const constantName = (value: object): string | undefined => nameOfConstant.get(value);
export const constantByNameOf = (name: string): object | undefined => constantByName.get(name);
/** The code-table function named `name` itself (unbound), or undefined. */
export const codeByNameOf = (name: string): AnyFn | undefined => codeByName.get(name);

/** How a registered class is saved and restored. */
export interface ClassSpec<T extends object = any> {
  /**
   * Own fields that are not state: caches rebuilt on demand, listeners, host attachments (sockets, promise
   * resolvers). Not written; after a restore or copy they are `undefined` until `revive` sets them.
   */
  readonly transient?: readonly string[];
  /**
   * State fields that record the past without deciding the future (ids, counters, timestamps): saved and
   * restored, but left out of the checker's state key, so two worlds that differ only there are one state.
   */
  readonly history?: readonly string[];
  /**
   * Collection fields (arrays, Sets, Maps) whose order carries no meaning (a table filled in the order calls
   * happened to run): the state key walks their items sorted (objects by their canonical number, after every
   * object reachable otherwise is numbered; primitives by value; Map entries by key), so two worlds that differ
   * only in that order have one key. Snapshots keep the order.
   */
  readonly unordered?: readonly string[];
  /**
   * Number fields holding an absolute virtual time (ns): the state key writes them relative to the walk's `now`
   * (virtual time itself decides nothing; how far away a deadline is does). Snapshots keep them absolute.
   */
  readonly times?: readonly string[];
  /**
   * Fields the state key writes as something else: `{ callbackId: (frame, id) => table.peek(id) }` writes the
   * function an id names instead of the id (ids count allocations, which differ between interleavings).
   * `now`: the walk's virtual time (for a time the key holds as the code reads it, e.g. "passed" or not);
   * `cpu`: a CPU id as the walk writes it (renamed under vCPU symmetry, src/check/key-cpus.ts; else itself).
   */
  readonly keyFields?: Readonly<Record<string, (obj: T, value: any, now: number, cpu: (c: number) => number) => unknown>>;
  /**
   * Fields whose object (when the field holds one) nothing else in the engine refers to: the copier (copyGraph)
   * copies it at once, with no identity-table entry (most objects of a world have one referrer, and the table's
   * hashing is a quarter of a copy). What the object holds is copied as usual. A wrong declaration would split one
   * object into two in a copy: the suite runs the copier with `verifyOwnership` over every checker scenario's
   * worlds, which refuses an owned object met twice. Frozen objects and named constants are shared as always.
   * Declare only what the class makes itself and never hands out (not an object a caller passed in). Taken by the
   * per-class field copier and the state key's walk (so the key walk and the copier read this one list); a `copy`
   * hook copies its fields itself; save → restore ignores it.
   */
  readonly owned?: readonly string[];
  /** Fields holding an array that is owned (as `owned`) and whose items are owned by it as well (a per-CPU table). */
  readonly ownedItems?: readonly string[];
  /** Rebuild what is transient after a restore (every object of the snapshot exists and is filled by then). */
  readonly revive?: (obj: T) => void;
  /**
   * For a class whose state is not its own enumerable fields (private state, a memo): the state as a value
   * the graph writer writes (it may hold other engine objects), and how to put it back into an empty
   * instance (`Object.create(prototype)`; objects it refers to exist but may not be filled yet).
   */
  readonly save?: (obj: T) => unknown;
  /**
   * The value the state key walks instead of the object's fields (or its `save`): e.g. the saved value without
   * its ids, or a recycled packet's state without the stale fields reuse overwrites. Undefined: walk as usual.
   */
  readonly keySave?: (obj: T) => unknown;
  readonly restore?: (obj: T, data: any) => void;
  /**
   * An in-memory copy (copyGraph) faster than save → restore: fill `into` (an empty instance) from `obj`.
   * `clone(value)` gives the copy of any value `obj` holds (objects may not be filled yet); share what is
   * immutable (a machine cell shares its XState snapshot). Transient fields are the hook's to leave undefined.
   * When `obj` has its class's usual fields, `into` has them already, in order, as undefined (the copy keeps
   * them in the object itself): set every one, as the graph writer would see a field left undefined.
   */
  readonly copy?: (obj: T, into: T, clone: (value: unknown) => unknown) => void;
  /**
   * Without a `copy` hook: an in-memory copy has filled `into` from `obj`'s fields as usual (transient ones
   * undefined, owned ones copied; objects it refers to may not be filled yet, as in `copy`); attach what is not
   * state, shared with the original or made anew (a Vmm's host attachments). `clone` as in `copy`. Runs before the
   * revives; save → restore ignores it. Never `clone` an owned field's object here (that makes a second copy of
   * it): use `into.<field>`.
   */
  readonly copied?: (obj: T, into: T, clone: (value: unknown) => unknown) => void;
  /**
   * A frozen instance cannot change, though a field holds something mutable that every world shares by design (a
   * machine cell's memo): a world copy shares it (its transient fields empty) instead of copying it. For records
   * frozen while shared and replaced at each write (VmCore.cpuStates).
   */
  readonly sharedWhenFrozen?: boolean;
  /**
   * With sharedWhenFrozen: an instance the copier meets unfrozen, its transient fields empty, is frozen there and
   * shared, not copied. For records whose one holder writes them through a path that replaces a frozen one
   * (a held machine cell: sendHeld), so an engine nobody copies writes them in place.
   */
  readonly freezeWhenCopied?: boolean;
}

/** An owned field as the copier meets it (ClassSpec.owned). */
export interface OwnedField {
  /** `Class.field`, for the ownership check's message. */
  readonly name: string;
  /** An array whose items are owned as well (ClassSpec.ownedItems). */
  readonly items: boolean;
  /** The copier's notes on what it met here: the last prototype and its shape (for one `epoch`), plain objects' copier. */
  proto: object | null | undefined;
  shape: unknown;
  epoch: number;
  plain: unknown;
  /** The notes on an owned array's items (made at their first copy). */
  item: OwnedField | undefined;
}

export const ownedField = (name: string, items = false): OwnedField => ({ name, items, proto: undefined, shape: undefined, epoch: -1, plain: undefined, item: undefined });

/** The copy of an object only `field` refers to (the per-class field copier's `owned`). */
export type OwnedCopier = (obj: object, field: OwnedField) => object;

export interface RegisteredClass {
  readonly name: string;
  readonly prototype: object;
  readonly spec: ClassSpec;
}

const classByName = new Map<string, RegisteredClass>();
/** Bumped by every registration: the graph code's per-class plans are valid for one generation. */
let registryGeneration = 0;
export const classGeneration = (): number => registryGeneration;
const classByPrototype = new Map<object, RegisteredClass>();

/**
 * Register a stateful class under a stable name (unique across the engine). Its state is its own enumerable
 * fields (TypeScript `private` is fine; JavaScript `#private` fields are invisible to the writer and cannot be
 * restored: keep state out of them, or give `save`/`restore`).
 *
 * A subclass of a registered class inherits its spec: `transient` and `history` are the union of both lists,
 * and each hook (revive, save, restore, copy) is the subclass's own when given, else the parent's — except that
 * a subclass giving save or restore but no copy is copied by save → restore. So
 * `persistable('MemberCell', MemberCell)` saves a MachineCell subclass as a cell plus its own fields (if any).
 */
export function persistable<C extends abstract new (...args: any[]) => object>(name: string, ctor: C, spec: ClassSpec<InstanceType<C>> = {}): C {
  const known = classByName.get(name);
  if (known && known.prototype !== ctor.prototype) throw new Error(`class registry: '${name}' is registered twice`);
  const entry: RegisteredClass = { name, prototype: ctor.prototype as object, spec: inherit(ctor.prototype as object, spec) };
  registryGeneration++;
  classByName.set(name, entry);
  classByPrototype.set(ctor.prototype as object, entry);
  return ctor;
}

/** `spec` merged with the nearest registered ancestor's (see persistable). */
function inherit(proto: object, spec: ClassSpec): ClassSpec {
  let parent: RegisteredClass | undefined;
  for (let p = Object.getPrototypeOf(proto) as object | null; p && !parent; p = Object.getPrototypeOf(p) as object | null) parent = classByPrototype.get(p);
  if (!parent) return spec;
  const union = (a?: readonly string[], b?: readonly string[]): readonly string[] | undefined => (a || b ? [...new Set([...(a ?? []), ...(b ?? [])])] : undefined);
  const merged: { -readonly [K in keyof ClassSpec]: ClassSpec[K] } = { ...parent.spec, ...spec };
  // A parent's copy hook copies what the parent's save/restore carry: a subclass with its own save or restore
  // and no copy of its own is copied by those (save → restore), never by a hook that does not know them.
  if ((spec.save || spec.restore) && !spec.copy) merged.copy = undefined;
  return {
    ...merged,
    transient: union(parent.spec.transient, spec.transient),
    history: union(parent.spec.history, spec.history),
    owned: union(parent.spec.owned, spec.owned),
    ownedItems: union(parent.spec.ownedItems, spec.ownedItems),
    unordered: union(parent.spec.unordered, spec.unordered),
    times: union(parent.spec.times, spec.times),
    keyFields: parent.spec.keyFields || spec.keyFields ? { ...parent.spec.keyFields, ...spec.keyFields } : undefined,
  };
}

export const registeredClass = (obj: object): RegisteredClass | undefined => classByPrototype.get(Object.getPrototypeOf(obj) as object);
export const registeredClassByName = (name: string): RegisteredClass | undefined => classByName.get(name);
/** Every registered class name (for tests that check a table covers them all). */
export const registeredClassNames = (): string[] => [...classByName.keys()];
/** The registered class whose instances have prototype `proto` (one map lookup; the graph code caches on it). */
export const registeredPrototype = (proto: object | null): RegisteredClass | undefined => (proto === null ? undefined : classByPrototype.get(proto));
