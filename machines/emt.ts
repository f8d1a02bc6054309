/**
 * One emulation thread (vmR3EmulationThreadWithId, VMEmt.cpp; vbox-facts.md §4.1).
 *
 * The loop's priority order is the `poll` transition list of `waiting`: terminate, rendezvous, global
 * requests, own requests, reset, guest execution, otherwise keep waiting. The runtime builds the poll event
 * from the force flags and queues; the machine decides, so the order is an inspectable edge list. Each branch
 * state returns to `waiting` with `stepDone`, where the next poll happens.
 */
import { setup } from 'xstate';

export type EmtEvent =
  | {
      type: 'poll';
      terminate: boolean; // fTerminateEMT
      rendezvous: boolean; // VM_FF_EMT_RENDEZVOUS and this EMT has not joined yet
      globalRequests: boolean; // global queue non-empty (any EMT in the normal phase, EMT(0) only early)
      ownRequests: boolean; // this CPU's queue non-empty
      reset: boolean; // VM_FF_RESET (test and clear)
      executeGuest: boolean; // VM RUNNING, vCPU started, and a guest to run
    }
  | { type: 'stepDone'; terminate: boolean }; // terminate: rc was VINF_EM_TERMINATE or fTerminateEMT is set

export const EMT_STATES = [
  'waiting', 'rendezvous', 'processingGlobal', 'processingOwn', 'resetting', 'executing', 'terminated',
] as const;
export type EmtState = (typeof EMT_STATES)[number];

const pollFlag = (flag: Exclude<keyof Extract<EmtEvent, { type: 'poll' }>, 'type'>) =>
  ({ event }: { event: EmtEvent }) => event.type === 'poll' && event[flag];

export const emtSetup = setup({
  types: { events: {} as EmtEvent },
  guards: {
    terminateRequested: pollFlag('terminate'),
    rendezvousPending: pollFlag('rendezvous'),
    hasGlobalRequests: pollFlag('globalRequests'),
    hasOwnRequests: pollFlag('ownRequests'),
    resetPending: pollFlag('reset'),
    mayExecuteGuest: pollFlag('executeGuest'),
    mustExit: ({ event }) => event.type === 'stepDone' && event.terminate,
  },
});

/** After each step: leave the loop on VINF_EM_TERMINATE or fTerminateEMT, else wait/poll again. */
const afterStep = [{ guard: 'mustExit', target: 'terminated' }, { target: 'waiting' }] as const;

export const emtMachine = emtSetup.createMachine({
  id: 'emt',
  initial: 'waiting',
  states: {
    // VMR3WaitU: blocked until notified; a notification makes the EMT poll again.
    waiting: {
      on: {
        poll: [
          { guard: 'terminateRequested', target: 'terminated' },
          { guard: 'rendezvousPending', target: 'rendezvous' }, // VMMR3EmtRendezvousFF
          { guard: 'hasGlobalRequests', target: 'processingGlobal' }, // VMR3ReqProcessU(VMCPUID_ANY)
          { guard: 'hasOwnRequests', target: 'processingOwn' }, // VMR3ReqProcessU(idCpu)
          { guard: 'resetPending', target: 'resetting' }, // VMR3ResetFF
          { guard: 'mayExecuteGuest', target: 'executing' }, // EMR3ExecuteVM
          { target: 'waiting' },
        ],
      },
    },
    rendezvous: { on: { stepDone: afterStep } },
    processingGlobal: { on: { stepDone: afterStep } },
    processingOwn: { on: { stepDone: afterStep } },
    resetting: { on: { stepDone: afterStep } },
    executing: { on: { stepDone: afterStep } },
    // vmR3EmulationThreadWithId returned: EMT(0) sets TERMINATED, the others deregister.
    terminated: { type: 'final' },
  },
});
