/**
 * A machine instance as data: the current XState snapshot of one component (a VM, a vCPU, an EMT, a request,
 * a rendezvous). Steps go through XState's pure `transition()`; results are memoized per (snapshot, event)
 * because snapshots are immutable and equal states share one object, so a world can be cloned by copying
 * references and the checker pays for each distinct transition once.
 */
import { initialTransition, transition, type AnyStateMachine, type EventObject, type SnapshotFrom } from 'xstate';

type Snapshot = SnapshotFrom<AnyStateMachine>;

/** Observer of every accepted transition (inspection, traces, invariants). */
export type TransitionListener = (cell: MachineCell, from: Snapshot, event: EventObject) => void;

interface MachineMemo {
  initial: Snapshot;
  next: WeakMap<Snapshot, Map<string, Snapshot>>;
  /** One snapshot object per distinct (value, context): equal states are the same object. */
  interned: Map<string, Snapshot>;
}

const memos = new WeakMap<AnyStateMachine, MachineMemo>();
const MEMO_STATES_MAX = 20_000;

function memoOf(machine: AnyStateMachine): MachineMemo {
  let memo = memos.get(machine);
  if (!memo) {
    const initial = initialTransition(machine)[0];
    memo = { initial, next: new WeakMap(), interned: new Map([[stateKey(initial), initial]]) };
    memos.set(machine, memo);
  }
  return memo;
}

const stateKey = (snapshot: Snapshot): string => JSON.stringify([snapshot.value, snapshot.context ?? null]);

const eventKey = (event: EventObject): string => {
  // for…in rather than Object.entries: this runs on every machine step (the checker's hottest path).
  let key = event.type;
  const fields = event as unknown as Record<string, unknown>;
  for (const k in fields) if (k !== 'type') key += '|' + k + '=' + String(fields[k]);
  return key;
};

/** The pure step, memoized. Returns the same snapshot object when the event is not accepted. */
export function stepMachine(machine: AnyStateMachine, snapshot: Snapshot, event: EventObject): Snapshot {
  const memo = memoOf(machine);
  // Bound the memo: long seeded runs of machines with rich context (rendezvous orders) would grow it forever.
  if (memo.interned.size > MEMO_STATES_MAX) {
    memo.next = new WeakMap();
    memo.interned = new Map();
  }
  let byEvent = memo.next.get(snapshot);
  if (!byEvent) memo.next.set(snapshot, (byEvent = new Map()));
  const key = eventKey(event);
  let next = byEvent.get(key);
  if (!next) {
    next = transition(machine, snapshot, event)[0];
    if (next !== snapshot) {
      const k = stateKey(next);
      const canonical = memo.interned.get(k);
      if (canonical) next = canonical;
      else memo.interned.set(k, next);
    }
    byEvent.set(key, next);
  }
  return next;
}

export class MachineCell<TEvent extends EventObject = EventObject> {
  snapshot: Snapshot;
  listener: TransitionListener | undefined;

  constructor(
    readonly machine: AnyStateMachine,
    readonly systemId: string,
  ) {
    this.snapshot = memoOf(machine).initial;
  }

  /** A copy sharing the (immutable) snapshot, for cloning a world. */
  clone(): MachineCell<TEvent> {
    const copy = new MachineCell<TEvent>(this.machine, this.systemId);
    copy.snapshot = this.snapshot;
    return copy;
  }

  /** The state value of a flat machine. */
  get value(): string {
    return this.snapshot.value as string;
  }

  get context(): any {
    return this.snapshot.context;
  }

  /** Send an event; false when the current state does not accept it (nothing changes then). */
  send(event: TEvent): boolean {
    const from = this.snapshot;
    const next = stepMachine(this.machine, from, event);
    if (next === from) return false;
    this.snapshot = next;
    this.listener?.(this, from, event);
    return true;
  }

  /** Would the current state accept the event? (No change either way.) */
  accepts(event: TEvent): boolean {
    return stepMachine(this.machine, this.snapshot, event) !== this.snapshot;
  }
}
