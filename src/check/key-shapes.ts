/**
 * What the snapshot key walk (key-walk.ts) needs to know of an object's prototype, looked up once when the object
 * is numbered and kept beside it until it is written: its kind (plain, array, Map, Set, class), whether objects
 * of it may be named constants, and a class's compiled writer (key-class-writers.ts). One lookup per object
 * instead of a prototype test, a constants-set test and a writers-table lookup (as graph-copy.ts's shapes).
 */
import { classGeneration, unfrozenConstantPrototypes } from '../persist/registry.js';
import type { Compiled } from './key-class-writers.js';

export const enum Kind {
  Plain,
  NullPlain,
  Array,
  Map,
  Set,
  Class,
  Code,
}

export interface Shape {
  readonly kind: Kind;
  /** An object of this prototype may be a named constant though not frozen (registry.ts defineConstant). */
  readonly constants: boolean;
  /** A class's compiled writer: undefined until its first instance is written; null: the generic path. */
  compiled: Compiled | null | undefined;
}

const shapes = new Map<object | null, Shape>();
let generation = -1;
let constantsSize = -1;
const make = (kind: Kind, proto: object | null): Shape => ({ kind, constants: unfrozenConstantPrototypes.has(proto), compiled: undefined });
export let plainShape = make(Kind.Plain, Object.prototype);
export let arrayShape = make(Kind.Array, Array.prototype);
/** A code stamp with arguments (a function object): walked as its name and arguments. */
export const codeShape: Shape = { kind: Kind.Code, constants: false, compiled: null };

/** Forget every shape after a registration (a new class, a new unfrozen constant's prototype). */
export function refreshShapes(): void {
  if (generation === classGeneration() && constantsSize === unfrozenConstantPrototypes.size) return;
  generation = classGeneration();
  constantsSize = unfrozenConstantPrototypes.size;
  shapes.clear();
  plainShape = make(Kind.Plain, Object.prototype);
  arrayShape = make(Kind.Array, Array.prototype);
}

/** The shape of any other prototype. */
export function shapeOf(proto: object | null): Shape {
  let shape = shapes.get(proto);
  if (shape === undefined) {
    const kind = proto === null ? Kind.NullPlain : proto === Map.prototype ? Kind.Map : proto === Set.prototype ? Kind.Set : Kind.Class;
    shape = make(kind, proto);
    shapes.set(proto, shape);
  }
  return shape;
}
