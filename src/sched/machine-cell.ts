/**
 * A machine instance as data: the current XState snapshot of one component (a VM, a vCPU, an EMT, a request,
 * a rendezvous). Steps go through XState's pure `transition()`; results are memoized per (snapshot, event)
 * because snapshots are immutable and equal states share one object, so every world the checker builds pays
 * for each distinct transition once. A memoized step is a map lookup on the
 * cell's current state node, and allocates nothing when the caller sends a shared event object.
 */
import { sameKeys } from '../persist/graph-copier.js';
import { codeStamp, persistable, registeredClass } from '../persist/registry.js';
import '../persist/machines.js';
import { initialTransition, transition, type AnyStateMachine, type EventObject, type SnapshotFrom } from 'xstate';

type Snapshot = SnapshotFrom<AnyStateMachine>;

/** Observer of every accepted transition (inspection, traces, invariants). */
export type TransitionListener = (cell: MachineCell, from: Snapshot, event: EventObject) => void;

/**
 * One distinct state of a machine with its outgoing edges: by event object for events a caller shares (frozen
 * constants, see sharedEvent), by a key built from the event's fields otherwise. A cell holds its node, so a
 * memoized step is one or two map lookups and allocates nothing.
 */
interface StateNode {
  readonly snapshot: Snapshot;
  readonly byRef: Map<EventObject, StateNode>;
  readonly byKey: Map<string, StateNode>;
  /** The memo generation the node belongs to (MEMO_STATES_MAX starts a new one). */
  readonly gen: number;
  /** The state value's number for the checker's keys (MachineCell.valueTag), made on first use. */
  tag: number | undefined;
}

interface MachineMemo {
  initial: StateNode;
  /** One node per distinct (value, context): equal states are the same snapshot object. */
  interned: Map<string, StateNode>;
  /** Snapshot → node, for stepMachine() and cells whose snapshot is set from outside. */
  nodes: WeakMap<Snapshot, StateNode>;
  gen: number;
}

const memos = new WeakMap<AnyStateMachine, MachineMemo>();
const MEMO_STATES_MAX = 20_000;

function memoOf(machine: AnyStateMachine): MachineMemo {
  let memo = memos.get(machine);
  if (!memo) {
    const snapshot = initialTransition(machine)[0];
    const initial = newNode(snapshot, 0);
    memo = { initial, interned: new Map([[stateKey(snapshot), initial]]), nodes: new WeakMap([[snapshot, initial]]), gen: 0 };
    memos.set(machine, memo);
  }
  return memo;
}

const newNode = (snapshot: Snapshot, gen: number): StateNode => ({ snapshot, byRef: new Map(), byKey: new Map(), gen, tag: undefined });

const stateKey = (snapshot: Snapshot): string => JSON.stringify([snapshot.value, snapshot.context ?? null]);

const eventKey = (event: EventObject): string => {
  // for…in rather than Object.entries: this runs on every step that misses the by-object edges.
  let key = event.type;
  const fields = event as unknown as Record<string, unknown>;
  for (const k in fields) if (k !== 'type') key += '|' + k + '=' + String(fields[k]);
  return key;
};

/**
 * An event object a caller sends again and again (a constant, or one cached per CPU): frozen, so the memo may
 * key edges by the object itself and skip building a key.
 */
export function sharedEvent<T extends EventObject>(event: T): T {
  return Object.freeze(event);
}

/**
 * One shared event per type of a union of events without fields, keyed by type. The argument names every type
 * (the compiler refuses a missing one), so the table is complete.
 */
export function sharedEvents<E extends EventObject>(types: { readonly [K in E['type']]: true }): { readonly [K in E['type']]: E } {
  return Object.fromEntries(Object.keys(types).map((type) => [type, sharedEvent({ type } as E)])) as { readonly [K in E['type']]: E };
}

/** The node of `snapshot` in the current generation (interned by value and context). */
function internNode(memo: MachineMemo, snapshot: Snapshot): StateNode {
  const known = memo.nodes.get(snapshot);
  if (known && known.gen === memo.gen) return known;
  const key = stateKey(snapshot);
  let node = memo.interned.get(key);
  if (!node) {
    node = newNode(snapshot, memo.gen);
    memo.interned.set(key, node);
  }
  memo.nodes.set(snapshot, node);
  return node;
}

/** The edge of `event` out of `from` (a node of the current generation), computing it on first use. */
function edgeOf(memo: MachineMemo, machine: AnyStateMachine, from: StateNode, event: EventObject): StateNode {
  const key = eventKey(event);
  let next = from.byKey.get(key);
  if (!next) {
    // An equal state interns to `from` itself: not accepted (callers compare snapshots by identity).
    next = internNode(memo, transition(machine, from.snapshot, event)[0]);
    from.byKey.set(key, next);
  }
  if (Object.isFrozen(event)) from.byRef.set(event, next);
  return next;
}

/** The node to step from: `node` itself, or its twin in a newer generation after the memo was bounded. */
function current(memo: MachineMemo, node: StateNode): StateNode {
  // Bound the memo: long seeded runs of machines with rich context (rendezvous orders) would grow it forever.
  if (memo.interned.size > MEMO_STATES_MAX) {
    memo.interned = new Map();
    memo.nodes = new WeakMap();
    memo.gen++;
    memo.initial = internNode(memo, memo.initial.snapshot);
  }
  return node.gen === memo.gen ? node : internNode(memo, node.snapshot);
}

export class MachineCell<TEvent extends EventObject = EventObject> {
  listener: TransitionListener | undefined;
  /** The machine's shared memo and this cell's place in it (state: the node's snapshot). */
  private readonly memo: MachineMemo;
  private node: StateNode;

  constructor(
    readonly machine: AnyStateMachine,
    readonly systemId: string,
    /** A cell of the same machine to start in the state of (frozenAfter): its memo and node, no memo lookup. */
    like?: MachineCell,
  ) {
    this.memo = like ? like.memo : memoOf(machine);
    this.node = like ? like.node : this.memo.initial;
  }

  get snapshot(): Snapshot {
    return this.node.snapshot;
  }

  set snapshot(snapshot: Snapshot) {
    this.node = internNode(this.memo, snapshot);
  }

  /** The state value of a flat machine. */
  get value(): string {
    return this.node.snapshot.value as string;
  }

  get context(): any {
    return this.node.snapshot.context;
  }

  /**
   * A number for the state value, made by `tag` once per distinct state and kept on the memo's node (shared by
   * every cell and world copy in that state): the checker's keys read it instead of looking a string up per cell.
   * `tag` must be one pure function of the value for every caller (the checker's intern).
   */
  valueTag(tag: (value: string) => number): number {
    const node = this.node;
    return node.tag !== undefined ? node.tag : (node.tag = tag(node.snapshot.value as string));
  }

  /** The node `event` leads to from the current one: the current node itself when the state does not accept it. */
  private nextNode(event: TEvent): StateNode {
    const from = this.node;
    let next = from.gen === this.memo.gen ? from.byRef.get(event) : undefined;
    if (next === undefined) {
      const node = current(this.memo, from);
      next = node.byRef.get(event) ?? edgeOf(this.memo, this.machine, node, event);
      if (next === node) next = from;
    }
    return next;
  }

  /** Send an event; false when the current state does not accept it (nothing changes then). */
  send(event: TEvent): boolean {
    const from = this.node;
    const next = this.nextNode(event);
    if (next === from) return false;
    this.node = next;
    this.listener?.(this, from.snapshot, event);
    return true;
  }

  /**
   * The cell after `event`, for a cell frozen while shared (VmCore.cpuStates, held cells): a new frozen cell in the
   * next state, this one unchanged; null (nothing made) when the state does not accept the event. No listener runs.
   */
  frozenAfter(event: TEvent): MachineCell<TEvent> | null {
    const node = this.nextNode(event);
    if (node === this.node) return null;
    // Of this cell's class (a subclass takes the cell's constructor arguments), so a replaced cell keeps its name.
    const Cell = this.constructor as new (machine: AnyStateMachine, systemId: string, like?: MachineCell) => MachineCell<TEvent>;
    const next = new Cell(this.machine, this.systemId, this);
    next.node = node;
    return Object.freeze(next) as MachineCell<TEvent>;
  }

  /** Would the current state accept the event? (No change either way.) */
  accepts(event: TEvent): boolean {
    const node = current(this.memo, this.node);
    return (node.byRef.get(event) ?? edgeOf(this.memo, this.machine, node, event)) !== node;
  }
}

/** A cell frozen from the start, in its machine's initial state (replaced at each transition: frozenAfter). */
export function frozenCell<TEvent extends EventObject>(machine: AnyStateMachine, systemId: string): MachineCell<TEvent> {
  return Object.freeze(new MachineCell<TEvent>(machine, systemId)) as MachineCell<TEvent>;
}

/** A cell's own fields that its save/copy handle themselves (a subclass's other fields are saved as they are). */
export const CELL_FIELDS: ReadonlySet<string> = new Set(['listener', 'memo', 'node', 'machine', 'systemId']);

/** A subclass's own state fields (not the cell's, not transient): `persistable(name, Subclass)` keeps them. */
function extraFields(cell: MachineCell, each: (key: string) => void): void {
  const transient = registeredClass(cell)?.spec.transient;
  for (const key of Object.keys(cell)) if (!CELL_FIELDS.has(key) && !transient?.includes(key)) each(key);
}

/** A code-table listener is copied (bound to the copies of its data); any other is left to the owner. */
const copiedListener = (listener: TransitionListener | undefined, clone: (v: unknown) => unknown): unknown => (codeStamp(listener) ? clone(listener) : undefined);

/** How a cell copy takes a field: the cell's own ones shared (the memo and node are immutable), a subclass's cloned. */
const enum How {
  Share,
  Listener,
  Clone,
  Transient,
}

/** A cell class's fields in their order, and their copy (made from its first instance). */
interface CellPlan {
  readonly keys: readonly string[];
  /** The plan's copies written out field by field (named stores: no generic `to[key]` store per field). */
  readonly copy: (from: object, to: object, clone: (v: unknown) => unknown, listener: typeof copiedListener) => void;
}

const cellPlans = new Map<object, CellPlan>();

function cellPlanOf(cell: MachineCell, proto: object): CellPlan {
  const transient = registeredClass(cell)?.spec.transient;
  const keys: string[] = [];
  const how: How[] = [];
  for (const key in cell) {
    keys.push(key);
    how.push(CELL_FIELDS.has(key) ? (key === 'listener' ? How.Listener : How.Share) : transient?.includes(key) ? How.Transient : How.Clone);
  }
  // The names are JSON string literals (no code can be injected); the body is straight-line field copies.
  const lines = keys.map((key, i) => {
    const at = `[${JSON.stringify(key)}]`;
    return how[i] === How.Share ? `d${at} = s${at};` : how[i] === How.Listener ? `d${at} = l(s${at}, c);` : how[i] === How.Clone ? `d${at} = c(s${at});` : `d${at} = undefined;`;
  });
  const copy = new Function('s', 'd', 'c', 'l', lines.join('\n')) as CellPlan['copy'];
  const plan = { keys, copy };
  cellPlans.set(proto, plan);
  return plan;
}

/** A cell whose fields are not its class's usual ones (added or deleted later): field by field. */
function copyCellFields(cell: MachineCell, into: MachineCell, clone: (v: unknown) => unknown): void {
  const from = cell as unknown as Record<string, unknown>;
  const to = into as unknown as Record<string, unknown>;
  const transient = registeredClass(cell)?.spec.transient;
  for (const key of Object.keys(cell)) to[key] = CELL_FIELDS.has(key) ? (key === 'listener' ? copiedListener(cell.listener, clone) : from[key]) : transient?.includes(key) ? undefined : clone(from[key]);
}

/**
 * A cell is saved as its machine (a named constant), systemId, state value and context (and a subclass's own
 * fields); restored by resolving that state in the machine and interning it in the memo. An in-memory copy shares
 * the memo and its node (snapshots are immutable). A listener from the code table (reportCellEdges: code bound
 * to data) is saved and copied with the cell; any other listener is its owner's to set again (revive).
 */
persistable('MachineCell', MachineCell, {
  transient: ['listener'],
  // Frozen, a cell is one state: world copies share it (its memo is every world's).
  sharedWhenFrozen: true,
  save: (cell) => {
    const fields: Record<string, unknown> = {};
    extraFields(cell, (key) => (fields[key] = (cell as unknown as Record<string, unknown>)[key]));
    const listener = codeStamp(cell.listener) ? cell.listener : undefined;
    return { machine: cell.machine, systemId: cell.systemId, value: cell.snapshot.value, context: cell.snapshot.context ?? null, fields, ...(listener ? { listener } : {}) };
  },
  // The key leaves the systemId out: a name made of ids (`ext.3/req.1`), the XState system's, not a state.
  keySave: (cell) => {
    const fields: Record<string, unknown> = {};
    const history = registeredClass(cell)?.spec.history;
    extraFields(cell, (key) => history?.includes(key) || (fields[key] = (cell as unknown as Record<string, unknown>)[key]));
    const listener = codeStamp(cell.listener) ? cell.listener : undefined;
    return { machine: cell.machine, value: cell.snapshot.value, context: cell.snapshot.context ?? null, fields, ...(listener ? { listener } : {}) };
  },
  restore: (cell, data: { machine: AnyStateMachine; systemId: string; value: unknown; context: unknown; fields?: Record<string, unknown>; listener?: TransitionListener }) => {
    const memo = memoOf(data.machine);
    // A state this thread has met is its interned node (what resolving it again would intern to, at a fraction of the cost).
    const node = memo.interned.get(JSON.stringify([data.value, data.context ?? null])) ?? internNode(memo, data.machine.resolveState({ value: data.value, context: data.context } as never) as Snapshot);
    // In the constructor's order, so a restored cell has the shape of the engine's own (and the copier's compiled plan fits it).
    Object.assign(cell, { machine: data.machine, systemId: data.systemId, listener: data.listener, memo, node }, data.fields);
  },
  copy: (cell, into, clone) => {
    const from = cell as unknown as Record<string, unknown>;
    const to = into as unknown as Record<string, unknown>;
    const proto = Object.getPrototypeOf(cell) as object;
    const plan = cellPlans.get(proto) ?? cellPlanOf(cell, proto);
    // The class's usual fields in their order, then copied by the plan.
    if (!sameKeys(from, plan.keys)) return copyCellFields(cell, into, clone);
    plan.copy(from, to, clone, copiedListener);
  },
});
