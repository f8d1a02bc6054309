/**
 * Counterexamples are trace files (src/inspect/trace-format.ts) that `vmm-actors replay` re-runs exactly.
 * Goal: the trace has the header (source 'check', the scenario), every scheduler choice from VM creation on,
 * the calls, the events and the violation last; the replay follows it step by step, notices a trace that does
 * not match the engine, and refuses mutant traces without the mutant. Method: the as-written live-save defect
 * (a real VirtualBox failure, no mutant needed) and a mutant trace, replayed and tampered with.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { replayRecords, replayTrace } from '../../src/check/replay.js';
import { parseTrace, type TraceRecord } from '../../src/inspect/trace-format.js';

const asWritten = { cpus: 1, fidelity: 'as-written' as const, timers: 'any' as const, clients: [['powerOn', 'save'], ['suspend']] as const };

describe('vmm-actors replay (replayTrace)', async () => {
  const result = await explore({ ...asWritten, clients: asWritten.clients.map((c) => [...c]) });
  const v = result.violations[0]!;
  const records = parseTrace(v.text);

  it('writes header, choices, calls, events and the violation, in order', () => {
    expect(records[0]).toMatchObject({ type: 'header', format: 'vmm-actors-trace', version: 1, source: 'check' });
    expect((records[0] as unknown as { setup: { scenario: { fidelity: string } } }).setup.scenario.fidelity).toBe('as-written');
    const kinds = new Set(records.map((r) => r.type));
    expect([...kinds].sort()).toEqual(['call', 'choice', 'event', 'header', 'violation']);
    expect(records[records.length - 1]).toEqual({ type: 'violation', seq: records.length - 2, property: v.property, message: v.message });
    expect(records.map((r) => (r.type === 'header' ? -1 : r.seq))).toEqual(records.map((_, i) => i - 1));
    expect(records.filter((r) => r.type === 'call' && r.phase === 'start').map((r) => (r as { api: string }).api)).toEqual(['powerOn', 'suspend', 'save']);
  });

  it('replays to the same violation text', () => {
    const replay = replayTrace(v.text);
    expect(replay.divergence).toBeNull();
    expect(replay.reproduced).toBe(true);
    expect(replay.steps).toBe(v.choices.length);
    expect(`${replay.violation!.property}: ${replay.violation!.message}`).toBe(`${v.property}: ${v.message}`);
  });

  it('notices a trace whose recorded actor is not the one that steps', () => {
    const choices = records.flatMap((r, i) => (r.type === 'choice' && r.choice.kind === 'step' && r.choice.of > 1 ? [i] : []));
    const at = choices[choices.length - 1]!;
    const tampered = records.map((r, i) => (i === at && r.type === 'choice' && r.choice.kind === 'step' ? { ...r, choice: { ...r.choice, actor: 'client.Z' } } : r)) as TraceRecord[];
    const replay = replayRecords(tampered);
    expect(replay.divergence).toMatch(/the trace says client\.Z/);
    expect(replay.reproduced).toBe(false);
  });

  it('refuses a mutant trace unless given the same broken engine', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'stop-on-error-ignored')!;
    const found = await explore(mutant.scenario, { engine: mutant.engine, mutant: mutant.name });
    const text = found.violations[0]!.text;
    expect(() => replayTrace(text)).toThrow("this trace comes from the test-only mutant 'stop-on-error-ignored'");
    expect(replayTrace(text, { engine: mutant.engine }).reproduced).toBe(true);
  });

  it('refuses traces that are not checker traces', () => {
    const demo = '{"type":"header","format":"vmm-actors-trace","version":1,"source":"demo","setup":{}}\n';
    expect(() => replayTrace(demo)).toThrow("trace source is 'demo', not 'check'");
  });
});
