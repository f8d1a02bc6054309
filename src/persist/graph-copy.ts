/**
 * copyGraph: an in-memory deep copy with the snapshot's semantics and no JSON (what the model checker needs to
 * branch a world): registered classes are copied by their state fields (transient ones become undefined, then
 * `revive` runs), by their `copy` hook, or by save → restore; shared references and cycles survive. What is
 * immutable is shared, not copied: named constants, code-table functions without arguments (or with immutable
 * ones), the embedder's functions, deeply frozen objects, frozen instances of classes copied by their fields alone
 * holding only such (graph-shared.ts), a machine cell's XState snapshot (by its hook), and a held machine cell,
 * frozen where the first copy meets it (ClassSpec.freezeWhenCopied: freezeToShare).
 *
 * Order: shells are made as objects are met (breadth-first from the root, like writeGraph), filled in that
 * order; then the save/restore classes' `restore`, then every `revive` in reverse discovery order (an object's
 * parts revive before it, as readGraph does). An object in an owned field (ClassSpec.owned: one referrer) is
 * made and filled at once, inside its owner's fill, and never enters the identity table (most of a world's
 * objects: about 105 of 161 in the race's mid-run world on 4 vCPUs). Refusals are writeGraph's: a closure, a symbol,
 * an unregistered class → VBoxError(VERR_NOT_SUPPORTED) naming the path.
 */
import { bytesType } from './graph-format.js';
import { codeStampFn, copyBytes, freezeToShare, isFrozenImmutable, isSharedFunction } from './graph-shared.js';
import { compiledCopierOf, copyFields, isRef, primeCompiled, PRIME_AFTER, plainCopierOf, sameKeys, type PlainCopier, type PlainShell } from './graph-copier.js';
import { arrayShape, Fill, plainShape, plainShellFor, refreshShapes, shapeFor, shapesEpoch, type Shape } from './graph-copy-shape.js';
import { classRefusal, closureRefusal, ownershipRefusal, refusalError, symbolRefusal } from './graph-walk.js';
import { bindCodeTo, codeStamp, constantName, ownedField, type OwnedField, type RegisteredClass } from './registry.js';

export interface CopyOptions {
  /** Names the embedder's functions (shared by the copy); any other function outside the code table is refused. */
  readonly userName?: (fn: Function) => string | undefined;
  /**
   * Refuse (VERR_INTERNAL_ERROR, naming the field and the path) an object in an owned field (ClassSpec.owned) that
   * the copy meets more than once, so a wrong declaration fails a test instead of splitting an object silently.
   * Costs a Map entry per owned object; off by default.
   */
  readonly verifyOwnership?: boolean;
}

/** A deep copy of the graph reachable from `root` (see the module comment). */
export function copyGraph<T>(root: T, options: CopyOptions = {}): T {
  refreshShapes();
  const copier = spareCopier ?? new Copier();
  spareCopier = null; // this copy's (a copy made from a hook while it runs makes its own)
  copier.start(root, options.userName, options.verifyOwnership === true);
  try {
    const copy = copier.clone(root) as T;
    copier.finish();
    return copy;
  } catch (e) {
    throw refusalError(e, root, 'copy');
  } finally {
    copier.release();
    spareCopier = copier;
  }
}

/**
 * The copier of the last copy, emptied, for the next: its todo list grown anew per copy (four slots per object)
 * is as much garbage as the identity Map (garbage is what makes the checker's collector run), and its clone and
 * owned functions are made once.
 */
let spareCopier: Copier | null = null;

/** Past this many entries a kept identity table is dropped at the next copy (stale entries of a changing world). */
const TABLE_LIMIT = 1024;


class Copier {
  /**
   * The identity table: a Map, for the objects an owned field does not hold (56 entries of the race's mid-run
   * world on 4 vCPUs, of 161 objects: keep it at most 64, past which the Map grows to 128, ~3.5 KB and a
   * rehash per copy). Its set and get were about a quarter of a copy before owned fields (stop 15: 29-34 /
   * 34-40 / 44-46 µs drop / keep / chain; with owned fields and a reused copier 22-24 / 28-30 / 31,
   * bench/copy-world.ts; the race on 6 vCPUs with reductions off 6.0-6.1 → 5.4-5.6 CPU s, check-copies.ts).
   * Measured slower or no better (stop 14, bench/copy-world.ts and the race on 6 vCPUs with reductions off): a
   * stamp (todo index) in a private or a symbol field of each Shell (every object then pays a
   * megamorphic field probe: drop +20 %, chain +10 %); one table kept from copy to copy, indexes checked against
   * the todo list (drop and keep −10 to −15 %, chain even, the checker 3-5 % slower); a Map presized by
   * `new Map(entries)` (slower than growing); no entry for arrays (chain −3 %, and unsound: an array may be shared).
   * Stop 16: the table maps an object to its todo slot (the copy beside it), and is kept for the next copy of the
   * same root (the checker copies a world once per further choice; bench/copy-world.ts drop and keep copy one
   * world): met again, the same objects update their entries in place, where a fresh Map grew 4 → 64 (~3.4 KB and
   * four rehashes per copy). An entry counts only when its slot holds its object this copy (slots are emptied
   * after each). Another root (or a table grown past TABLE_LIMIT, a world stepped and copied again) starts a
   * fresh Map, so a table holds the objects of one world, the last copied (stop 14's kept table held many, and
   * slowed the checker). Chain copies (each copy's root new) still grow a fresh Map. Stop 17: copy slots on the
   * Shells of classes met here (a private or a symbol field) again no better for the checker, nor a Map kept with
   * permanent entries (docs/model-checking-internals.md).
   */
  private table = new Map<object, number>();
  private tableRoot: unknown = undefined;
  /** Shells to fill, four slots each: source, shell, Fill (None: the copy is whole, e.g. bound code), shape. */
  private readonly todo: unknown[] = [];
  private todoLength = 0;
  private readonly restores: [obj: object, cls: RegisteredClass, data: unknown][] = [];
  /** Pairs: revive, object (discovery order). */
  private readonly revives: unknown[] = [];
  /** The Map or Set being filled (copyMapEntry, copySetMember). */
  into: object | null = null;
  /** The fill kind of the last shell made (shell()). */
  private made: Fill = Fill.None;
  /** verifyOwnership: each owned object copied, with the field that holds it (null when not verifying). */
  private claimed: Map<object, string> | null = null;
  private userName: ((fn: Function) => string | undefined) | undefined = undefined;

  start(root: unknown, userName: ((fn: Function) => string | undefined) | undefined, verify: boolean): void {
    if (root !== this.tableRoot || this.table.size > TABLE_LIMIT) {
      this.table = new Map();
      this.tableRoot = root;
    }
    this.userName = userName;
    this.claimed = verify ? new Map() : null;
  }

  /** Empty every list for the next copy (they must not keep this copy's objects alive). */
  release(): void {
    const todo = this.todo;
    for (let i = 0; i < this.todoLength; i++) todo[i] = undefined;
    this.todoLength = 0;
    this.restores.length = 0;
    this.revives.length = 0;
    this.into = null;
    this.claimed = null;
    this.userName = undefined;
    if (this.table.size > TABLE_LIMIT) {
      // Not kept for the next copy (start() would start afresh): let the large world it names go now.
      this.table = new Map();
      this.tableRoot = undefined;
    }
  }

  readonly clone = (v: unknown): unknown => {
    switch (typeof v) {
      case 'object': {
        if (v === null) return v;
        // A frozen immutable object (a third of what a copy meets: shared empty lists, records replaced on write) is
        // shared before any table probe: a miss there, then meet, cost more than the frozen test every object pays.
        const frozen = Object.isFrozen(v);
        return frozen && isFrozenImmutable(v) ? v : (this.copyOf(v) ?? this.meet(v, frozen));
      }
      case 'function':
        return this.copyOf(v) ?? this.fn(v);
      case 'symbol':
        throw symbolRefusal(v);
      default:
        return v;
    }
  };

  /** The copy of an object or function this copy has met already (its table entry, valid when its slot holds it). */
  private copyOf(v: object): unknown {
    const at = this.table.get(v);
    if (at === undefined || at >= this.todoLength) return undefined;
    const todo = this.todo;
    return todo[at] === v ? todo[at + 1] : undefined;
  }

  /** A table entry and todo slot for `src`, copied as `dst` (filled later unless `fill` is None). */
  private enter(src: object, dst: object, fill: Fill, how: unknown): void {
    const todo = this.todo;
    const n = this.todoLength;
    this.table.set(src, n);
    todo[n] = src;
    todo[n + 1] = dst;
    todo[n + 2] = fill;
    todo[n + 3] = how;
    this.todoLength = n + 4;
  }

  /** Fill `dst` by its class's compiled copier, then run ClassSpec.copied. */
  private fillCompiled(src: object, dst: object, shape: Shape): void {
    const compiled = shape.compiled!;
    compiled.copy(src, dst, this.clone, this.owned);
    if (compiled.fills < PRIME_AFTER && ++compiled.fills === PRIME_AFTER) primeCompiled(compiled, this.clone, this.owned);
    if (shape.copied !== undefined) shape.copied(src, dst, this.clone);
  }

  /** Fill every shell (breadth-first), then restore, then revive (reverse discovery order). */
  finish(): void {
    const todo = this.todo;
    const clone = this.clone;
    for (let i = 0; i < this.todoLength; i += 4) {
      const fill = todo[i + 2] as Fill;
      if (fill === Fill.Compiled) {
        this.fillCompiled(todo[i] as object, todo[i + 1] as object, todo[i + 3] as Shape);
      } else if (fill === Fill.PlainShell) (todo[i + 3] as PlainShell).fill(todo[i] as object, todo[i + 1] as object, clone);
      else if (fill !== Fill.None) this.fill(todo[i] as object, todo[i + 1] as object, fill, todo[i + 3] as Shape);
    }
    for (const [obj, cls, data] of this.restores) cls.spec.restore!(obj, data);
    const revives = this.revives;
    for (let i = revives.length - 2; i >= 0; i -= 2) (revives[i] as (obj: object) => void)(revives[i + 1] as object);
  }

  private fn(fn: Function): Function {
    const stamp = codeStamp(fn);
    if (!stamp) {
      if (this.userName?.(fn) === undefined) throw closureRefusal(fn);
    } else if (stamp.args && !isSharedFunction(fn)) {
      const args: unknown[] = [];
      const copy = bindCodeTo(codeStampFn(fn), args);
      this.enter(fn, copy, Fill.None, undefined);
      for (const a of stamp.args) args.push(this.clone(a));
      return copy;
    }
    return fn; // shared: no table entry (meeting it again costs a stamp lookup, an entry costs more)
  }

  /** An object met for the first time (`frozen`: Object.isFrozen, as clone found it): its shell (filled later), or itself when a constant. */
  private meet(src: object, frozen: boolean): object {
    const claimed = this.claimed;
    if (claimed !== null && claimed.has(src)) throw ownershipRefusal(src, claimed.get(src)!);
    // Frozen and immutable objects were shared by clone without a table entry.
    const proto = Object.getPrototypeOf(src) as object | null;
    const shape = proto === Object.prototype ? plainShape! : proto === Array.prototype ? arrayShape! : shapeFor(proto);
    if (!frozen && shape.constants && constantName(src) !== undefined) return src;
    if (!frozen && shape.spec?.freezeWhenCopied === true && freezeToShare(src, shape.plan!)) return src;
    let dst = this.directShell(src, shape);
    let fill: Fill;
    let how: Shape | PlainShell = shape;
    let plain: PlainShell | null;
    if (dst !== null) fill = Fill.Compiled;
    else if (shape.fill === Fill.Spread && !frozen && (plain = plainShellFor(src)) !== null) {
      dst = plain.make();
      fill = Fill.PlainShell;
      how = plain;
    } else {
      dst = this.shell(src, proto, shape);
      fill = this.made;
    }
    this.enter(src, dst, frozen && fill !== Fill.None ? fill | Fill.Frozen : fill, how);
    return dst;
  }

  /** A class instance with its usual fields and no copy hook: a new Shell of its compiled copier (revive queued), else null. */
  private directShell(src: object, shape: Shape): object | null {
    const direct = shape.direct;
    if (direct === undefined || direct === null || !sameKeys(src, direct.keys)) return null;
    const dst = new direct.Shell();
    if (shape.plan!.revive) this.revives.push(shape.plan!.revive, dst);
    return dst;
  }

  /**
   * The copy of an object in an owned field (ClassSpec.owned: nothing else refers to it): made and filled at once,
   * with no identity-table entry and no todo slots. Frozen objects and possible constants take the usual way.
   * `field` (Class.field) names the declaration when verifyOwnership finds the object met twice.
   */
  readonly owned = (src: object, field: OwnedField): object => {
    const proto = Object.getPrototypeOf(src) as object | null;
    let shape: Shape;
    if (proto === field.proto && field.epoch === shapesEpoch) shape = field.shape as Shape;
    else {
      shape = proto === Object.prototype ? plainShape! : proto === Array.prototype ? arrayShape! : shapeFor(proto);
      field.proto = proto;
      field.shape = shape;
      field.epoch = shapesEpoch;
    }
    if (Object.isFrozen(src)) return isFrozenImmutable(src) ? src : (this.clone(src) as object);
    if (shape.constants) return this.clone(src) as object;
    if (shape.spec?.freezeWhenCopied === true && freezeToShare(src, shape.plan!)) return src;
    const claimed = this.claimed;
    if (claimed !== null) {
      if (claimed.has(src) || this.copyOf(src) !== undefined) throw ownershipRefusal(src, field.name);
      claimed.set(src, field.name);
    }
    const direct = this.directShell(src, shape);
    if (direct !== null) {
      this.fillCompiled(src, direct, shape); // at once (shape.direct is shape.compiled)
      return direct;
    }
    if (shape.fill === Fill.Spread) {
      const plain = (field.plain === undefined ? (field.plain = plainCopierOf(src)) : field.plain) as PlainCopier | null;
      if (plain !== null && sameKeys(src, plain.keys)) return plain.copy(src, this.clone);
    }
    const dst = this.shell(src, proto, shape);
    // A Map or Set is filled through `into`, which belongs to no outer fill here: owned fills run inside a class's
    // fill, and a Map's or Set's fill only meets (clone), never fills.
    if (field.items && this.made === Fill.Array) {
      const from = src as unknown[];
      const to = dst as unknown[];
      const item = (field.item ??= ownedField(`${field.name}[]`));
      for (let i = 0, n = from.length; i < n; i++) {
        const v = from[i];
        if (typeof v === 'object' && v !== null) to[i] = this.owned(v, item);
        else if (isRef(v)) to[i] = this.clone(v); // a function or symbol (null is not a ref)
      }
    } else if (this.made !== Fill.None) this.fill(src, dst, this.made, shape);
    return dst;
  };

  /**
   * The shell of `src` (its fill kind in `made`), or, with `made` None, the finished copy (bytes, an empty array)
   * or `src` itself (immutable).
   */
  private shell(src: object, proto: object | null, shape: Shape): object {
    let fill = shape.fill;
    let dst: object;
    switch (fill) {
      case Fill.Spread:
        // A spread copies every field at once (V8 clones the shape); fill then replaces the references.
        dst = { ...src };
        break;
      case Fill.Array:
        // A slice: the shell gets the source's length and holes at once (no growth by push); fill replaces the
        // references. An empty one needs no fill.
        dst = (src as unknown[]).slice();
        if ((src as unknown[]).length === 0) fill = Fill.None;
        break;
      case Fill.Class: {
        const spec = shape.spec!;
        // A copy hook gets the Shell as well (its fields in place); save → restore an empty instance.
        let compiled = shape.compiled;
        if (compiled === undefined) {
          compiled = shape.compiled = spec.save && !spec.copy ? null : compiledCopierOf(shape.plan!, src);
          shape.direct = spec.copy ? null : compiled;
        }
        if (compiled !== null && sameKeys(src, compiled.keys)) {
          dst = new compiled.Shell();
          if (!spec.copy) fill = Fill.Compiled;
        } else dst = Object.create(proto as object) as object;
        if (shape.plan!.revive) this.revives.push(shape.plan!.revive, dst);
        break;
      }
      case Fill.Plain:
        dst = proto === null ? Object.create(null) : {};
        break;
      case Fill.Map:
        dst = new Map();
        break;
      case Fill.Set:
        dst = new Set();
        break;
      default: {
        const type = bytesType(src);
        if (type === undefined) throw classRefusal(src, proto as object);
        fill = Fill.None;
        dst = copyBytes(src, type);
      }
    }
    this.made = fill;
    return dst;
  }

  private fill(src: object, dst: object, fill: Fill, shape: Shape): void {
    const clone = this.clone;
    switch (fill & ~Fill.Frozen) {
      case Fill.Plain:
        copyFields(src, dst, clone, undefined, false);
        break;
      case Fill.Spread: {
        const from = src as Record<string, unknown>;
        const to = dst as Record<string, unknown>;
        for (const key in from) {
          const v = from[key];
          if (isRef(v)) to[key] = clone(v);
        }
        break;
      }
      case Fill.Array: {
        const from = src as unknown[];
        const to = dst as unknown[];
        for (let i = 0, n = from.length; i < n; i++) {
          const v = from[i];
          if (isRef(v)) to[i] = clone(v);
        }
        break;
      }
      case Fill.Map:
        // The copier as forEach's `this` (the shell in `into`): no closure per Map. clone only meets, never fills,
        // so `into` stays this Map's until the loop ends.
        this.into = dst;
        (src as Map<unknown, unknown>).forEach(copyMapEntry, this);
        break;
      case Fill.Set:
        this.into = dst;
        (src as Set<unknown>).forEach(copySetMember, this);
        break;
      case Fill.Compiled:
        this.fillCompiled(src, dst, shape);
        break;
      case Fill.Class: {
        const spec = shape.spec!;
        if (spec.copy) spec.copy(src, dst, clone);
        else if (spec.save) this.restores.push([dst, shape.plan!.entry, clone(spec.save(src))]);
        else {
          copyFields(src, dst, clone, shape.plan!.transient, shape.plan!.forIn);
          if (shape.copied !== undefined) shape.copied(src, dst, clone);
        }
        break;
      }
    }
    if (fill & Fill.Frozen) Object.freeze(dst);
  }
}

function copyMapEntry(this: Copier, v: unknown, k: unknown): void {
  (this.into as Map<unknown, unknown>).set(isRef(k) ? this.clone(k) : k, isRef(v) ? this.clone(v) : v);
}

function copySetMember(this: Copier, v: unknown): void {
  (this.into as Set<unknown>).add(isRef(v) ? this.clone(v) : v);
}
