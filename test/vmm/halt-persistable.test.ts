/**
 * The halt methods and GVMM are persistable (issue 12, src/persist/registry.ts): whatever of theirs an engine
 * holds between scheduler steps is an object of a registered class, a record or a code-table function, never a
 * closure, whichever halt method runs and whether the vCPUs idle (VMR3WaitU) or halt (VMR3WaitHalted). What
 * cannot be data — the EMT hooks, the machine cells' listeners — is rebuilt: emtHooksOf builds a VM's hooks from
 * the host's options without side effects, and the revive of VmHalt and GvmmHandleTable re-attaches the cell
 * listeners a restore leaves out, so the halt method's and the handle's edges reach the VM's events again.
 *
 * Method: the closure census (src/persist/walk.ts) after every step of checker worlds, per method; for the
 * rebuilds, an engine whose hooks / listeners are replaced the way a restore replaces them, then run on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VMHALTMETHOD } from '../../machines/halt-method.js';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import type { VmTraceEvent } from '../../src/index.js';
import { engine, restored } from '../api/snapshot-support.js';
import type { EmtContext } from '../../src/vmm/types.js';
import { codeFromStamp, codeStamp, defineCode } from '../../src/persist/registry.js';
import { census } from '../../src/persist/walk.js';
import type { EmtHooks } from '../../src/vmm/emt.js';
import { emtHooksOf } from '../../src/vmm/halt/engine.js';
import { vmR3SetHaltMethodU } from '../../src/vmm/halt/set-method.js';
import { haltOf } from '../../src/vmm/halt/state.js';
import { METHODS } from '../support/halt-methods.js';

/** A request the restored engine runs (a code-table function: no name needed in `functions`). */
const changeToOld = defineCode('test.haltPersistable.changeToOld', (ctx: EmtContext) => vmR3SetHaltMethodU(ctx.vm, VMHALTMETHOD.OLD));

/** The classes of src/vmm/halt and src/gvmm an engine holds. */
const AREA_CLASSES = [
  'Gvmm', 'GvmmHandleTable', 'Gvm', 'GvmCpu', 'GvmmSched', 'ScanIndex', 'HeapIndex', 'VmGvmBinding',
  'VmHalt', 'CpuHalt', 'EventSem', 'WaitU', 'OldLoop', 'Method1Loop', 'Global1Loop', 'BootstrapLoop',
];
/**
 * Paths into the halt state, GVMM, and the hooks the halt method and GVMM install on every EMT (not into the
 * XState internals of other areas' unregistered cells, `.memo.`).
 */
const AREA_PATH = /\.(halt|gvmm|idle|binding)(\.|\[|$)|\.hooks\.(halt|wait|notifyCpuFF|onEmtExit|onTerminated)$/;
const inArea = (path: string) => AREA_PATH.test(path) && !path.includes('.memo.');
const HOOK_NAMES = ['halt', 'wait', 'notifyCpuFF', 'onEmtExit', 'onTerminated'] as const;

describe('the halt state and GVMM hold no closure between steps', () => {
  const cases = METHODS.flatMap(([name, method]) => (['none', 'halt'] as const).map((guest) => [name, method, guest] as const));

  it.each(cases)('%s (HaltMethod %i), guest %s: census after every step of PowerOn → Suspend → Resume → PowerOff', (_name, method, guest) => {
    const world = World.build(
      parseScenario({ cpus: 2, halt: 'on', guest, config: { HaltMethod: method }, clients: [['powerOn', 'suspend', 'resume', 'powerOff']] }),
      { properties: [] },
    );
    const found = new Set<string>();
    let waits = 0;
    for (let i = 0; i < 200 && !world.terminal; i++) {
      world.step(i % world.choiceCount());
      const { closures, classes } = census(world.vmm);
      for (const path of closures) if (inArea(path)) found.add(`closure ${path.replace(/\d+/g, 'N')}`);
      for (const [cls, path] of classes) if (AREA_CLASSES.includes(cls) || inArea(path)) found.add(`class ${cls} at ${path}`);
      const halt = world.core.halt!;
      waits += world.core.emts.filter((emt, cpu) => emt.idle !== undefined || halt.cpus[cpu]!.active !== null).length;
    }
    expect([...found]).toEqual([]);
    // Not vacuous: EMTs waited (idle or halted) while the census looked.
    expect(waits).toBeGreaterThan(0);
  });
});

describe('no JavaScript #private members', () => {
  // An object a restore makes (Object.create(prototype), then its fields) has no private brand: a #field or
  // #method would be invisible to the snapshot and throw when used.
  const files = ['src/gvmm', 'src/vmm/halt'].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`));

  it.each(files)('%s', (file) => {
    const members = readFileSync(file, 'utf8').split('\n').filter((line) => /(^|[\s.(!])#[A-Za-z_]\w*/.test(line.replace(/\/\/.*$|'[^']*'|`[^`]*`/g, '')));
    expect(members).toEqual([]);
  });
});

describe('emtHooksOf: an EMT’s hooks rebuilt from the VM and the host’s options', () => {
  const userExits: string[] = [];
  const user: EmtHooks = {
    executeGuest: () => ({ kind: 'halt' }),
    onEmtExit: (vm, cpu) => void userExits.push(`${vm.id}/emt.${cpu}`),
  };

  it('builds the same code-table functions bound to the same data, and changes nothing', async () => {
    const vmm = engine({ seed: 3, hooks: user });
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
    const events: VmTraceEvent[] = [];
    vm.core.listeners.add((e) => events.push(e));
    const halt = vm.core.halt;
    const gvmmBefore = JSON.stringify(vmm.gvmm.queryStatistics(vm.handle));

    const hooks = vm.core.emts[0]!.hooks;
    const rebuilt = emtHooksOf(vm.core, vmm.options);
    for (const name of HOOK_NAMES) {
      const stamp = codeStamp(hooks[name]);
      expect(stamp, name).toBeDefined();
      expect(codeStamp(rebuilt[name]), name).toEqual(stamp);
      // A restore binds the stamp again: the table knows the name.
      expect(codeStamp(codeFromStamp(stamp!)), name).toEqual(stamp);
    }
    expect(rebuilt.executeGuest).toBe(user.executeGuest);
    expect(codeStamp(hooks.onEmtExit)!.args).toEqual([user.onEmtExit]);
    // Side-effect free: no event, the same halt state, GVMM untouched.
    expect(events).toEqual([]);
    expect(vm.core.halt).toBe(halt);
    expect(JSON.stringify(vmm.gvmm.queryStatistics(vm.handle))).toBe(gvmmBefore);
  });

  it('an engine running on rebuilt hooks halts, tears down through GVMM and is announced destroyed', async () => {
    userExits.length = 0;
    const vmm = engine({ seed: 5, hooks: user });
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
    // What a restore does: the hooks are transient; each EMT gets them rebuilt from their stamps.
    const rebuilt = Object.fromEntries(
      Object.entries(emtHooksOf(vm.core, vmm.options)).map(([k, fn]) => [k, codeStamp(fn) ? codeFromStamp(codeStamp(fn)!) : fn]),
    ) as EmtHooks;
    for (const emt of vm.core.emts) Object.assign(emt, { hooks: rebuilt });
    const life: string[] = [];
    vmm.vms$.subscribe((e) => life.push(`${e.kind} ${e.handle}`));
    await vm.powerOn();
    await vmm.advance(2_000_000);
    expect(haltOf(vm.core).cpus.map((c) => c.stats.cHalts > 0)).toEqual([true, true]);
    await vm.powerOff();
    await vm.destroy();
    expect(userExits.sort()).toEqual(['vm.1/emt.0', 'vm.1/emt.1']);
    expect(life).toEqual(['destroyed 1']);
    expect(vmm.vms.size).toBe(0);
    expect([vmm.gvmm.cVMs, vmm.gvmm.cEMTs, vmm.gvmm.table.state(1)]).toEqual([0, 0, 'free']);
  });
});

describe("the machine cells' listeners are code bound to data: a restored engine's cells report their edges", () => {
  /** A 2-vCPU VM created, its engine snapshotted and restored through JSON. */
  const restoredVm = async () => {
    const original = engine({ seed: 1 });
    await original.create({ cpus: 2, config: { NumCPUs: 2 } });
    const vmm = restored(original);
    return { vmm, vm: vmm.vms.get(1)! };
  };

  it("VmHalt: the halt method's switches reach the restored VM's events", async () => {
    const { vm } = await restoredVm();
    const events: VmTraceEvent[] = [];
    vm.core.listeners.add((e) => events.push(e));
    await vm.reqCallWait('any', changeToOld);
    expect(events.filter((e) => e.kind === 'halt-method').map((e) => e.kind === 'halt-method' && `${e.from} → ${e.to}`)).toEqual([
      'GLOBAL_1 → OLD',
    ]);
  });

  it("GvmmHandleTable: the handle's edges reach the restored VM until the handle is free", async () => {
    const { vmm, vm } = await restoredVm();
    const edges: string[] = [];
    vm.core.listeners.add((e) => {
      if (e.kind === 'machine' && e.machine === 'gvmmHandle') edges.push(`${e.systemId} ${e.from} → ${e.to}`);
    });
    await vm.powerOff().catch(() => undefined);
    await vm.destroy();
    expect(edges.at(-1)).toBe('gvmm/handle.1 destroying → free');
    expect((vmm.gvmm.table as unknown as { sinks: unknown[] }).sinks[vm.handle], 'free again: nobody listens').toBeNull();
  });
});
