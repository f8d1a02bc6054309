/** Graphviz DOT from a machine graph (`dot -Tsvg vm.dot > vm.svg`); compound states become clusters. */
import type { MachineGraph } from '../machine-graph.js';
import { safeId, transitionLabel } from './labels.js';

const q = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function toDot(graph: MachineGraph): string {
  const lines = [
    `// ${graph.name}: generated from machines/ by \`vmm-actors export ${graph.name} --format dot\``,
    `digraph ${q(graph.name)} {`,
    '  rankdir=TB;',
    '  node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", color="#5b6b8c", fontname="Helvetica", fontsize=11];',
    '  edge [color="#5b6b8c", fontname="Helvetica", fontsize=9];',
    '  __start [shape=point, width=0.15, label=""];',
  ];
  const emit = (parent: string | null, indent: string) => {
    for (const state of graph.states.filter((s) => s.parent === parent)) {
      if (state.type === 'compound' || state.type === 'parallel') {
        lines.push(`${indent}subgraph ${q(`cluster_${safeId(state.id)}`)} {`, `${indent}  label=${q(state.key)};`);
        emit(state.id, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const extra = state.type === 'final' ? ', peripheries=2' : '';
        lines.push(`${indent}${q(state.id)} [label=${q(state.key)}${extra}];`);
      }
    }
  };
  emit(null, '  ');
  lines.push(`  __start -> ${q(graph.initial)};`);
  for (const t of graph.transitions) {
    lines.push(`  ${q(t.source)} -> ${q(t.target ?? t.source)} [label=${q(transitionLabel(t))}${t.target === null ? ', style=dashed' : ''}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
