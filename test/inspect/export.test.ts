/**
 * Goal: `vmm-actors export` draws every machine from its definition — mermaid, DOT, JSON, SCXML — with every
 * state and every transition (named guards and actions included), so diagrams cannot drift from the engine.
 * Method: the VM machine's export is checked against vmEdges() (the graph the conformance tests use) and its
 * 31 states; every machine in MACHINES is exported in every format; bad names and formats are refused.
 */
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { vmEdges, vmMachine } from '../../machines/vm.js';
import { VERR_INVALID_PARAMETER } from '../../src/status.js';
import { EXPORT_FORMATS, exportMachine, type ExportFormat } from '../../src/inspect/export/index.js';
import { allMachineGraphs, graphOf, type MachineGraph } from '../../src/inspect/machine-graph.js';
import { toMermaidFlowchart } from '../../src/inspect/export/mermaid.js';

const vm = graphOf(vmMachine, 'vm');
const names = Object.keys(MACHINES);

describe('vmm-actors export (machines/ → diagrams)', () => {
  it('reads the VM machine: 31 states, the 67 edges of vmEdges() in order, TERMINATED final', () => {
    expect(vm.states).toHaveLength(31);
    expect(vm.initial).toBe('CREATING');
    expect(vm.transitions.map((t) => ({ from: t.source, to: t.target, event: t.event, ...(t.guard ? { guard: t.guard } : {}) }))).toEqual(vmEdges());
    expect(vm.states.find((s) => s.id === 'TERMINATED')!.type).toBe('final');
    expect(vm.states.find((s) => s.id === 'RUNNING')!.exit).toEqual(['recordPrevState']);
  });

  it.each(names.flatMap((name) => EXPORT_FORMATS.map((format) => [name, format] as const)))('exports %s as %s, deterministically', (name, format) => {
    const text = exportMachine(name, format as ExportFormat);
    expect(text).toBe(exportMachine(name, format as ExportFormat));
    const graph = graphOf(MACHINES[name as keyof typeof MACHINES], name);
    for (const state of graph.states) expect(text).toContain(state.key);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('mermaid: one line per transition, start and final markers, guards and actions in the labels', () => {
    const text = exportMachine('vm', 'mermaid');
    expect(text.split('\n')[0]).toBe('stateDiagram-v2');
    expect(text.match(/^ {2}\w+ --> \w+: /gm)).toHaveLength(67);
    expect(text).toContain('  [*] --> CREATING\n');
    expect(text).toContain('  TERMINATED --> [*]\n');
    expect(text).toContain('  RESETTING --> SUSPENDED: resetDone [wasSuspended]\n');
    expect(exportMachine('rendezvous', 'mermaid')).toContain('  entering --> entering: enter / countEntry\n'); // targetless = self-loop
  });

  it('dot: every state a node, every transition an edge, targetless ones dashed', () => {
    const text = exportMachine('vm', 'dot');
    expect(text).toMatch(/^\/\/ .*\ndigraph "vm" \{/);
    expect(text.match(/^ {2}"\w+" -> "\w+" \[label=/gm)).toHaveLength(67);
    expect(text.match(/^ {2}"\w+" \[label="\w+"/gm)).toHaveLength(31);
    expect(text).toContain('"TERMINATED" [label="TERMINATED", peripheries=2];');
    expect(exportMachine('rendezvous', 'dot')).toContain('"entering" -> "entering" [label="enter / countEntry", style=dashed];');
  });

  it('json: the graph itself', () => {
    expect(JSON.parse(exportMachine('vm', 'json')) as MachineGraph).toEqual(vm);
  });

  it('scxml: states, finals, transitions with cond and named actions', () => {
    const text = exportMachine('vm', 'scxml');
    expect(text).toContain('<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:vmm="urn:vmm-actors" version="1.0" name="vm" initial="CREATING">');
    expect(text.match(/<state id=/g)).toHaveLength(30);
    expect(text.match(/<final id=/g)).toHaveLength(1);
    expect(text.match(/<transition /g)).toHaveLength(67);
    expect(text).toContain('<transition event="resetDone" cond="wasSuspended" target="SUSPENDED"/>');
    expect(exportMachine('rendezvous', 'scxml')).toContain('<transition event="enter" type="internal">');
    expect(text.match(/</g)!.length).toBe(text.match(/>/g)!.length);
  });

  it('flowchart for the viewer: a node per state and a link id per transition', () => {
    const layout = toMermaidFlowchart(vm);
    expect(Object.keys(layout.nodes)).toHaveLength(31);
    expect(layout.links).toHaveLength(67);
    expect(new Set(layout.links.map((l) => l.linkId)).size).toBe(67);
    expect(layout.links.find((l) => l.index === 0)).toEqual({ index: 0, linkId: 'L_CREATING_CREATED_0', position: 1 });
  });

  it.each([
    ['an unknown machine', 'vmm', 'mermaid', /unknown machine 'vmm' \(one of vm, vmcpu, /],
    ['an unknown format', 'vm', 'png', /unknown format 'png' \(one of mermaid, dot, json, scxml\)/],
  ])('refuses %s with VERR_INVALID_PARAMETER', (_name, machine, format, message) => {
    expect(() => exportMachine(machine, format as ExportFormat)).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER, message: expect.stringMatching(message) }));
  });

  it('covers every machine in MACHINES (machines other parts add appear without changes here)', () => {
    expect(allMachineGraphs().map((g) => g.name)).toEqual(names);
  });
});
