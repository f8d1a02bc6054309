/**
 * Re-enactment: a fresh VM (the log's vCPU count and halt method) on the engine's virtual clock is driven
 * through the calls the log implies, each at its logged time, and its VM state path is compared with the
 * log's: equal for a complete log, the log's a prefix of it for one that ends mid-life. Saves and restores
 * use real files in a temporary directory that is removed afterwards.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVBoxError, statusName } from '../status.js';
import { createVMM, type Vmm } from '../api/vmm.js';
import { VMSETRTERR_FLAGS_FATAL, VMSETRTERR_FLAGS_SUSPEND, type VM } from '../api/vm.js';
import type { VmTraceEvent } from '../vmm/vm-core.js';
import type { CallPlan, ObservedCall, PlannedCall } from './calls.js';
import type { LogStateChange } from './parser.js';

export interface Divergence {
  /** Log line of the first change that differs (null: the engine went further than a complete log, or a lead-in step). */
  line: number | null;
  /** Index in the path (states, CREATING = 0). */
  index: number;
  expected: string | null;
  actual: string | null;
  message: string;
}

export interface CallOutcome {
  api: ObservedCall['api'];
  args: unknown[];
  line: number;
  tNs: number;
  rc: number;
}

export interface Reenactment {
  result: 'identical' | 'diverged' | 'skipped';
  /** The engine VM's path (state names from CREATING). */
  states: string[];
  calls: CallOutcome[];
  /** The halt method the engine VM ended up with. */
  haltMethod: string | null;
  firstDivergence?: Divergence;
  /** Why it was skipped. */
  reason?: string;
  /** Everything the engine VM did (for the trace). */
  events: VmTraceEvent[];
  /** Observed changes that were not in the log but needed to reach its first state. */
  leadIn: number;
}

export interface ReenactInput {
  cpus: number;
  haltMethod: number | null;
  changes: readonly LogStateChange[];
  /** A log that ends in TERMINATED must be matched exactly, otherwise as a prefix. */
  complete: boolean;
}

/** Small guest RAM: re-enactment is about the control plane; the saved state stays a few hundred KiB. */
const RAM = { sizeBytes: 256 * 1024 };

export async function reenact(input: ReenactInput, plan: CallPlan): Promise<Reenactment> {
  const dir = mkdtempSync(join(tmpdir(), 'vmm-observe-'));
  const vmm = createVMM({ clock: 'virtual' });
  const events: VmTraceEvent[] = [];
  const calls: CallOutcome[] = [];
  let vm: VM | undefined;
  let failure: string | undefined;
  let wrongStatus: Divergence | undefined;
  try {
    const config = { NumCPUs: input.cpus, ...(input.haltMethod !== null ? { HaltMethod: input.haltMethod } : {}) };
    for (const [n, planned] of plan.calls.entries()) {
      const now = vmm.clock.nowNs();
      if (planned.tNs > now) await vmm.advance(planned.tNs - now);
      const outcome = await run(vmm, vm, planned, { config, cpus: input.cpus, dir, n, events, setVm: (v) => (vm = v) });
      calls.push(outcome);
      const { call } = planned;
      if (call.api === 'save' && call.failWith && outcome.rc !== call.failWith.rc && !wrongStatus) {
        const index = plan.leadIn.length + input.changes.findIndex((c) => c.line === planned.line) + 1;
        wrongStatus = {
          line: planned.line, index, expected: 'SAVING', actual: 'SAVING',
          message: `line ${planned.line}: the save failed with ${statusName(outcome.rc)} in the engine, ${statusName(call.failWith.rc)} in the log`,
        };
      }
      if (outcome.rc < 0 && !expectsFailure(call)) {
        failure = `${planned.call.api} (line ${planned.line}) failed with ${statusName(outcome.rc)}`;
        break;
      }
    }
  } finally {
    vmm.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  const states = pathOf(events);
  const haltEvent = events.findLast((e) => e.kind === 'halt-method');
  const base = { states, calls, events, haltMethod: haltEvent?.kind === 'halt-method' ? haltEvent.to : null, leadIn: plan.leadIn.length };
  const divergence = compare([...plan.leadIn, ...input.changes], states, input.complete, plan.leadIn.length);
  if (plan.unreproducible) {
    // A finding, not a fake: the engine's public API has no call that takes this edge.
    const c = plan.unreproducible;
    const index = plan.leadIn.length + input.changes.indexOf(c) + 1;
    return {
      ...base, result: 'diverged',
      firstDivergence: { line: c.line, index, expected: c.to, actual: states[index] ?? null, message: `line ${c.line}: no public API call takes ${c.from} -> ${c.to} (the engine stopped in ${states.at(-1) ?? 'nothing'})` },
    };
  }
  if (divergence) {
    if (failure) divergence.message += `; ${failure}`;
    return { ...base, result: 'diverged', firstDivergence: divergence };
  }
  if (wrongStatus) return { ...base, result: 'diverged', firstDivergence: wrongStatus };
  return { ...base, result: 'identical' };
}

const expectsFailure = (call: ObservedCall) => (call.api === 'save' && call.failWith !== undefined) || (call.api === 'loadFromFile' && call.fails);

interface RunContext {
  config: { NumCPUs: number; HaltMethod?: number };
  cpus: number;
  dir: string;
  n: number;
  events: VmTraceEvent[];
  setVm(vm: VM): void;
}

/** One call; a VBoxError becomes its status (the comparison decides whether that was right). */
async function run(vmm: Vmm, vm: VM | undefined, planned: PlannedCall, ctx: RunContext): Promise<CallOutcome> {
  const { call } = planned;
  const outcome = (rc: number, args: unknown[] = []): CallOutcome => ({ api: call.api, args, line: planned.line, tNs: planned.tNs, rc });
  try {
    if (call.api === 'create') {
      let rc = 0;
      const created = vmm.createThen({ cpus: ctx.cpus, config: ctx.config, ram: RAM }, (status) => (rc = status));
      created.events$.subscribe((e) => ctx.events.push(e));
      ctx.setVm(created);
      await vmm.runUntilIdle();
      return outcome(rc, [ctx.cpus]);
    }
    if (!vm) return outcome(-1);
    const file = join(ctx.dir, `${ctx.n}.sav`);
    /** The temporary directory is gone afterwards: the report names the file without it. */
    const shown = `<tmp>/${ctx.n}.sav`;
    switch (call.api) {
      case 'powerOn': return outcome(await vm.powerOn());
      case 'suspend': return outcome(await vm.suspend(call.reason), [call.reason]);
      case 'resume': return outcome(await vm.resume(call.reason), [call.reason]);
      case 'reset': return outcome(await vm.reset());
      case 'softReset': return outcome(await vm.softReset());
      case 'powerOff': return outcome(await vm.powerOff());
      case 'destroy': return outcome(await vm.destroy());
      case 'setGuruMeditation': return outcome((await vm.setGuruMeditation()) ? 0 : -1);
      case 'setRuntimeError': {
        const flags = call.fatal ? VMSETRTERR_FLAGS_FATAL : VMSETRTERR_FLAGS_SUSPEND;
        return outcome(await vm.setRuntimeError(flags, call.errorId, `observed in the log: ${call.errorId}`), [flags, call.errorId]);
      }
      case 'liveSave':
        return outcome((await vm.save(file)).rc, [shown]);
      case 'save': {
        if (!call.failWith) return outcome((await vm.save(file)).rc, [shown]);
        // The failure as a unit whose save callback returns the logged status (public API, no engine fault).
        const status = call.failWith.rc;
        vm.registerUnit({ name: 'observe-failed-save', version: 1, saveExec: () => status });
        const args = [shown, statusName(status)];
        try {
          return outcome((await vm.save(file)).rc, args);
        } catch (error) {
          if (isVBoxError(error)) return outcome(error.rc, args);
          throw error;
        } finally {
          vm.deregisterUnit('observe-failed-save');
        }
      }
      case 'loadFromFile': {
        await writeSavedState(file, ctx, call.fails);
        return outcome(await vm.loadFromFile(file), [shown]);
      }
    }
  } catch (error) {
    if (isVBoxError(error)) return outcome(error.rc);
    throw error;
  }
}

/** A saved state to restore: written by a donor VM of the same shape in its own engine; cut short to fail. */
async function writeSavedState(file: string, ctx: RunContext, damaged: boolean): Promise<void> {
  const donorEngine = createVMM({ clock: 'virtual' });
  try {
    const donor = await donorEngine.create({ cpus: ctx.cpus, config: ctx.config, ram: RAM });
    await donor.powerOn();
    await donor.suspend();
    await donor.save(file);
    await donor.powerOff();
    await donor.destroy();
  } finally {
    donorEngine.dispose();
  }
  if (damaged) {
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  }
}

/** The state names a VM went through. */
export function pathOf(events: readonly VmTraceEvent[]): string[] {
  const states: string[] = [];
  for (const e of events) {
    if (e.kind !== 'state') continue;
    if (states.length === 0) states.push(e.from);
    states.push(e.to);
  }
  return states;
}

/** First difference between the log's path (lead-in included) and the engine's. */
function compare(expected: readonly LogStateChange[], actual: readonly string[], complete: boolean, leadIn: number): Divergence | undefined {
  const want = expected.length === 0 ? [] : [expected[0]!.from, ...expected.map((c) => c.to)];
  for (let i = 0; i < want.length; i++) {
    if (actual[i] === want[i]) continue;
    const change = i > 0 ? expected[i - 1] : undefined;
    const where = change && change.line > 0 ? `line ${change.line}` : i <= leadIn ? 'the lead-in to the excerpt' : 'the start';
    return {
      line: change && change.line > 0 ? change.line : null, index: i, expected: want[i]!, actual: actual[i] ?? null,
      message: `${where}: the log goes to ${want[i]}, the engine ${actual[i] === undefined ? `stopped in ${actual[i - 1] ?? 'nothing'}` : `went to ${actual[i]}`}`,
    };
  }
  if (complete && actual.length > want.length) {
    return { line: null, index: want.length, expected: null, actual: actual[want.length]!, message: `the log ends in ${want.at(-1)}, the engine went on to ${actual[want.length]}` };
  }
  return undefined;
}
