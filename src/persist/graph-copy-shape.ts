/**
 * What copyGraph knows about the objects it meets, cached: a shape per prototype (how its instances are filled,
 * the class plan and compiled copier) and the plain shells of plain objects by their first field. Made anew when
 * a class is registered or a new kind of constant is defined (refreshShapes).
 */
import { plainShellOf, sameKeys, type Compiled, type PlainShell } from './graph-copier.js';
import { inheritsEnumerable, planOf, type ClassPlan } from './graph-plan.js';
import { classGeneration, unfrozenConstantPrototypes, type ClassSpec } from './registry.js';

/** How a shell is filled (one per object met); frozen sources are frozen again after. */
export const enum Fill {
  Plain,
  Array,
  Map,
  Set,
  Class,
  Spread,
  /** Bytes (copied at once) or a refusal: decided per object. */
  Other,
  /** A class instance with its class's usual fields: a Shell filled by the compiled copier. */
  Compiled,
  /** Nothing to fill: the copy is made whole, or the object is shared. */
  None,
  /** A plain object with the usual fields of objects that start with its first field: a PlainShell's fill. */
  PlainShell,
  Frozen = 16,
}

/**
 * What the copier knows about a prototype, looked up once per object (one Map probe instead of a chain of
 * prototype tests, a constants Set probe and the plan lookup). Valid for one registry generation and one set of
 * unfrozen-constant prototypes; a class's compiled copier is made from its first instance.
 */
export interface Shape {
  readonly fill: Fill;
  /** Instances may be unfrozen named constants: look each up. */
  readonly constants: boolean;
  readonly plan: ClassPlan | undefined;
  readonly spec: ClassSpec | undefined;
  compiled: Compiled | null | undefined;
  /** The compiled copier when it fills the whole copy (no copy or save hook): owned copies take it at once. */
  direct: Compiled | null | undefined;
  /** ClassSpec.copied (without a copy hook): runs once the fields are copied. */
  readonly copied: ((obj: object, into: object, clone: (v: unknown) => unknown) => void) | undefined;
}

const shapes = new Map<object | null, Shape>();
let shapesGeneration = -1;
/** Bumped whenever the shapes are made anew (an OwnedField's cached shape is for one epoch). */
export let shapesEpoch = 0;
let shapesConstants = -1;
/** The shapes of plain objects and arrays (half of what a copy meets), without the Map probe. */
export let plainShape: Shape | undefined;
export let arrayShape: Shape | undefined;

/** Before a copy: make the shapes anew after a registration or a new kind of constant. */
export function refreshShapes(): void {
  if (shapesGeneration === classGeneration() && shapesConstants === unfrozenConstantPrototypes.size) return;
  shapes.clear();
  plainShells.clear();
  shapesEpoch++;
  shapesGeneration = classGeneration();
  shapesConstants = unfrozenConstantPrototypes.size;
  plainShape = shapeOf(Object.prototype);
  arrayShape = shapeOf(Array.prototype);
}

/** The shape of instances of `proto`. */
export const shapeFor = (proto: object | null): Shape => shapes.get(proto) ?? shapeOf(proto);

function shapeOf(proto: object | null): Shape {
  let fill: Fill;
  let plan: ClassPlan | undefined;
  if (proto === null) fill = Fill.Plain;
  else if (proto === Object.prototype) fill = inheritsEnumerable(Object.prototype) ? Fill.Plain : Fill.Spread;
  else if (proto === Array.prototype) fill = Fill.Array;
  else if (proto === Map.prototype) fill = Fill.Map;
  else if (proto === Set.prototype) fill = Fill.Set;
  else if ((plan = planOf(proto)) !== undefined) fill = Fill.Class;
  else fill = Fill.Other;
  const spec = plan?.entry.spec;
  const shape: Shape = {
    fill, constants: unfrozenConstantPrototypes.has(proto), plan, spec, compiled: undefined,
    direct: fill === Fill.Class ? undefined : null, copied: spec?.copy ? undefined : spec?.copied,
  };
  shapes.set(proto, shape);
  return shape;
}

/**
 * Plain shells by the first field of the objects they are for (a plain object's fields mostly tell its kind; a few
 * shapes per first field, as records of one family share theirs), for the objects the copy meets through the
 * identity table; made anew with the shapes. Bounded, so objects of ever new shapes (user data) cost a spread,
 * never a compile each; an object no shell can be made for (too wide, a field named __proto__) is spread too.
 */
const plainShells = new Map<string, PlainShell[]>();
const SHELLS_PER_FIRST = 4;
const FIRST_FIELDS = 256;

export function plainShellFor(src: object): PlainShell | null {
  let first: string | undefined;
  for (const key in src) {
    first = key;
    break;
  }
  if (first === undefined) return null;
  const known = plainShells.get(first);
  if (known !== undefined) {
    for (const plain of known) if (sameKeys(src, plain.keys)) return plain;
    if (known.length >= SHELLS_PER_FIRST) return null;
  } else if (plainShells.size >= FIRST_FIELDS) return null;
  const plain = plainShellOf(src);
  if (plain === null) return null;
  if (known !== undefined) known.push(plain);
  else plainShells.set(first, [plain]);
  return plain;
}
