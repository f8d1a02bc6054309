/**
 * VMCPUSTATE — one virtual CPU's state (vm.h, vbox-facts.md §2).
 *
 * STOPPED → STARTED in the power-on rendezvous and back in the power-off one, on every EMT; reset leaves it
 * alone. While VMR3WaitHalted runs the state is STARTED_HALTED and the previous one comes back afterwards;
 * STARTED_EXEC marks guest code running (the only state a poke reaches, GVMMR0SchedPoke).
 */
import { setup } from 'xstate';

export const VMCPU_STATES = [
  'INVALID', 'STOPPED', 'STARTED', 'STARTED_HM', 'STARTED_EXEC', 'STARTED_EXEC_NEM', 'STARTED_EXEC_NEM_WAIT',
  'STARTED_EXEC_NEM_CANCELED', 'STARTED_HALTED', 'END',
] as const;

export type VmCpuState = (typeof VMCPU_STATES)[number];

export type VmCpuEvent =
  | { type: 'start' } // vmR3PowerOn on each EMT
  | { type: 'stop' } // vmR3PowerOff on each EMT
  | { type: 'execEnter' } // EMR3ExecuteVM enters guest code
  | { type: 'execLeave' }
  | { type: 'haltEnter' } // VMR3WaitHalted
  | { type: 'haltLeave' };

/** VMCPUSTATE_IS_STARTED: anything past STOPPED. */
export const isCpuStarted = (state: VmCpuState): boolean => VMCPU_STATES.indexOf(state) > 1 && state !== 'END';

export const vmcpuSetup = setup({ types: { events: {} as VmCpuEvent } });

export const vmcpuMachine = vmcpuSetup.createMachine({
  id: 'vmcpu',
  // GVMMR0CreateVM sets every vCPU STOPPED.
  initial: 'STOPPED',
  states: {
    INVALID: {},
    STOPPED: { on: { start: 'STARTED' } },
    STARTED: { on: { stop: 'STOPPED', execEnter: 'STARTED_EXEC', haltEnter: 'STARTED_HALTED' } },
    STARTED_HM: { on: { stop: 'STOPPED' } },
    // Guest code runs here; leaving goes back to STARTED. Power-off stops the CPU from the EMT loop only.
    STARTED_EXEC: { on: { execLeave: 'STARTED' } },
    STARTED_EXEC_NEM: { on: { execLeave: 'STARTED' } },
    STARTED_EXEC_NEM_WAIT: { on: { execLeave: 'STARTED' } },
    STARTED_EXEC_NEM_CANCELED: { on: { execLeave: 'STARTED' } },
    // VMR3WaitHalted restores the state it found (STARTED here).
    STARTED_HALTED: { on: { haltLeave: 'STARTED' } },
    END: { type: 'final' },
  },
});
