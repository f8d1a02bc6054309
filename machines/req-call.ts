/**
 * An external thread's request call (VMR3ReqCallWaitU from a thread outside the VM, VMReq.cpp; vbox-facts.md
 * §5): allocate the packet, queue it, wait on its event (each wait bounded by cMillies), read iStatus and free
 * the packet. A timeout answers VERR_TIMEOUT while the packet lives on; the caller frees it when it completes.
 * NO_WAIT answers at once and leaves the packet to the EMT. VMCPUID_ALL / ALL_REVERSE queue the same packet to
 * each CPU in turn (waiting → allocated → waiting per leg). The packet's own life is machines/request.ts;
 * this is the caller's half, so every wait the thread sits in is a state here.
 */
import { setup } from 'xstate';

export type ReqCallEvent =
  | { type: 'alloc' } // VMR3ReqAlloc succeeded
  | { type: 'queue' } // VMR3ReqQueue, then wait on the packet's event
  | { type: 'queueNoWait' } // VMR3ReqQueue with NO_WAIT: VINF_SUCCESS at once
  | { type: 'nextCpu' } // ALL / ALL_REVERSE: a leg completed, the packet goes to the next CPU
  | { type: 'timeout' } // the wait's cMillies ran out: VERR_TIMEOUT, the packet lives on
  | { type: 'complete' }; // the packet's event was signalled for the last time (completed or killed)

export const reqCallSetup = setup({ types: { events: {} as ReqCallEvent } });

export const reqCallMachine = reqCallSetup.createMachine({
  id: 'reqCall',
  initial: 'idle',
  states: {
    idle: { on: { alloc: 'allocated' } },
    allocated: { on: { queue: 'waiting', queueNoWait: 'detached' } },
    // Blocked in VMR3ReqWait on the packet's event.
    waiting: { on: { nextCpu: 'allocated', timeout: 'timedOut', complete: 'done' } },
    // Answered VERR_TIMEOUT; the packet is still queued or running and is freed when it completes.
    timedOut: { on: { complete: 'done' } },
    // NO_WAIT: answered; the EMT frees the packet (a killed one still signals its event).
    detached: { on: { complete: 'done' } },
    done: { type: 'final' },
  },
});

export type ReqCallState = 'idle' | 'allocated' | 'waiting' | 'timedOut' | 'detached' | 'done';
