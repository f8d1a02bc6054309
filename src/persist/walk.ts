/**
 * A walk over an engine's object graph as the snapshot writer sees it (registered classes' state fields,
 * arrays, plain objects, Maps, Sets), and the census built on it: every function the code table does not name
 * (a closure) and every object of an unregistered class, each with the path it was reached by. The census is
 * how a test proves that nothing spanning a step lives in a closure; the graph writer uses pathTo to name where
 * a value it refuses sits.
 */
import { codeStamp, constantName, registeredClass } from './registry.js';

export interface Census {
  /** Paths of functions the code table does not name (closures), e.g. `vms.1.emts[0].frames[1].then`. */
  readonly closures: string[];
  /** Classes not registered (persistable), with the first path each was reached by. */
  readonly classes: Map<string, string>;
}

const isPlain = (obj: object): boolean => {
  const proto = Object.getPrototypeOf(obj) as object | null;
  return proto === Object.prototype || proto === null || Array.isArray(obj);
};

const isBytes = (obj: object): boolean => ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer;

/** Called for every value reached, with its path; returning true ends the walk. */
type Visitor = (value: unknown, path: string) => boolean | void;

/** Depth-first over everything reachable from `root` (each object once), in the writer's field order. */
function walkPaths(root: unknown, visitor: Visitor): void {
  const seen = new Set<object>();
  let done = false;
  const visit = (value: unknown, path: string): void => {
    if (done) return;
    if (visitor(value, path)) {
      done = true;
      return;
    }
    if (typeof value === 'function') {
      const args = codeStamp(value)?.args;
      if (args) args.forEach((a, i) => visit(a, `${path}<${i}>`));
      return;
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (constantName(value) !== undefined || isBytes(value)) return;
    if (value instanceof Map) {
      for (const [k, v] of value) {
        visit(k, `${path}.key`);
        visit(v, `${path}[${typeof k === 'object' ? '…' : String(k)}]`);
      }
      return;
    }
    if (value instanceof Set) {
      let i = 0;
      for (const v of value) visit(v, `${path}{${i++}}`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}[${i}]`));
      return;
    }
    const registered = registeredClass(value);
    if (registered?.spec.save) return visit(registered.spec.save(value), `${path}<save>`);
    const transient = registered?.spec.transient;
    for (const key of Object.keys(value)) {
      if (transient?.includes(key)) continue;
      visit((value as Record<string, unknown>)[key], `${path}.${key}`);
    }
  };
  visit(root, '');
}

/** Census of everything reachable from `root`; `userName` names the embedder's own functions (not closures). */
export function census(root: object, userName: (fn: unknown) => string | undefined = () => undefined): Census {
  const closures: string[] = [];
  const classes = new Map<string, string>();
  walkPaths(root, (value, path) => {
    if (typeof value === 'function') {
      if (!codeStamp(value) && userName(value) === undefined) closures.push(path);
    } else if (typeof value === 'object' && value !== null && !registeredClass(value) && !isPlain(value) && !isBytes(value)) {
      const name = (value as object).constructor?.name ?? '?';
      if (!classes.has(name) && constantName(value) === undefined && !(value instanceof Map) && !(value instanceof Set)) classes.set(name, path);
    }
  });
  return { closures, classes };
}

/** The first path (depth-first, field order) by which `target` is reached from `root`; undefined if it is not. */
export function pathTo(root: unknown, target: unknown): string | undefined {
  let found: string | undefined;
  walkPaths(root, (value, path) => {
    if (value !== target) return false;
    found = path;
    return true;
  });
  return found;
}
