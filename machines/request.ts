/**
 * VMREQ packet life (VMReq.cpp, vbox-facts.md §5): ALLOCATED → QUEUED → PROCESSING → COMPLETED → FREE, and
 * INVALID for packets killed at VM destruction. A packet is data moved by the queues, not a spawned actor:
 * thousands live at once and each costs a state name, not an actor.
 */
import { setup } from 'xstate';

export const VMREQ_STATES = ['INVALID', 'ALLOCATED', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FREE'] as const;
export type VmReqState = (typeof VMREQ_STATES)[number];

export type VmReqEvent =
  | { type: 'queue' } // VMR3ReqQueue (also the inline path, which marks it QUEUED first)
  | { type: 'process' } // vmR3ReqProcessOne: QUEUED → PROCESSING
  | { type: 'complete' } // iStatus set, waiter signalled
  | { type: 'free' } // VMR3ReqFree: only from ALLOCATED or COMPLETED
  | { type: 'recycle' } // VMR3ReqAlloc takes the packet off a free list
  | { type: 'requeue' } // ALL / ALL_REVERSE: reset to ALLOCATED for the next CPU
  | { type: 'kill' }; // vmR3DestroyUVM: VERR_VM_REQUEST_KILLED, state INVALID

export const requestSetup = setup({ types: { events: {} as VmReqEvent } });

export const requestMachine = requestSetup.createMachine({
  id: 'request',
  initial: 'ALLOCATED',
  states: {
    ALLOCATED: { on: { queue: 'QUEUED', free: 'FREE' } },
    QUEUED: { on: { process: 'PROCESSING', kill: 'INVALID' } },
    PROCESSING: { on: { complete: 'COMPLETED' } },
    COMPLETED: { on: { free: 'FREE', requeue: 'ALLOCATED' } },
    FREE: { on: { recycle: 'ALLOCATED' } },
    INVALID: {},
  },
});
