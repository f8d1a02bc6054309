/**
 * Mermaid from a machine graph: `stateDiagram-v2` for documents (GitHub renders it in the README) and a
 * `flowchart` for the viewer, whose nodes and links mermaid gives stable DOM ids (`flowchart-RUNNING-…`,
 * `L_RUNNING_SUSPENDING_0`) that the page highlights as a trace is stepped.
 */
import type { GraphState, MachineGraph } from '../machine-graph.js';
import { safeId, transitionLabel } from './labels.js';

const quote = (text: string) => text.replace(/"/g, '#quot;');

/** stateDiagram-v2, nested states as `state X { … }`, targetless transitions as self-loops. */
export function toMermaid(graph: MachineGraph): string {
  const lines = ['stateDiagram-v2', `  %% ${graph.name}: generated from machines/ by \`vmm-actors export ${graph.name} --format mermaid\``];
  const children = (parent: string | null) => graph.states.filter((s) => s.parent === parent);
  const emit = (parent: string | null, initial: string, indent: string) => {
    lines.push(`${indent}[*] --> ${safeId(initial)}`);
    for (const state of children(parent)) {
      // Declared one by one, so states without transitions (VMCPUSTATE_INVALID) are drawn too.
      if (state.key !== safeId(state.id)) lines.push(`${indent}state "${quote(state.key)}" as ${safeId(state.id)}`);
      else if (state.type !== 'compound' && state.type !== 'parallel') lines.push(`${indent}${state.key}`);
      if (state.type === 'compound' || state.type === 'parallel') {
        lines.push(`${indent}state ${safeId(state.id)} {`);
        emit(state.id, state.initial ?? children(state.id)[0]?.id ?? state.id, `${indent}  `);
        lines.push(`${indent}}`);
      }
    }
    for (const t of graph.transitions) {
      if (graph.states.find((s) => s.id === t.source)?.parent !== parent) continue;
      lines.push(`${indent}${safeId(t.source)} --> ${safeId(t.target ?? t.source)}: ${transitionLabel(t)}`);
    }
    for (const state of children(parent)) if (state.type === 'final') lines.push(`${indent}${safeId(state.id)} --> [*]`);
  };
  emit(null, graph.initial, '  ');
  return lines.join('\n') + '\n';
}

export interface FlowchartLayout {
  /** The mermaid source. */
  source: string;
  /** State id → mermaid node id. */
  nodes: Record<string, string>;
  /** Transition index → mermaid link id (`L_A_B_k`) and link position. */
  links: { index: number; linkId: string; position: number }[];
}

const shape = (state: GraphState) => {
  const label = `"${quote(state.key)}"`;
  if (state.type === 'final') return `(((${label})))`;
  return `(${label})`;
};

/** A flowchart for the viewer: one node per atomic state, one link per transition, in canonical order. */
export function toMermaidFlowchart(graph: MachineGraph, direction: 'TB' | 'LR' = 'TB'): FlowchartLayout {
  const nodes: Record<string, string> = {};
  const lines = [`flowchart ${direction}`, '  __start(( ))'];
  for (const state of graph.states) {
    nodes[state.id] = safeId(state.id);
    lines.push(`  ${nodes[state.id]}${shape(state)}`);
  }
  const pairCount = new Map<string, number>();
  const links: FlowchartLayout['links'] = [];
  const link = (from: string, to: string, label: string | null) => {
    const pair = `${from}_${to}`;
    const k = pairCount.get(pair) ?? 0;
    pairCount.set(pair, k + 1);
    lines.push(label === null ? `  ${from} --> ${to}` : `  ${from} -->|"${quote(label)}"| ${to}`);
    return { linkId: `L_${pair}_${k}`, position: lines.filter((l) => l.includes('-->')).length - 1 };
  };
  link('__start', nodes[graph.initial] ?? safeId(graph.initial), null);
  for (const t of graph.transitions) {
    const from = nodes[t.source]!;
    const to = t.target ? nodes[t.target]! : from;
    links.push({ index: t.index, ...link(from, to, transitionLabel(t)) });
  }
  lines.push('  classDef initial fill:#333,stroke:#333', '  class __start initial');
  return { source: lines.join('\n') + '\n', nodes, links };
}
