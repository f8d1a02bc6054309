/**
 * The embedder's functions in a snapshot (issue 12 item 3: "createVMM({ functions }) naming the embedder's
 * functions so they can be snapshotted").
 *
 * Goal: for every kind of embedder function the engine holds between steps — an at-state callback, a pending
 * reqCallWait fn, a pending rendezvous callback, an SSM unit's callbacks — a snapshot writes the name given in
 * `functions` and the restored engine calls the function its own `functions` give under that name; without a
 * name the snapshot is refused (VERR_NOT_SUPPORTED) saying where the function was found and how to name it.
 * Method: one table, each row a way to hand the engine a function and a way to make the engine call it.
 */
import { describe, expect, it } from 'vitest';
import { VERR_NOT_SUPPORTED, VINF_SUCCESS, type VM, type Vmm } from '../../src/index.js';
import type { SsmHandle } from '../../src/ssm/handle.js';
import { MemorySink } from '../../src/ssm/sinks.js';
import { engine, throughJson } from './snapshot-support.js';

type Fn = (...args: any[]) => unknown;

/** A pending call's promise stays with its engine, which the test disposes (VERR_VM_REQUEST_KILLED). */
const ignore = () => {};

interface Row {
  /** Hand the engine `fn` (a pending call is left pending: not awaited). */
  give(vm: VM, fn: Fn): void;
  /** Make the restored engine call what it holds. */
  run(vmm: Vmm): Promise<unknown>;
  /** Where the refusal finds an unnamed one. */
  path: RegExp;
}

const ROWS: Record<string, Row> = {
  'an at-state callback': { give: (vm, fn) => void vm.atState(fn as never), run: (vmm) => vmm.vms.get(1)!.suspend(), path: /atState\[0\]/ },
  'a pending reqCallWait fn': { give: (vm, fn) => void vm.reqCallWait(1, fn as never).catch(ignore), run: (vmm) => vmm.runUntilIdle(), path: /pending at vmm\.\S+/ },
  'a pending rendezvous callback': {
    give: (vm, fn) => void vm.emtRendezvous({ type: 'descending' }, fn as never).catch(ignore),
    run: (vmm) => vmm.runUntilIdle(),
    path: /pending at vmm\.\S+/,
  },
  "an SSM unit's save callback": {
    give: (vm, fn) => vm.registerUnit({ name: 'probe', version: 1, saveExec: fn as never, loadExec: loadProbe }),
    run: (vmm) => vmm.vms.get(1)!.save(new MemorySink()),
    path: /callbacks\.saveExec/,
  },
};

/** Named in every engine of this file, so only the row's own function is the one that varies. */
const loadProbe = (ssm: SsmHandle) => void ssm.getU32();

async function runningVm(functions: Record<string, Fn>): Promise<{ vmm: Vmm; vm: VM }> {
  const vmm = engine({ seed: 5, functions: { loadProbe, ...functions } });
  const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: 64 * 1024 } });
  await vm.powerOn();
  return { vmm, vm };
}

describe.each(Object.entries(ROWS))('%s', (_kind, row) => {
  it('without a name: refused, saying where it was found and how to name it', async () => {
    const { vmm, vm } = await runningVm({});
    row.give(vm, (ssm?: SsmHandle) => void ssm?.putU32?.(1));
    let refusal: { rc?: number; message?: string } = {};
    try {
      vmm.getPersistedSnapshot();
    } catch (error) {
      refusal = error as typeof refusal;
    }
    expect(refusal.rc).toBe(VERR_NOT_SUPPORTED);
    expect(refusal.message).toMatch(row.path);
    expect(refusal.message).toContain('createVMM({ functions: { myName: fn } })');
  });

  it('named: written by its name, and the restored engine calls its own function of that name', async () => {
    const original = (ssm?: SsmHandle) => void ssm?.putU32?.(1);
    const { vmm, vm } = await runningVm({ probe: original });
    row.give(vm, original);
    const snapshot = throughJson(vmm.getPersistedSnapshot());
    expect(snapshot.functions).toContain('probe');
    const calls: unknown[] = [];
    const replacement = (arg?: { putU32?: (v: number) => number }) => {
      calls.push(arg);
      if (typeof arg?.putU32 === 'function') return arg.putU32(1);
      return VINF_SUCCESS;
    };
    const copy = engine({ snapshot, functions: { loadProbe, probe: replacement } });
    await row.run(copy);
    expect(calls.length).toBeGreaterThan(0);
  });
});
