/**
 * Per-class plans shared by the graph writer, reader and copier: the registry entry of a prototype with its
 * transient and history fields as sets, computed once per class (and again only after a new registration).
 */
import { classGeneration, registeredPrototype, type RegisteredClass } from './registry.js';

export interface ClassPlan {
  readonly entry: RegisteredClass;
  readonly transient: ReadonlySet<string> | undefined;
  readonly history: ReadonlySet<string> | undefined;
  /** transient ∪ history: the fields a state key leaves out. */
  readonly unkeyed: ReadonlySet<string> | undefined;
  /** Fields whose object only this instance refers to (ClassSpec.owned). */
  readonly owned: ReadonlySet<string> | undefined;
  /** Owned fields whose array's items are owned as well (ClassSpec.ownedItems). */
  readonly ownedItems: ReadonlySet<string> | undefined;
  readonly revive: ((obj: object) => void) | undefined;
  /** No enumerable field on the prototype chain: for…in visits exactly an instance's own enumerable fields. */
  readonly forIn: boolean;
}

/** Does the prototype chain from `proto` up have an enumerable property? (for…in would visit it.) */
export function inheritsEnumerable(proto: object | null): boolean {
  for (const _ in Object.create(proto) as object) return true;
  return false;
}

const plans = new Map<object, ClassPlan>();
let generation = -1;

const setOf = (names: readonly string[] | undefined): ReadonlySet<string> | undefined => (names?.length ? new Set(names) : undefined);

/** The plan of a registered class's prototype, or undefined for a prototype the registry does not know. */
export function planOf(proto: object | null): ClassPlan | undefined {
  if (generation !== classGeneration()) {
    plans.clear();
    generation = classGeneration();
  }
  if (proto === null) return undefined;
  let plan = plans.get(proto);
  if (plan) return plan;
  const entry = registeredPrototype(proto);
  if (!entry) return undefined;
  plan = { entry, transient: setOf(entry.spec.transient), history: setOf(entry.spec.history), owned: setOf(entry.spec.owned), ownedItems: setOf(entry.spec.ownedItems), unkeyed: setOf([...(entry.spec.transient ?? []), ...(entry.spec.history ?? [])]), revive: entry.spec.revive, forIn: !inheritsEnumerable(proto) };
  plans.set(proto, plan);
  return plan;
}
