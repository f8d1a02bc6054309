/**
 * SCXML (W3C State Chart XML) from a machine graph. Guards become `cond` (their names), named actions
 * become `<vmm:action name="…"/>` in our namespace (executable content from another namespace is allowed),
 * targetless transitions are `type="internal"` without a target.
 */
import type { GraphState, MachineGraph } from '../machine-graph.js';
import { eventLabel } from './labels.js';

const x = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function toScxml(graph: MachineGraph): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<!-- ${x(graph.name)}: generated from machines/ by vmm-actors export ${x(graph.name)} --format scxml -->`,
    `<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:vmm="urn:vmm-actors" version="1.0" name="${x(graph.id)}" initial="${x(graph.initial)}">`,
  ];
  const actions = (names: string[], indent: string) => names.map((a) => `${indent}<vmm:action name="${x(a)}"/>`);
  const emit = (state: GraphState, indent: string) => {
    const tag = state.type === 'final' ? 'final' : state.type === 'parallel' ? 'parallel' : 'state';
    const initial = state.initial ? ` initial="${x(state.initial)}"` : '';
    const body: string[] = [];
    if (state.entry.length > 0) body.push(`${indent}  <onentry>`, ...actions(state.entry, `${indent}    `), `${indent}  </onentry>`);
    if (state.exit.length > 0) body.push(`${indent}  <onexit>`, ...actions(state.exit, `${indent}    `), `${indent}  </onexit>`);
    for (const t of graph.transitions.filter((tr) => tr.source === state.id)) {
      const attrs = [
        t.event === '' ? '' : ` event="${x(t.delay !== undefined ? eventLabel(t).replace(' ', '.') : t.event)}"`,
        t.guard ? ` cond="${x(t.guard)}"` : '',
        t.target === null ? ' type="internal"' : ` target="${x(t.target)}"`,
      ].join('');
      if (t.actions.length === 0) body.push(`${indent}  <transition${attrs}/>`);
      else body.push(`${indent}  <transition${attrs}>`, ...actions(t.actions, `${indent}    `), `${indent}  </transition>`);
    }
    for (const child of graph.states.filter((s) => s.parent === state.id)) emit(child, `${indent}  `);
    lines.push(body.length === 0 ? `${indent}<${tag} id="${x(state.id)}"${initial}/>` : `${indent}<${tag} id="${x(state.id)}"${initial}>`);
    if (body.length > 0) lines.push(...body, `${indent}</${tag}>`);
  };
  for (const state of graph.states.filter((s) => s.parent === null)) emit(state, '  ');
  lines.push('</scxml>');
  return lines.join('\n') + '\n';
}
