/**
 * A machine definition as a graph: states, and transitions with their named guards and actions, read from
 * XState's own state-node tree (the same definitions the runtime steps). Export, the viewer and the inspection
 * adapter all draw from this one reading, so a diagram can never disagree with the engine.
 */
import type { AnyStateMachine } from 'xstate';
import { MACHINES } from '../../machines/index.js';

export interface GraphState {
  /** Dotted path from the root (`RUNNING`, `outer.inner`). */
  id: string;
  key: string;
  parent: string | null;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** Initial child of a compound state. */
  initial?: string;
  entry: string[];
  exit: string[];
}

export interface GraphTransition {
  /** Position in the canonical order (states in definition order, then their transitions in order). */
  index: number;
  source: string;
  /** null: targetless (actions only; the state does not change). */
  target: string | null;
  /** The event type; delayed transitions keep XState's `xstate.after.…` type and get `delay`. */
  event: string;
  delay?: string;
  guard?: string;
  actions: string[];
}

export interface MachineGraph {
  /** Key in MACHINES (`vm`), or the machine id for machines outside it. */
  name: string;
  /** The machine's own id (`vm`). */
  id: string;
  initial: string;
  states: GraphState[];
  transitions: GraphTransition[];
}

/** The name of an inline function or the type of a named guard/action. */
function nameOf(item: unknown): string {
  if (typeof item === 'string') return item;
  if (typeof item === 'function') return item.name && item.name !== 'anonymous' ? `(inline ${item.name})` : '(inline)';
  if (item && typeof item === 'object' && typeof (item as { type?: unknown }).type === 'string') return (item as { type: string }).type;
  return '(unknown)';
}

interface NodeLike {
  key: string;
  path: string[];
  type: GraphState['type'];
  states: Record<string, NodeLike>;
  initial?: { target?: NodeLike[] };
  entry: unknown[];
  exit: unknown[];
  transitions: Map<string, { target?: NodeLike[]; guard?: unknown; actions: unknown[] }[]>;
  always?: { target?: NodeLike[]; guard?: unknown; actions: unknown[] }[];
}

const pathId = (node: NodeLike) => node.path.join('.');

export function machineGraph(machine: AnyStateMachine, name: string = machine.id): MachineGraph {
  const root = machine.root as unknown as NodeLike;
  const states: GraphState[] = [];
  const transitions: GraphTransition[] = [];
  const visit = (node: NodeLike, parent: string | null) => {
    for (const child of Object.values(node.states)) {
      const id = pathId(child);
      const initial = child.initial?.target?.[0];
      states.push({
        id, key: child.key, parent, type: child.type, ...(initial ? { initial: pathId(initial) } : {}),
        entry: child.entry.map(nameOf), exit: child.exit.map(nameOf),
      });
      const candidates = [...child.transitions].flatMap(([event, list]) => list.map((t) => ({ event, t })));
      for (const t of child.always ?? []) candidates.push({ event: '', t });
      for (const { event, t } of candidates) {
        const delay = /^xstate\.after\.([^.]+)\./.exec(event)?.[1];
        const targets = t.target && t.target.length > 0 ? t.target.map(pathId) : [null];
        for (const target of targets) {
          transitions.push({
            index: transitions.length, source: id, target, event, ...(delay ? { delay } : {}),
            ...(t.guard !== undefined ? { guard: nameOf(t.guard) } : {}), actions: t.actions.map(nameOf),
          });
        }
      }
      visit(child, id);
    }
  };
  visit(root, null);
  const initial = root.initial?.target?.[0];
  return { name, id: machine.id, initial: initial ? pathId(initial) : (states[0]?.id ?? ''), states, transitions };
}

const graphs = new WeakMap<AnyStateMachine, MachineGraph>();

/** The graph of a machine, read once. */
export function graphOf(machine: AnyStateMachine, name?: string): MachineGraph {
  let graph = graphs.get(machine);
  if (!graph) graphs.set(machine, (graph = machineGraph(machine, name)));
  return graph;
}

/** Every machine of the engine by name, as MACHINES lists them (others add theirs there). */
export function allMachineGraphs(): MachineGraph[] {
  return Object.entries(MACHINES as Record<string, AnyStateMachine>).map(([name, machine]) => graphOf(machine, name));
}

export function machineByName(name: string): AnyStateMachine | undefined {
  return (MACHINES as Record<string, AnyStateMachine>)[name];
}

/** The MACHINES key of the machine with this XState id (`haltMethod`), once someone registers it there. */
export function machineKeyById(id: string): string | undefined {
  return Object.entries(MACHINES as Record<string, AnyStateMachine>).find(([, machine]) => machine.id === id)?.[0];
}

const edgeIndexes = new WeakMap<MachineGraph, Map<string, GraphTransition>>();

/**
 * The transition that moved `from` → `to` on `event` (first match in definition order, as XState picks). With
 * no event type, the first transition between the two states. undefined when the graph has no such edge.
 */
export function findTransition(graph: MachineGraph, from: string, to: string, event?: string): GraphTransition | undefined {
  let index = edgeIndexes.get(graph);
  if (!index) {
    index = new Map();
    for (const t of graph.transitions) {
      const target = t.target ?? t.source;
      for (const key of [`${t.source}|${t.event}|${target}`, `${t.source}||${target}`]) if (!index.has(key)) index.set(key, t);
    }
    edgeIndexes.set(graph, index);
  }
  return index.get(`${from}|${event ?? ''}|${to}`) ?? (event === undefined ? undefined : index.get(`${from}||${to}`));
}

export function isFinalState(graph: MachineGraph, state: string): boolean {
  return graph.states.some((s) => s.id === state && s.type === 'final');
}
