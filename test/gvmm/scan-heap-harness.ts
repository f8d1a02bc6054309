/**
 * The harness of the scan/heap property test: random GVMM setups and operations, and a player that runs
 * them on one GVMM playing the EMTs (running → blocked in GVMM → woken → running again through
 * schedHaltDone), logging one line per operation.
 */
import fc from 'fast-check';
import { GVMM_HALT_BLOCKED } from '../../src/gvmm/sched.js';
import { gvmmRig } from './support.js';

export type Op =
  | { op: 'halt'; vm: number; cpu: number; deltaNs: number }
  | { op: 'wake'; vm: number; cpu: number }
  | { op: 'poke'; vm: number; cpu: number; exec: boolean }
  | { op: 'poll'; vm: number; cpu: number }
  | { op: 'run'; vm: number; cpu: number }
  | { op: 'advance'; dtNs: number };

export interface Setup {
  cpus: number[];
  fidelity: 'intended' | 'as-written';
  ew1: number;
  ew2: number;
  minSleep: number;
  ops: Op[];
}

const target = { vm: fc.nat(3), cpu: fc.nat(3) };
// Multiples of 5 µs, so expiries often land exactly on now, now + EW1 and now + EW2.
const steps = (min: number, max: number, unit: number) => fc.integer({ min, max }).map((n) => n * unit);
const deltaNs = fc.oneof(
  { weight: 4, arbitrary: steps(-4, 30, 5_000) },
  { weight: 1, arbitrary: steps(0, 2_500, 1_000_000) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 120_000 }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('halt' as const), ...target, deltaNs }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('wake' as const), ...target }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('poke' as const), ...target, exec: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('poll' as const), ...target }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('run' as const), ...target }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      dtNs: fc.oneof({ weight: 4, arbitrary: steps(0, 16, 5_000) }, { weight: 1, arbitrary: steps(0, 1_200, 1_000_000) }),
    }),
  },
);
export const setupArb: fc.Arbitrary<Setup> = fc.record({
  cpus: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
  // Mostly settings under which early wake-ups run (as written they never do, see sched.ts).
  fidelity: fc.constantFrom('intended' as const, 'intended' as const, 'intended' as const, 'as-written' as const),
  ew1: fc.constantFrom(0, 10_000, 25_000, 25_000),
  ew2: fc.constantFrom(0, 30_000, 50_000, 50_000, 200_000),
  minSleep: fc.constantFrom(0, 15_000, 15_000, 750_000),
  ops: fc.array(opArb, { maxLength: 80 }),
});

/** Play the operations on one GVMM; the log has one line per operation. */
export function play(index: 'scan' | 'heap', setup: Setup): string[] {
  const rig = gvmmRig({
    wakeUpIndex: index,
    fidelity: setup.fidelity,
    config: { '/GVMM/EarlyWakeUp1': setup.ew1, '/GVMM/EarlyWakeUp2': setup.ew2, '/GVMM/MinSleepCompany': setup.minSleep, '/GVMM/MinSleepAlone': setup.minSleep },
  });
  const vms = setup.cpus.map((n) => rig.addVm(n));
  const emt = vms.map((vm) => new Array<'running' | 'blocked' | 'woken'>(vm.cpus).fill('running'));
  const woken: string[] = [];
  const log: string[] = [];
  for (const op of setup.ops) {
    let rc: number | string = '-';
    if (op.op === 'advance') rig.advanceTo(rig.sched.clock.nowNs() + op.dtNs);
    else {
      const vm = vms[op.vm % vms.length]!;
      const cpu = op.cpu % vm.cpus;
      const state = emt[vms.indexOf(vm)]!;
      if (op.op === 'halt' && state[cpu] === 'running') {
        const now = rig.sched.clock.nowNs();
        rc = rig.gvmm.schedHalt(vm.handle, cpu, vm.emt(cpu), Math.max(0, now + op.deltaNs), () => {
          state[cpu] = 'woken';
          woken.push(`${vm.handle}.${cpu}@${rig.sched.clock.nowNs()}`);
        });
        if (rc === GVMM_HALT_BLOCKED && state[cpu] === 'running') state[cpu] = 'blocked';
      } else if (op.op === 'wake') rc = rig.gvmm.schedWakeUp(vm.handle, cpu);
      else if (op.op === 'poke') {
        vm.cpuStates[cpu] = op.exec && state[cpu] === 'running' ? 'STARTED_EXEC' : 'STARTED';
        rc = rig.gvmm.schedPoke(vm.handle, cpu);
      } else if (op.op === 'poll' && state[cpu] === 'running') rc = rig.gvmm.schedPoll(vm.handle, cpu, vm.emt(cpu), false);
      else if (op.op === 'run' && state[cpu] !== 'running') {
        rc = rig.gvmm.schedHaltDone(vm.handle, cpu);
        state[cpu] = 'running';
      }
    }
    const s = rig.gvmm.queryStatistics().schedSum;
    log.push(`${JSON.stringify(op)} rc=${rc} woken=[${woken.splice(0).sort().join(' ')}] stats=${Object.values(s).join(',')} ` +
      `halted=${rig.gvmm.cHaltedEMTs} next=${rig.gvmm.uNsNextEmtWakeup} pokes=${vms.map((v) => v.pokes.join('')).join('/')}`);
  }
  return log;
}
