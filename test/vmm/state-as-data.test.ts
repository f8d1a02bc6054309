/**
 * The VM's engine state is data (issue 12, SNAPSHOT.md rules 1–4), for the VMM area: VmCore, EMTs, frames,
 * packets, request calls, rendezvous, the function table and the external threads' operations.
 *
 * Goal: at any moment a step can end — inside a request callback, a rendezvous callback of each type, a
 * nested wait, during destroy, a soft reset or a runtime error — everything reachable from a VmCore, as the
 * snapshot writer walks it (src/persist/walk.ts census), is a registered class, a plain record, a named
 * constant, a code-table function (bound to data) or one of the embedder's own functions. Paths owned by
 * other areas (the host facade, GVMM, halt, the saved-state manager) are left out. Before this work the
 * census found the lifecycle workers' closures (vmR3Suspend(reason), setRuntimeError's notify, destroy's
 * onTerminated, …), the cells' listener closures, and every class of the area unregistered.
 *
 * Also: the promise API's resolvers are not engine state (the host keeps them by call id), and a call that
 * finishes after its resolvers are gone (a restored engine) is reported as an event, never thrown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createVMM, VMSETRTERR_FLAGS_FATAL, type RendezvousOptions } from '../../src/index.js';
import { census } from '../../src/persist/walk.js';
import type { VmCore, VmTraceEvent } from '../../src/vmm/vm-core.js';
import type { EmtContext, EmtResult } from '../../src/vmm/types.js';
import { rendezvousFlags } from '../../machines/rendezvous.js';
import { VERR_INTERNAL_ERROR, VERR_VM_REQUEST_KILLED } from '../../src/status.js';

/**
 * Paths other areas own: the host facade, GVMM, halt (an EMT's idle wait), saved state, and the scheduler
 * hold's release; their engineers drive those to data.
 */
const FOREIGN = /^\.(host|gvmm|halt|ssm)\b|\.(gvmm|halt|ssm|idle)\b|\.release$/;
/** Classes of other areas met on the VM's own paths (the queues are the streams area's). */
const FOREIGN_CLASSES = new Set(['RequestQueue']);

/** What the census finds in the VMM area's part of `core`; the test's own functions are the embedder's. */
function findings(core: VmCore, user: Set<unknown>): string[] {
  const found = census(core, (fn) => (user.has(fn) ? 'user' : undefined));
  return [
    ...found.closures.filter((p) => !FOREIGN.test(p)).map((p) => `closure ${p}`),
    ...[...found.classes].filter(([name, p]) => !FOREIGN.test(p) && !FOREIGN_CLASSES.has(name)).map(([name, p]) => `class ${name} at ${p}`),
  ];
}

/** A VM and a probe that takes the census from inside an EMT step (where a step can end). */
async function setup(cpus: number, hooks: { onEmtExit?: (vm: VmCore, cpu: number) => void } = {}) {
  const user = new Set<unknown>();
  const seen: string[] = [];
  let probes = 0;
  const probe = (core: VmCore) => {
    probes++;
    seen.push(...findings(core, user));
  };
  const vmm = createVMM({ clock: 'virtual', hooks });
  const vm = await vmm.create({ cpus });
  const fn = <F extends (...args: never[]) => unknown>(f: F): F => (user.add(f), f);
  return { vmm, vm, core: vm.core, probe, fn, seen, probes: () => probes };
}

describe('the VMM area holds only data between steps', () => {
  const types: RendezvousOptions['type'][] = ['descending', 'ascending', 'one-by-one', 'all-at-once', 'once'];
  it.each(types.flatMap((type) => [2, 3].map((cpus) => ({ type, cpus }))))('$type rendezvous on $cpus vCPUs, nested in a request wait', async ({ type, cpus }) => {
    const t = await setup(cpus);
    await t.vm.powerOn();
    // A request on the last CPU waits for one on CPU 0 (a `then` pending), then a rendezvous with a `then`.
    const inner = t.fn((ctx: EmtContext): EmtResult => void t.probe(ctx.vm));
    const callback = t.fn((ctx: EmtContext): void => void t.probe(ctx.vm));
    const afterRendezvous = t.fn((rc: number): EmtResult => (t.probe(t.core), rc));
    const afterInner = t.fn((): EmtResult => ({ kind: 'rendezvous', flags: rendezvousFlags(type, {}), callback, then: afterRendezvous }));
    const outer = t.fn((ctx: EmtContext): EmtResult => ctx.reqCallWait(0, inner, [], afterInner));
    await t.vm.reqCallWait(cpus - 1, outer);
    await t.vm.emtRendezvous({ type }, callback);
    await t.vm.suspend('USER');
    await t.vm.resume('USER');
    expect(t.probes()).toBeGreaterThan(cpus);
    expect(t.seen).toEqual([]);
    t.vmm.dispose();
  });

  it('requests to all CPUs, a soft reset, a fatal runtime error and a destroy', async () => {
    const t = await setup(3, {
      onEmtExit: (core) => t.probe(core), // destroy under way: onTerminated and the last sweep are pending
    });
    const atState = t.fn(() => void t.probe(t.core));
    t.vm.atState(atState);
    const atRuntimeError = t.fn(() => void t.probe(t.core));
    t.vm.atRuntimeError(atRuntimeError);
    await t.vm.powerOn();
    await t.vm.reqCallWait('all', t.fn((ctx: EmtContext): EmtResult => void t.probe(ctx.vm)));
    await t.vm.reqCallWait('all-reverse', t.fn((ctx: EmtContext): EmtResult => void t.probe(ctx.vm)));
    await t.vm.softReset();
    await t.vm.setRuntimeError(VMSETRTERR_FLAGS_FATAL, 'test', 'fatal');
    await t.vm.powerOff();
    await t.vm.destroy();
    expect(t.probes()).toBeGreaterThan(10);
    expect(t.seen).toEqual([]);
    t.vmm.dispose();
  });
});

describe('the promise API keeps its resolvers with the host', () => {
  it('a pending call holds a call id, not its resolvers; the answer comes through the host', async () => {
    const vmm = createVMM({ clock: 'virtual' });
    const vm = await vmm.create({ cpus: 2 });
    let during: string[] = [];
    const work = (ctx: EmtContext): EmtResult => {
      const found = census(ctx.vm, (fn) => (fn === work ? 'user' : undefined));
      during = found.closures.filter((p) => !FOREIGN.test(p));
      return 7;
    };
    await expect(vm.reqCallWait(1, work)).resolves.toBe(7);
    expect(during).toEqual([]);
    vmm.dispose();
  });

  it.each([
    { result: 0, rc: 0, error: false },
    { result: VERR_VM_REQUEST_KILLED, rc: VERR_VM_REQUEST_KILLED, error: false },
    { result: new Error('gone'), rc: VERR_INTERNAL_ERROR, error: true }, // an Error without a status
  ])('a call settled with no resolvers left ($rc) is reported as an event, not thrown', async ({ result, rc, error }) => {
    const vmm = createVMM({ clock: 'virtual' });
    const vm = await vmm.create({ cpus: 1 });
    const events: VmTraceEvent[] = [];
    const sub = vm.events$.subscribe((e) => e.kind === 'call-unclaimed' && events.push(e));
    expect(() => vmm.settleCall(vm.core, 424242, result)).not.toThrow();
    expect(events).toEqual([{ kind: 'call-unclaimed', call: 424242, rc, ...(error ? { error: result } : {}), tNs: vm.core.nowNs() }]);
    sub.unsubscribe();
    vmm.dispose();
  });
});


describe('no #private members in the VMM area', () => {
  // A restore makes instances with Object.create(prototype): they have no private brand, so a #field or #method
  // would throw on first use. ListenerSet's #list is a cache of a transient host attachment (never restored).
  const dir = new URL('../../src/vmm/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  it.each(files)('%s', (file) => {
    const code = readFileSync(new URL(file, dir), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const members = [...code.matchAll(/(?<![\w$'"`])#([A-Za-z_$][\w$]*)/g)].map((m) => m[1]).filter((name) => !(file === 'vm-events.ts' && name === 'list'));
    expect(members).toEqual([]);
  });
});
