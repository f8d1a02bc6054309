/** Shared by the exporters: identifiers every format accepts, and one label text per transition. */
import type { GraphTransition } from '../machine-graph.js';

/** A state id as an identifier (`outer.inner` → `outer__inner`). */
export const safeId = (id: string): string => id.replace(/\./g, '__').replace(/[^A-Za-z0-9_]/g, '_');

/** `xstate.after.1000.vm.X` → `after 1000`; eventless → `always`. */
export function eventLabel(t: GraphTransition): string {
  if (t.delay !== undefined) return `after ${t.delay}`;
  return t.event === '' ? 'always' : t.event;
}

/** `event [guard] / action, action`, the usual statechart notation. */
export function transitionLabel(t: GraphTransition): string {
  let label = eventLabel(t);
  if (t.guard) label += ` [${t.guard}]`;
  if (t.actions.length > 0) label += ` / ${t.actions.join(', ')}`;
  return label;
}
