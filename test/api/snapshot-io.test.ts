/**
 * A restored engine does what a live one does with the host: a save (into memory and into a file), a teleport
 * (virtual clock, loopback), a real-clock engine's snapshot and restore; and a restore refuses what it cannot take
 * without creating anything (issue 12 item 3, docs/snapshot.md).
 *
 * Method: pairs again where the engine is deterministic — the restored engine's saved-state stream must be the
 * original's byte for byte — and VirtualBox's own outcomes elsewhere: a file save loads into a fresh VM with the
 * same RAM (VMR3LoadFromFile ends SUSPENDED); a teleport's target arrives SUSPENDED with the source's RAM. A
 * refused restore leaves Node's active resources (timers, immediates, servers) as they were.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoGuest } from '../../src/guest/demo-guest.js';
import {
  isVBoxError, VINF_EM_OFF, VINF_EM_RESUME, VINF_EM_SUSPEND, VERR_INVALID_MAGIC, VERR_INVALID_PARAMETER, VERR_NOT_FOUND, VERR_VERSION_MISMATCH, VINF_SUCCESS, SNAPSHOT_VERSION, type PersistedVmm, type VM, type Vmm,
} from '../../src/index.js';
import { MemorySink } from '../../src/ssm/sinks.js';
import { engine, restored, throughJson } from './snapshot-support.js';

const SEED = 77;
const RAM = { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 4 * 1024 * 1024 };
const PASSWORD = 'snapshot test';
const scratch = mkdtempSync(join(tmpdir(), 'snapshot-io-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function running(vmm: Vmm): Promise<VM> {
  const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 }, ram: RAM });
  await vm.powerOn();
  await vmm.advance(2_000_000); // the guest runs and dirties RAM for 2 ms
  return vm;
}

/** A live save into memory: the result and the stream's bytes. */
async function saveToMemory(vm: VM): Promise<{ rc: number; bytes: Buffer }> {
  const sink = new MemorySink();
  const { rc } = await vm.save(sink);
  return { rc, bytes: sink.bytes() };
}

describe('a restored engine and the host', () => {
  it('saves into memory the same stream, byte for byte, as the original does from the same point', async () => {
    // The engine's own guest: an embedder's hooks keep their own state (demoGuest's counters) outside the snapshot.
    const original = engine({ seed: SEED });
    await running(original);
    const copy = restored(original);
    const progress: unknown[] = [];
    copy.vms.get(1)!.progress$.subscribe((event) => progress.push(event)); // a restored VM's streams work
    const a = await saveToMemory(original.vms.get(1)!);
    const b = await saveToMemory(copy.vms.get(1)!);
    expect(progress.length).toBeGreaterThan(0);
    expect(a.rc).toBe(VINF_SUCCESS);
    expect(b.rc).toBe(VINF_SUCCESS);
    expect(b.bytes.length).toBeGreaterThan(RAM.sizeBytes);
    expect(b.bytes.equals(a.bytes)).toBe(true);
    expect(copy.vms.get(1)!.state).toBe('SUSPENDED'); // a live save from RUNNING ends SUSPENDED
  });

  it('saves into a file that a fresh VM loads with the same RAM', async () => {
    const original = engine({ seed: SEED, hooks: demoGuest() });
    await running(original);
    const copy = restored(original, { hooks: demoGuest() });
    const vm = copy.vms.get(1)!;
    const file = join(scratch, 'restored.sav');
    expect((await vm.save(file)).rc).toBe(VINF_SUCCESS);
    const fresh = await engine({ seed: SEED }).create({ cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: RAM.sizeBytes } });
    expect(await fresh.loadFromFile(file)).toBe(VINF_SUCCESS);
    expect(fresh.state).toBe('SUSPENDED');
    expect(fresh.ram.digest()).toBe(vm.ram.digest());
  });

  it('teleports on the virtual clock over loopback: the target arrives SUSPENDED with the source RAM', async () => {
    const original = engine({ seed: SEED, hooks: demoGuest() });
    await running(original);
    const copy = restored(original, { hooks: demoGuest() });
    const source = copy.vms.get(1)!;
    let port!: (p: number) => void;
    const bound = new Promise<number>((resolve) => (port = resolve));
    const target = copy.listenForTeleport({
      port: 0, host: '127.0.0.1', password: PASSWORD, cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: RAM.sizeBytes },
      onListening: ({ port: p }) => port(p),
    });
    const result = await source.teleport({ port: await bound, host: '127.0.0.1', password: PASSWORD });
    const arrived = await target;
    expect(result.rc).toBe(VINF_SUCCESS);
    expect(source.state).toBe('SUSPENDED');
    expect(arrived.state).toBe('SUSPENDED');
    expect(arrived.teleportedAndNotFullyResumedYet).toBe(true);
    expect(arrived.ram.digest()).toBe(source.ram.digest());
    expect(await arrived.resume()).toBe(VINF_EM_RESUME);
  });

  it('leaves a teleport listener with the old engine: the restored target VM waits CREATED, with no server', async () => {
    const original = engine({ seed: SEED });
    let port!: (p: number) => void;
    const bound = new Promise<number>((resolve) => (port = resolve));
    const target = original.listenForTeleport({ port: 0, host: '127.0.0.1', password: PASSWORD, cpus: 1, onListening: ({ port: p }) => port(p) });
    target.catch(() => {}); // ends with VERR_VM_REQUEST_KILLED when the test disposes the engine
    await bound;
    const snapshot = throughJson(original.getPersistedSnapshot());
    const servers = process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const copy = engine({ snapshot });
    expect(process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length).toBe(servers);
    await copy.runUntilIdle();
    expect([...copy.vms.values()].map((vm) => vm.state)).toEqual(['CREATED']);
    const orphan = copy.vms.get(1)!;
    expect(await orphan.powerOff()).toBe(VINF_EM_OFF); // VMR3PowerOff takes CREATED → POWERING_OFF
    expect(await orphan.destroy()).toBe(VINF_SUCCESS);
  });

  it('snapshots and restores a real-clock engine, which goes on in real time', async () => {
    const original = engine({ clock: 'real', hooks: demoGuest() });
    const vm = await original.create({ cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: 64 * 1024 } });
    await vm.powerOn();
    await original.advance(3_000_000);
    const snapshot = throughJson(original.getPersistedSnapshot());
    original.dispose();
    expect(snapshot.clock).toBe('real');
    const copy = engine({ snapshot, hooks: demoGuest() });
    expect(copy.sched.mode).toBe('real-time');
    const again = copy.vms.get(1)!;
    expect(again.state).toBe('RUNNING');
    const t0 = copy.clock.nowNs();
    await copy.advance(3_000_000); // host time passes: its timers were re-armed
    expect(copy.clock.nowNs()).toBeGreaterThan(t0);
    expect(again.state).toBe('RUNNING');
    expect(await again.suspend()).toBe(VINF_EM_SUSPEND);
    expect(await again.powerOff()).toBe(VINF_EM_OFF);
    expect(await again.destroy()).toBe(VINF_SUCCESS);
  });
});

/** Node's active handles by kind (timers, immediates, servers, sockets). */
const activeResources = () => process.getActiveResourcesInfo().sort().join(',');

describe('createVMM({ snapshot }) refuses and creates nothing', () => {
  const damaged: [string, (s: PersistedVmm) => unknown, number | RegExp][] = [
    ['not an object', () => 'snapshot', VERR_INVALID_MAGIC],
    ['another format', (s) => ({ ...s, format: 'xstate' }), VERR_INVALID_MAGIC],
    ['another version', (s) => ({ ...s, version: SNAPSHOT_VERSION + 1 }), VERR_VERSION_MISMATCH],
    ['no graph', (s) => ({ ...s, graph: null }), VERR_INVALID_MAGIC],
    ['a damaged function list', (s) => ({ ...s, functions: [7] }), VERR_INVALID_MAGIC],
    ['a graph whose root is not the engine', (s) => ({ ...s, graph: { ...s.graph, root: ['ref', 1] } }), VERR_INVALID_MAGIC],
    ['a function name `functions` lacks', (s) => ({ ...s, functions: ['onState'] }), VERR_NOT_FOUND],
    ['an engine class this build lacks', (s) => JSON.parse(JSON.stringify(s).replace('"VmCore"', '"NoSuchClass"')), /NoSuchClass/],
  ];

  it.each(damaged)('%s', async (_case, damage, expected) => {
    const vmm = engine({ clock: 'real', hooks: demoGuest() });
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: 64 * 1024 } });
    await vm.powerOn();
    const snapshot = throughJson(vmm.getPersistedSnapshot());
    vmm.dispose(); // its timers go: what is active now is what a refused restore must leave
    await new Promise((resolve) => setImmediate(resolve));
    const bad = damage(snapshot) as PersistedVmm;
    expect(bad).not.toEqual(snapshot);
    const before = activeResources();
    let refusal: unknown;
    try {
      engine({ snapshot: bad, hooks: demoGuest() });
    } catch (error) {
      refusal = error;
    }
    expect(isVBoxError(refusal)).toBe(true);
    if (typeof expected === 'number') expect(refusal).toMatchObject({ rc: expected });
    else expect((refusal as Error).message).toMatch(expected);
    expect(activeResources()).toBe(before);
  });

  it.each([['seed', { seed: 1 }], ['clock', { clock: 'virtual' }], ['fidelity', { fidelity: 'as-written' }]] as const)(
    'refuses %s given beside a snapshot (it comes from the snapshot)',
    async (_key, extra) => {
      const vmm = engine({ seed: SEED });
      await vmm.create({ cpus: 1 });
      expect(() => engine({ snapshot: vmm.getPersistedSnapshot(), ...extra })).toThrow(expect.objectContaining({ rc: VERR_INVALID_PARAMETER }));
    },
  );
});
