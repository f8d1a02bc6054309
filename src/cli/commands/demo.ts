/**
 * `vmm-actors demo`: a 4-vCPU VM driven through create → powerOn → suspend → resume → reset → powerOff →
 * destroy, printing every VM and vCPU state change with its GIP time and the thread that made it; then a
 * suspend ∥ powerOff race on a second VM, where try-set-state decides the winner.
 */
import { createVMM } from '../../api/vmm.js';
import type { VM } from '../../api/vm.js';
import { demoGuest } from '../../guest/demo-guest.js';
import { formatHaltReport } from '../../vmm/halt/report.js';
import { DEMO_RAM, runSaveRestoreStep } from './teleport-demo-step.js';
import { isVBoxError, statusName } from '../../status.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';
import type { InspectorInput } from '../../inspect/inspector.js';
import type { ChoicePolicy } from '../../sched/deterministic.js';

export interface DemoOptions {
  cpus: number;
  seed: number;
  clock: 'virtual' | 'real';
  quiet?: boolean;
  /** Inspectors (trace recorder, websocket stream, Stately inspector); see src/inspect/demo-inspection.ts. */
  inspect?: InspectorInput | undefined;
  /** Overrides the seed: e.g. replay a recorded trace's choices (`record --from`). */
  policy?: ChoicePolicy;
}

const fmtTime = (ns: number) => `${(ns / 1e6).toFixed(3).padStart(9)} ms`;
/** A VM as the demo prints it: its config Name and handle, since GVMM hands a destroyed VM's handle to the next. */
export const vmLabel = (vm: VM): string => `${vm.name} vm.${vm.handle}`;

export async function runDemo(options: DemoOptions, out: (line: string) => void = console.log): Promise<number> {
  const guest = demoGuest();
  const vmm = createVMM({
    clock: options.clock, seed: options.seed, hooks: guest,
    ...(options.inspect ? { inspect: options.inspect } : {}), ...(options.policy ? { policy: options.policy } : {}),
  });
  const print = (vm: VM) => (e: VmTraceEvent) => {
    if (e.kind === 'state') out(`${fmtTime(e.tNs)}  ${vmLabel(vm).padEnd(15)} ${e.from.padEnd(14)} -> ${e.to.padEnd(14)} by ${e.by}`);
    else if (e.kind === 'cpu-state' && !options.quiet && (e.from === 'STOPPED' || e.to === 'STOPPED')) {
      out(`${fmtTime(e.tNs)}  ${`${vmLabel(vm)}/cpu.${e.cpu}`.padEnd(15)} ${e.from.padEnd(14)} -> ${e.to.padEnd(14)} by emt.${e.cpu}`);
    }
  };
  const pause = () => vmm.advance(5_000_000); // let the guest run for 5 ms of GIP time

  out(`vmm-actors demo: ${options.cpus} vCPUs, ${options.clock} clock, seed ${options.seed}`);
  const vm = await vmm.create({ cpus: options.cpus, config: { NumCPUs: options.cpus, Name: 'demo' }, ram: DEMO_RAM });
  vm.events$.subscribe(print(vm));
  out(`${fmtTime(vmm.clock.nowNs())}  ${vmLabel(vm).padEnd(15)} created (${vm.state})`);
  let halts = 0;
  vm.events$.subscribe((e) => {
    if (e.kind === 'cpu-state' && e.to === 'STARTED_HALTED') halts++;
  });
  for (const step of ['powerOn', 'suspend', 'resume', 'reset', 'powerOff', 'destroy'] as const) {
    out(`--- ${step}()`);
    await vm[step]();
    if (step !== 'destroy' && step !== 'powerOff') await pause();
    if (step === 'powerOff') for (const line of formatHaltReport(vmm.gvmm, vm.core, guest.counters(vm.handle))) out(line);
    if (step === 'reset') {
      out('--- save() live, loadFromFile() into a fresh VM, resume() it');
      await runSaveRestoreStep(vmm, vm, out);
    }
  }
  out(`guest halts while running: ${halts}`);

  out('--- race: suspend() ∥ powerOff() on a running VM; try-set-state picks the winner');
  const racer = await vmm.create({ cpus: options.cpus, config: { NumCPUs: options.cpus, Name: 'race' } });
  const reused = racer.handle === vm.handle ? `; GVMM reused the handle of the destroyed '${vm.name}' VM` : '';
  out(`${fmtTime(vmm.clock.nowNs())}  ${vmLabel(racer).padEnd(15)} created (${racer.state})${reused}`);
  racer.events$.subscribe(print(racer));
  await racer.powerOn();
  await pause();
  const [suspend, powerOff] = await Promise.allSettled([racer.suspend(), racer.powerOff()]);
  for (const [name, result] of [['suspend', suspend], ['powerOff', powerOff]] as const) {
    if (result.status === 'fulfilled') out(`    ${name}() -> ${statusName(result.value)} (success)`);
    else out(`    ${name}() -> ${isVBoxError(result.reason) ? `${result.reason.name} (${result.reason.rc}): ${result.reason.message}` : String(result.reason)}`);
  }
  out(`    final state: ${racer.state}`);
  if (racer.state !== 'OFF') await racer.powerOff();
  await racer.destroy();
  out(`done at ${fmtTime(vmm.clock.nowNs())}; scheduler steps recorded: ${vmm.sched.choices.length}`);
  vmm.dispose();
  return 0;
}
