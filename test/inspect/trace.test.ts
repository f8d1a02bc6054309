/**
 * Goal: `--trace` records the inspection stream with the scheduler's choices, so that the run can be
 * reproduced exactly and replayed into any inspector; checker counterexamples (engine events and choices, no
 * inspection records) replay through the same path.
 * Method: the demo recorded to a temporary file, reproduced from the trace's header and choices and compared;
 * a tampered choice must make the comparison fail. Replays are compared record by record with the live run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVMM } from '../../src/api/vmm.js';
import { demoRunner } from '../../src/cli/commands/record-command.js';
import { TraceRecorder } from '../../src/inspect/recorder.js';
import { choicesOf, inspectionOf, readTrace, replayTrace, traceHeader } from '../../src/inspect/replayer.js';
import { compareTraces, reproduceRun } from '../../src/inspect/reproduce.js';
import { formatTrace, parseTrace, TRACE_FORMAT, type TraceRecord } from '../../src/inspect/trace-format.js';
import type { InspectionRecord } from '../../src/inspect/records.js';
import { collect, comparable, lifecycle } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmm-trace-'));
const setup = { cpus: 3, seed: 11, clock: 'virtual' };

describe('trace recorder (--trace)', () => {
  it('writes a header, then choices and inspection records interleaved in the order they happened', async () => {
    const recorder = new TraceRecorder({ source: 'test', setup: { cpus: 2 } });
    const { vmm } = await lifecycle(recorder);
    const trace = parseTrace(recorder.toJsonl());
    expect(trace[0]).toEqual({ type: 'header', format: TRACE_FORMAT, version: 1, source: 'test', setup: { cpus: 2 } });
    expect(trace.slice(1).map((r) => (r.type === 'header' ? -1 : r.seq))).toEqual(trace.slice(1).map((_, i) => i));
    const choices = trace.flatMap((r) => (r.type === 'choice' ? [r.choice] : []));
    expect(choices).toEqual(vmm.sched.choices);
    // A step's records come after the choice that picked the stepping actor.
    const firstVmStep = trace.findIndex((r) => r.type === 'inspect' && r.event.type === '@xstate.snapshot' && r.event.actorId === 'vm.1');
    const lastChoice = trace.slice(0, firstVmStep).reverse().find((r) => r.type === 'choice');
    expect(lastChoice?.type === 'choice' && lastChoice.choice).toMatchObject({ kind: 'step', actor: 'vm.1/emt.0' });
  });

  it('streams to a file as the run goes; the file parses to the same records', async () => {
    const file = join(dir, 'file.jsonl');
    const memory = new TraceRecorder({ source: 'test', setup });
    const onDisk = new TraceRecorder({ source: 'test', setup, file });
    await demoRunner({ setup, inspect: [memory, onDisk] });
    onDisk.close();
    expect(readTrace(file)).toEqual(memory.records);
    expect(onDisk.count).toBe(memory.records.length);
  });

  it('reproduces a recorded demo exactly from its header and choices (record --from)', async () => {
    const original = join(dir, 'original.jsonl');
    const again = join(dir, 'again.jsonl');
    await reproduceRun({ out: original, run: demoRunner, setup });
    await reproduceRun({ out: again, run: demoRunner, from: original });
    expect(traceHeader(readTrace(again)).setup).toEqual(setup);
    expect(compareTraces(original, again)).toBeNull();
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(original, 'utf8'));
  });

  it('notices a reproduction that went another way (a tampered choice)', async () => {
    const original = join(dir, 'tamper-original.jsonl');
    const tampered = join(dir, 'tampered.jsonl');
    const again = join(dir, 'tamper-again.jsonl');
    await reproduceRun({ out: original, run: demoRunner, setup });
    const trace = readTrace(original);
    const choice = trace.findIndex((r) => r.type === 'choice' && r.choice.kind === 'step' && r.choice.of > 1 && r.choice.index === 0);
    const record = trace[choice]!;
    if (record.type !== 'choice' || record.choice.kind !== 'step') throw new Error('no choice to tamper with');
    trace[choice] = { ...record, choice: { ...record.choice, index: 1 } };
    writeFileSync(tampered, formatTrace(trace));
    await reproduceRun({ out: again, run: demoRunner, from: tampered });
    expect(compareTraces(original, again)).toMatch(/^record \d+: /);
  });

  it('refuses to reproduce a real-time run', async () => {
    const file = join(dir, 'real.jsonl');
    writeFileSync(file, formatTrace([{ type: 'header', format: TRACE_FORMAT, version: 1, source: 'demo', setup: { cpus: 2, seed: 1, clock: 'real' } }]));
    await expect(reproduceRun({ out: join(dir, 'x.jsonl'), run: demoRunner, from: file })).rejects.toThrow(/real-time run cannot be reproduced/);
  });

  it('names the line of a broken trace', () => {
    const file = join(dir, 'broken.jsonl');
    writeFileSync(file, `${JSON.stringify({ type: 'header', format: TRACE_FORMAT, version: 1, source: 'x', setup: {} })}\n{oops\n`);
    expect(() => readTrace(file)).toThrow(`${file}:2: not JSON`);
  });
});

describe('replayer (vmm-actors view / replay of a trace)', () => {
  it('feeds a recorded trace back into an inspector record for record', async () => {
    const recorder = new TraceRecorder({ source: 'test', setup: {} });
    const live = collect();
    await lifecycle([recorder, live.sink]);
    const replayed = collect();
    replayTrace(recorder.records, replayed.sink);
    expect(replayed.records).toEqual(live.records);
    expect(inspectionOf(recorder.records)).toEqual(live.records);
  });

  it('converts a v5 recording for a v6 inspector', async () => {
    const recorder = new TraceRecorder({ source: 'test', setup: {} });
    const v6 = collect('v6');
    await lifecycle([recorder, v6.sink]);
    expect(inspectionOf(recorder.records, 'v6').map(comparable)).toEqual(v6.records.map(comparable));
  });

  it('derives the inspection of a counterexample-style trace (engine events and choices only)', async () => {
    const trace: TraceRecord[] = [{ type: 'header', format: TRACE_FORMAT, version: 1, source: 'check', setup: {} }];
    let seq = 0;
    const live = collect();
    const vmm = createVMM({ inspect: live.sink });
    const previous = vmm.sched.onChoice!;
    vmm.sched.onChoice = (choice) => {
      trace.push({ type: 'choice', seq: seq++, choice });
      previous(choice);
    };
    const vm = await vmm.create({ cpus: 2 });
    vm.core.listeners.add((event) => trace.push({ type: 'event', seq: seq++, vm: 1, event }));
    await vm.powerOn();
    await vm.powerOff();
    vmm.dispose();
    const derived = inspectionOf(trace);
    expect(choicesOf(trace).length).toBeGreaterThan(10);
    // Derived records announce actors lazily; every step record is the live one, without live-only contexts.
    const steps = (records: InspectionRecord[]) => records.filter((r) => r.type !== '@xstate.actor').map(comparable);
    const liveSteps = steps(live.records);
    expect(steps(derived)).toEqual(liveSteps.slice(liveSteps.length - steps(derived).length));
  });
});
