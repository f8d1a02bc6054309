/**
 * User callbacks that fail never freeze the engine (issue 15 item 1).
 *
 * Goal: every kind of embedder callback — request and rendezvous callbacks, at-state / at-error /
 * at-runtime-error callbacks, the guest, halt, wait, notify and exit hooks, components, SSM unit and progress
 * callbacks — that throws, returns a value that is not a status, or returns a promise becomes a VBoxError
 * (UserCallbackError: the status, the callback named, the original error as `cause`) on the API call that ran
 * it, or in `vm.events$` where no call can carry it; the protocol around it finishes (a rendezvous merges the failure, STOP_ON_ERROR stops the others) and the
 * VM can still be powered off and destroyed.
 *
 * Method: a table of kinds × {throws, bad return, async} × {virtual, real clock}. Expected statuses are the
 * documented mapping (src/vmm/user-callback.ts): a thrown Error → VERR_INTERNAL_ERROR, a thrown VBoxError → its
 * own status, a promise → VERR_NOT_SUPPORTED, a non-status → VERR_IPE_UNEXPECTED_STATUS. VirtualBox's at-state,
 * at-error, at-runtime-error and exit callbacks return void, so any value but a promise is accepted there. The
 * async rows return a promise that rejects later, so a swallowed rejection is checked too (vitest fails a run
 * with an unhandled rejection or uncaught exception). Before the change every row hung or crashed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVMM, UserCallbackError, type EmtHooks, type VM, type VmComponents, type VmTraceEvent } from '../../src/index.js';
import { vmR3NotifyCpuFF } from '../../src/vmm/halt/notify.js';
import {
  VBoxError, VERR_INTERNAL_ERROR, VERR_IPE_UNEXPECTED_STATUS, VERR_NOT_SUPPORTED, VERR_SSM_UNIT_NOT_FOUND, VERR_VM_INVALID_VM_STATE,
  VINF_EM_SUSPEND,
} from '../../src/status.js';

type Bad = (...args: unknown[]) => unknown;
type Failure = 'throws' | 'throws VBoxError' | 'bad return' | 'async';

const boom = new Error('boom');
const boomStatus = new VBoxError(VERR_SSM_UNIT_NOT_FOUND, 'a status of my own');

const FAILURES: Record<Failure, { bad: Bad; rc: number; cause?: unknown }> = {
  throws: { bad: () => { throw boom; }, rc: VERR_INTERNAL_ERROR, cause: boom },
  'throws VBoxError': { bad: () => { throw boomStatus; }, rc: VERR_SSM_UNIT_NOT_FOUND, cause: boomStatus },
  'bad return': { bad: () => 'not a status', rc: VERR_IPE_UNEXPECTED_STATUS },
  async: { bad: async () => { throw new Error('rejected later'); }, rc: VERR_NOT_SUPPORTED },
};

const dir = mkdtempSync(join(tmpdir(), 'vmm-user-callbacks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Kind {
  name: string;
  /** Text the failed callback's name contains. */
  callback: string;
  /** Where the error goes: the API call that ran the callback, or events$ (no call can carry it). */
  to: 'call' | 'events';
  /** A void callback in VirtualBox: any value but a promise is accepted. */
  void?: boolean;
  hooks?: (bad: Bad) => EmtHooks;
  components?: (bad: Bad) => Partial<VmComponents>;
  /** Run the API call that runs the callback; `bad` counts its runs. */
  run(vm: VM, bad: Bad): Promise<unknown>;
  /** What else must hold after a failure (state, how many callbacks ran). */
  after?(vm: VM, runs: number): void;
  /** The call rejects with VMSetError's own text (this), the UserCallbackError as its cause. */
  under?: string;
  /** The call's own answer when the error goes to events$. */
  answer?: { rc: number } | { resolves: unknown };
}

const KINDS: Kind[] = [
  { name: 'reqCallWait callback', callback: 'request callback', to: 'call', run: (vm, bad) => vm.reqCallWait(1, bad as never) },
  {
    name: 'rendezvous callback (ONCE)', callback: 'rendezvous callback', to: 'call',
    run: (vm, bad) => vm.emtRendezvous({ type: 'once' }, bad as never),
    after: (_vm, runs) => expect(runs).toBe(1),
  },
  {
    name: 'rendezvous callback (DESCENDING | STOP_ON_ERROR)', callback: 'rendezvous callback', to: 'call',
    run: (vm, bad) => vm.emtRendezvous({ type: 'descending', stopOnError: true }, bad as never),
    after: (_vm, runs) => expect(runs).toBe(1), // the first failure stops the other EMT's callback
  },
  {
    name: 'rendezvous callback (ALL_AT_ONCE)', callback: 'rendezvous callback', to: 'call',
    run: (vm, bad) => vm.emtRendezvous({ type: 'all-at-once' }, bad as never),
    after: (_vm, runs) => expect(runs).toBe(2), // no STOP_ON_ERROR: every EMT runs it, the failures merge
  },
  {
    name: 'at-runtime-error callback', callback: 'at-runtime-error callback', to: 'call', void: true,
    run: (vm, bad) => {
      vm.atRuntimeError(bad);
      return vm.setRuntimeError(0, 'TestError', 'a runtime error');
    },
  },
  {
    name: 'SSM unit callback (saveExec)', callback: "SSM unit 'embedder'", to: 'call',
    run: async (vm, bad) => {
      vm.registerUnit({ name: 'embedder', version: 1, saveExec: bad as never });
      await vm.powerOn();
      await vm.suspend();
      return vm.save(join(dir, `${Math.random().toString(36).slice(2)}.sav`));
    },
  },
  {
    name: 'SSM unit callback (loadExec)', callback: "SSM unit 'embedder'", to: 'call', under: "Failed to load unit 'embedder'",
    run: async (vm, bad) => {
      const path = join(dir, `${Math.random().toString(36).slice(2)}.sav`);
      vm.registerUnit({ name: 'embedder', version: 1, saveExec: () => 0 });
      await vm.powerOn();
      await vm.suspend();
      await vm.save(path);
      vm.deregisterUnit('embedder');
      vm.registerUnit({ name: 'embedder', version: 1, loadExec: bad as never });
      return vm.loadFromFile(path);
    },
    after: (vm) => expect(vm.state).toBe('LOAD_FAILURE'),
  },
  {
    name: 'save onProgress callback', callback: 'onProgress callback', to: 'events', void: true,
    answer: { resolves: expect.objectContaining({ rc: 0, live: true }) }, // pfnProgress's answer is ignored: the live save goes on
    run: async (vm, bad) => {
      await vm.powerOn();
      return vm.save(join(dir, `${Math.random().toString(36).slice(2)}.sav`), { onProgress: bad as never });
    },
    after: (vm) => expect(vm.state).toBe('SUSPENDED'),
  },
  {
    name: 'at-state callback', callback: 'at-state callback', to: 'events', void: true, answer: { resolves: VINF_EM_SUSPEND },
    run: async (vm, bad) => {
      await vm.powerOn();
      vm.atState(bad);
      return vm.suspend();
    },
    after: (vm) => expect(vm.state).toBe('SUSPENDED'), // the transition completed
  },
  {
    name: 'at-error callback', callback: 'at-error callback', to: 'events', void: true, answer: { rc: VERR_VM_INVALID_VM_STATE },
    run: (vm, bad) => {
      vm.atError(bad);
      return vm.resume(); // from CREATED: VMSetError(VERR_VM_INVALID_VM_STATE) runs the at-error callbacks
    },
  },
  {
    name: 'guest hook executeGuest', callback: 'guest hook executeGuest', to: 'events', answer: { resolves: 0 },
    hooks: (bad) => ({ executeGuest: bad as never }),
    run: (vm) => untilError(vm, () => vm.powerOn()).then(() => 0),
    after: (vm) => expect(vm.state).toBe('GURU_MEDITATION'), // EM's answer to failing guest execution
  },
  {
    name: 'halt hook', callback: 'halt hook', to: 'events', answer: { resolves: 0 },
    hooks: (bad) => ({ executeGuest: () => ({ kind: 'halt' }), halt: bad as never }),
    run: (vm) => untilError(vm, () => vm.powerOn()).then(() => 0),
    after: (vm) => expect(vm.state).toBe('GURU_MEDITATION'),
  },
  {
    name: 'wait hook (VMR3WaitU)', callback: 'wait hook', to: 'events', answer: { resolves: 0 },
    hooks: (bad) => ({ wait: bad as never }),
    run: (vm) => untilError(vm, () => vm.powerOn()).then(() => 0), // failed: the EMT waits until notified
  },
  {
    name: 'notify hook (VMR3NotifyCpuFF)', callback: 'notify hook', to: 'events', void: true, answer: { resolves: 0 },
    // The hook fails before (throws) or after (returns) doing the engine's own notification.
    hooks: (bad) => ({
      executeGuest: () => ({ kind: 'halt' }),
      notifyCpuFF: (emt, flags) => {
        const result = bad();
        vmR3NotifyCpuFF(emt, flags);
        return result as void;
      },
    }),
    run: async (vm) => {
      await vm.powerOn();
      return vm.reqCallWait(1, () => 0); // the halted EMT is notified; a failed notify still wakes it
    },
  },
  {
    name: 'component pdmSuspend', callback: 'component pdmSuspend', to: 'events', void: true, answer: { resolves: VINF_EM_SUSPEND },
    components: (bad) => ({ pdmSuspend: bad as never }),
    run: async (vm) => {
      await vm.powerOn();
      return vm.suspend();
    },
    after: (vm) => expect(vm.state).toBe('SUSPENDED'), // a void PDM notification: the suspend completes
  },
  {
    name: 'onTerminated hook', callback: 'onTerminated hook', to: 'events', void: true, answer: { resolves: 0 },
    hooks: (bad) => ({ onTerminated: bad as never }),
    run: async (vm) => {
      await vm.powerOff();
      return vm.destroy();
    },
    after: (vm) => expect(vm.state).toBe('TERMINATED'),
  },
];

/** Run `call`, then wait for the first VMSetError (the guest hooks fail on their own, after the call). */
async function untilError(vm: VM, call: () => Promise<unknown>): Promise<void> {
  const failed = new Promise<void>((resolve) => {
    const sub = vm.events$.subscribe((e) => {
      if (e.kind === 'error') {
        resolve();
        queueMicrotask(() => sub.unsubscribe());
      }
    });
  });
  await call();
  await failed;
}

const CLOCKS = ['virtual', 'real'] as const;
const rows = KINDS.flatMap((kind) =>
  (Object.keys(FAILURES) as Failure[]).flatMap((failure) => CLOCKS.map((clock) => ({ kind, failure, clock, label: kind.name }))),
);

describe('a failing user callback becomes a VBoxError, never a frozen VM', () => {
  it.each(rows)('$label × $failure × $clock clock', { timeout: 20_000 }, async ({ kind, failure, clock }) => {
    const { bad, rc, cause } = FAILURES[failure];
    let runs = 0;
    const counted: Bad = (...args) => {
      runs++;
      return bad(...args);
    };
    const vmm = createVMM({
      clock,
      ...(kind.hooks ? { hooks: kind.hooks(counted) } : {}),
      ...(kind.components ? { components: kind.components(counted) } : {}),
    });
    try {
      const vm = await vmm.create({ cpus: 2 });
      const errors: Extract<VmTraceEvent, { kind: 'error' }>[] = [];
      vm.events$.subscribe((e) => {
        if (e.kind === 'error') errors.push(e);
      });
      const settled = await kind.run(vm, counted).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      const accepted = kind.void === true && failure === 'bad return';
      const reported = errors.find((e) => e.error?.callback.includes(kind.callback))?.error;

      // Where events$ carries the error, the call answers as it would without the callback.
      if (kind.answer && 'rc' in kind.answer) expect((settled as { error: VBoxError }).error.rc).toBe(kind.answer.rc);
      else if (kind.answer) expect(settled).toEqual({ value: kind.answer.resolves });
      if (accepted) {
        expect(reported).toBeUndefined();
        if (kind.to === 'call') expect(settled).not.toHaveProperty('error');
      } else {
        let error: unknown = reported;
        if (kind.to === 'call') {
          expect(settled).toHaveProperty('error');
          error = (settled as { error: unknown }).error;
          if (kind.under) {
            expect((error as VBoxError).message).toBe(kind.under);
            expect((error as VBoxError).rc).toBe(rc);
            error = (error as VBoxError).cause;
          }
        }
        expect(error).toBeInstanceOf(UserCallbackError);
        const e = error as UserCallbackError;
        expect(e.rc).toBe(rc);
        expect(e.message).toContain(kind.callback);
        expect(e.callback).toContain(kind.callback);
        if (cause !== undefined) expect(e.cause).toBe(cause);
        else expect(e.cause).toBeInstanceOf(TypeError);
        // VMSetError saw it too (events$, errorCount), with the same error object.
        expect(errors.some((ev) => ev.error === e)).toBe(true);
        kind.after?.(vm, runs);
      }

      // The VM stays usable: power off and destroy still work.
      if (vm.state !== 'TERMINATED') {
        if (vm.state !== 'OFF') await vm.powerOff();
        await vm.destroy();
      }
      expect(vm.state).toBe('TERMINATED');
    } finally {
      vmm.dispose();
    }
  });
});
