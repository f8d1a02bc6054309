/**
 * A save in progress is data (issue 12, docs/snapshot.md "Saves and teleports in progress"): a live save stopped
 * between two passes goes through writeGraph → JSON → readGraph (and copyGraph), and the original and the copy
 * finish it with the same bytes — a stream that loads back into the RAM the original ended with. A file sink's
 * descriptor and a teleport's connection are host resources: restored, they fail with a VBox status naming what
 * was lost, and the file the original still writes is left alone. In a checker world mid-save nothing of the
 * saved-state layer is a closure.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { World } from '../../src/check/world.js';
import { parseScenario } from '../../src/check/scenario.js';
import { copyGraph, readGraph, writeGraph } from '../../src/persist/graph.js';
import { census } from '../../src/persist/walk.js';
import { codeStamp, persistable, registeredClass } from '../../src/persist/registry.js';
import { Prng } from '../../src/sched/prng.js';
import { GuestRam, PGM_PAGE_SIZE } from '../../src/ssm/live/guest-ram.js';
import { SsmLiveSave } from '../../src/ssm/live-save.js';
import { runSlices, ssmLoad, ssmLoadSlices } from '../../src/ssm/load.js';
import { pgmUnit } from '../../src/ssm/pgm.js';
import { FileSink, MemorySink } from '../../src/ssm/sinks.js';
import { MemorySource } from '../../src/ssm/sources.js';
import { SsmUnitRegistry } from '../../src/ssm/units.js';
import { attachedSavedState } from '../../src/ssm/vm-units.js';
import { TeleportFrameSink } from '../../src/teleport/source.js';
import { VBoxError, VERR_NET_CONNECTION_RESET_BY_PEER, VERR_WRITE_ERROR, VINF_SSM_VOTE_FOR_ANOTHER_PASS, VINF_SUCCESS } from '../../src/status.js';

// The guest RAM's page picker is the scheduler's PRNG class; register it here if its own module does not yet.
if (!registeredClass(new Prng(1))) persistable('Prng', Prng);

const PAGES = 64;
/** RAM of the load test: pass 0 of the pgm unit loads in three slices. */
const LOAD_PAGES = 3 * 128 + 10;
interface Saving {
  save: SsmLiveSave;
  ram: GuestRam;
  sink: MemorySink;
}

function startSave(pages = PAGES): Saving {
  const ram = new GuestRam({ sizeBytes: pages * PGM_PAGE_SIZE, prefill: true, seed: 7 });
  const registry = new SsmUnitRegistry();
  registry.register(pgmUnit(ram));
  const sink = new MemorySink();
  const save = new SsmLiveSave({ registry, sink, after: 'CONTINUE', maxDowntimeMs: 250, bandwidthBytesPerSec: 512 * 1024 * 1024, id: 'test/ssm' });
  return { save, ram, sink };
}

/** The guest between two passes: it writes a few pages (which ones depends on the pass: the same in both runs). */
const guestRuns = (ram: GuestRam, pass: number) => [3, 17, 40].forEach((page) => ram.write((page + pass * 5) % ram.pageCount));

/** Pass after pass until the vote says done, then the final pass and the close: the stream's bytes. */
function finish({ save, ram, sink }: Saving): Buffer {
  for (let guard = 0; save.state !== 'LIVE_STEP2'; guard++) {
    if (guard > 100) throw new Error('the live save does not converge');
    if (save.state === 'LIVE_EXEC') expect(save.execRun()).toBeGreaterThanOrEqual(0);
    guestRuns(ram, save.pass);
    const rc = save.voteRun();
    expect([VINF_SUCCESS, VINF_SSM_VOTE_FOR_ANOTHER_PASS]).toContain(rc);
  }
  expect(save.step2()).toBe(VINF_SUCCESS);
  expect(save.close()).toBe(VINF_SUCCESS);
  return sink.bytes();
}

const viaJson = <T>(root: T): T => readGraph<T>(JSON.parse(JSON.stringify(writeGraph(root))));

describe('a live save between two passes, restored', () => {
  it.each([['writeGraph → JSON → readGraph', viaJson], ['copyGraph', copyGraph]] as const)('%s: both finish with the same stream, and it loads', (_how, restore) => {
    const original = startSave();
    expect(original.save.prepRun()).toBe(VINF_SUCCESS);
    expect(original.save.execRun()).toBeGreaterThan(0);
    guestRuns(original.ram, 0);
    expect(original.save.voteRun()).toBe(VINF_SSM_VOTE_FOR_ANOTHER_PASS);
    const restored = restore(original);
    expect(restored.save).not.toBe(original.save);
    // The unit's callbacks are bound to the restored RAM, not the original's.
    expect(restored.save.registry.units.map((u) => u.name)).toEqual(['SSM', 'SSMLiveControl', 'pgm']);
    const bytes = finish(original);
    const restoredBytes = finish(restored);
    expect(restored.sink.bytes().length).toBeGreaterThan(0);
    expect(Buffer.compare(restoredBytes, bytes)).toBe(0);
    expect(restored.ram.digest()).toBe(original.ram.digest());
    // What the stream carries is the RAM the save ended with.
    const target = new GuestRam({ sizeBytes: PAGES * PGM_PAGE_SIZE });
    const registry = new SsmUnitRegistry();
    registry.register(pgmUnit(target));
    ssmLoad(registry, new MemorySource(restoredBytes));
    expect(target.digest()).toBe(original.ram.digest());
  });
});

describe('a load between two slices, restored', () => {
  it.each([['writeGraph → JSON → readGraph', viaJson], ['copyGraph', copyGraph]] as const)('%s: both load the same RAM', (_how, restore) => {
    const saved = startSave(LOAD_PAGES);
    saved.save.prepRun();
    saved.save.execRun();
    const stream = finish(saved);
    const ram = new GuestRam({ sizeBytes: LOAD_PAGES * PGM_PAGE_SIZE });
    const registry = new SsmUnitRegistry();
    registry.register(pgmUnit(ram));
    const load = ssmLoadSlices(registry, new MemorySource(stream));
    // Into pass 0's pages: the pgm unit gives a turn every PGM_LOAD_SLICE_PAGES (128) pages.
    let turns = 0;
    while (turns < 2) expect(load.next().done).toBe(false), turns++;
    const copy = restore({ load, ram });
    expect(copy.load.phase).toBe(load.phase);
    runSlices(load);
    runSlices(copy.load);
    expect(ram.digest()).toBe(saved.ram.digest());
    expect(copy.ram.digest()).toBe(saved.ram.digest());
  });
});

describe('host resources after a restore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'save-persist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file sink is closed: its next write fails with VERR_WRITE_ERROR naming the file; the original still commits', () => {
    const target = join(dir, 'vm.sav');
    const sink = new FileSink(target);
    sink.write(Buffer.from('first chunk'));
    const restored = viaJson(sink);
    let error: unknown;
    try {
      restored.write(Buffer.from('second chunk'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VBoxError);
    expect((error as VBoxError).rc).toBe(VERR_WRITE_ERROR);
    expect((error as VBoxError).message).toContain(target);
    expect(restored.failure?.rc).toBe(VERR_WRITE_ERROR);
    restored.abort(false); // not the restored copy's file to delete
    expect(existsSync(sink.tempPath)).toBe(true);
    sink.write(Buffer.from('second chunk'));
    sink.commit();
    expect(existsSync(target)).toBe(true);
  });

  it('a teleport sink has no connection: the pass check and the next write answer VERR_NET_CONNECTION_RESET_BY_PEER', () => {
    const sink = new TeleportFrameSink();
    const restored = viaJson(sink);
    expect(restored.isOk()).toBe(VERR_NET_CONNECTION_RESET_BY_PEER);
    expect(() => restored.write(new Uint8Array(4))).toThrow(expect.objectContaining({ rc: VERR_NET_CONNECTION_RESET_BY_PEER }));
    let drained = false;
    restored.whenDrained(() => (drained = true));
    expect(drained).toBe(true);
    expect(() => restored.abort()).not.toThrow();
  });
});

describe('a checker world mid-save holds no closure of the saved-state layer', () => {
  const ours = /\.ssm\b|saveFlows|_registry|\.ram\.|\.op\b|\.request\b/;
  const ourClasses = /^(Ssm|SavedState|SaveFlow|GuestRam|\w+Sink$)/;
  it.each([
    ['save', '{"cpus":2,"timers":"any","clients":[["powerOn","save"],["suspend"],["powerOff"]]}'],
    ['teleport', '{"cpus":2,"clients":[["powerOn","teleport"]]}'],
  ])('%s: census paths under the VM saved-state context, the flow and its operation', (_name, json) => {
    const world = World.build(parseScenario(JSON.parse(json)), { properties: [] });
    let sawFlow = false;
    for (let i = 0; i < 200 && !world.terminal; i++) {
      world.step(0);
      const vm = [...(world.vmm as unknown as { vms: Map<number, { core: { ssm: { saveFlows: unknown[] } } }> }).vms.values()][0]!;
      if (!vm.core.ssm) continue;
      if (vm.core.ssm.saveFlows.length === 0) continue;
      sawFlow = true;
      const { closures, classes } = census(vm.core);
      expect(closures.filter((p) => ours.test(p))).toEqual([]);
      expect([...classes.keys()].filter((name) => ourClasses.test(name))).toEqual([]);
    }
    expect(sawFlow).toBe(true);
  });
});

/** Every code-table function reachable from `root` (own enumerable fields, Map and Set members). */
function codeOf(root: unknown): Set<Function> {
  const seen = new Set<unknown>();
  const found = new Set<Function>();
  const visit = (value: unknown): void => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
    seen.add(value);
    if (typeof value === 'function') return void (codeStamp(value) && found.add(value));
    if (value instanceof Map) return value.forEach((v, k) => (visit(k), visit(v)));
    if (value instanceof Set) return value.forEach(visit);
    Object.values(value).forEach(visit);
  };
  visit(root);
  return found;
}

describe('a checker world copied between two live passes', () => {
  // Waits of the flow (machines/vm-save-teleport.ts) with no request or rendezvous of the save in flight: the
  // flow's next step is a thread step or a transfer timer, so only the save's own records hold its code.
  const BETWEEN_PASSES = new Set(['livePrep', 'liveExec', 'passDrain']);
  it.each([
    ['save', '{"cpus":2,"timers":"any","clients":[["powerOn","save"],["suspend"],["powerOff"]]}'],
    ['teleport', '{"cpus":2,"clients":[["powerOn","teleport"]]}'],
  ])('%s: binds no code of the save again (its records answer: edges, clock, progress, resume)', (_name, json) => {
    const world = World.build(parseScenario(JSON.parse(json)), { properties: [] });
    // Client A (powerOn, then the save) and the engine first; B and C (suspend, powerOff) only when nothing else can.
    const later = new Set(['client.B', 'client.C']);
    let copies = 0;
    for (let i = 0; i < 300 && !world.terminal; i++) {
      const ids = world.ready().map((actor) => (actor as { id?: string }).id ?? '');
      const first = ids.findIndex((id) => !later.has(id));
      world.step(first >= 0 ? first : ids.length < world.choiceCount() ? ids.length : 0);
      const flow = attachedSavedState(world.core)?.saveFlows[0];
      if (!flow || !BETWEEN_PASSES.has(flow.cell.value)) continue;
      const before = codeOf(world);
      const bound = [...codeOf(copyGraph(world))].filter((fn) => !before.has(fn)).map((fn) => codeStamp(fn)!.name);
      // The VM's listener is the saved-state context's, bound once per VM: not the save's.
      expect(bound.filter((name) => /^(save|ssm)\./.test(name) && name !== 'ssm.savedState.onVmEvent')).toEqual([]);
      copies++;
    }
    expect(copies).toBeGreaterThan(10);
  });
});
