/**
 * `vmm-actors export`: a machine's diagram from its definition, in mermaid, DOT, JSON or SCXML, and the
 * README's diagrams (docs/diagrams/, `npm run diagrams`), which a test keeps current.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VBoxError, VERR_INVALID_PARAMETER } from '../../status.js';
import { allMachineGraphs, graphOf, machineByName, type MachineGraph } from '../machine-graph.js';
import { toDot } from './dot.js';
import { toMermaid } from './mermaid.js';
import { toScxml } from './scxml.js';

export const EXPORT_FORMATS = ['mermaid', 'dot', 'json', 'scxml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const EXTENSIONS: Record<ExportFormat, string> = { mermaid: 'mmd', dot: 'dot', json: 'json', scxml: 'scxml' };

export function renderGraph(graph: MachineGraph, format: ExportFormat): string {
  switch (format) {
    case 'mermaid': return toMermaid(graph);
    case 'dot': return toDot(graph);
    case 'json': return JSON.stringify(graph, null, 2) + '\n';
    case 'scxml': return toScxml(graph);
  }
}

/** One machine by its MACHINES name; VERR_INVALID_PARAMETER names the known ones otherwise. */
export function exportMachine(name: string, format: ExportFormat): string {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new VBoxError(VERR_INVALID_PARAMETER, `unknown format '${format}' (one of ${EXPORT_FORMATS.join(', ')})`);
  }
  const machine = machineByName(name);
  if (!machine) {
    throw new VBoxError(VERR_INVALID_PARAMETER, `unknown machine '${name}' (one of ${allMachineGraphs().map((g) => g.name).join(', ')})`);
  }
  return renderGraph(graphOf(machine, name), format);
}

/** The files of docs/diagrams: every machine as mermaid and DOT, and an index page embedding the mermaid. */
export function diagramFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const graphs = allMachineGraphs();
  const index = [
    '# Machine diagrams',
    '',
    'Generated from the definitions in `machines/` by `npm run diagrams` (`vmm-actors export <machine> --format …`);',
    'do not edit by hand — `test/inspect/diagrams.test.ts` fails when these files fall behind the machines.',
    '',
  ];
  for (const graph of graphs) {
    for (const format of ['mermaid', 'dot'] as const) files.set(`${graph.name}.${EXTENSIONS[format]}`, renderGraph(graph, format));
    index.push(
      `## ${graph.name}`,
      '',
      `${graph.states.length} states, ${graph.transitions.length} transitions ([mermaid](${graph.name}.mmd), [DOT](${graph.name}.dot)).`,
      '',
      '```mermaid',
      toMermaid(graph).trimEnd(),
      '```',
      '',
    );
  }
  files.set('README.md', index.join('\n'));
  return files;
}

export function writeDiagrams(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of diagramFiles()) {
    const path = join(dir, name);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== text) {
      writeFileSync(path, text);
      written.push(path);
    }
  }
  return written;
}
