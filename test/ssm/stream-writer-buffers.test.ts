/**
 * Goal: what a save costs in memory does not depend on the stream's chunk size (issue 17, the saved-state
 * scenario): a sink owns the chunks it is handed, each holding its own bytes (not a 1 MiB buffer per pass); a
 * writer copied or restored with bytes still buffered finishes with the stream the original writes; and the
 * checker's saves keep no stream bytes in the world (nothing reads them; every copy of the world would copy them)
 * and make no progress subject nobody listens to.
 *
 * Method: a live-style stream of many small passes into sinks that keep what they are handed; the same writer
 * copied mid-unit (bytes in the data buffer and in the chunk) through copyGraph and through JSON; a checker world
 * stepped through its save, its graph's byte arrays summed.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { WORLD_RAM_BYTES } from '../../src/check/images.js';
import { PGM_PAGE_SIZE } from '../../src/ssm/live/guest-ram.js';
import { SSMFILEHDR_SIZE } from '../../src/ssm/constants.js';
import { attachedSavedState } from '../../src/ssm/vm-units.js';
import { copyGraph, readGraph, writeGraph } from '../../src/persist/graph.js';
import { CallbackSink, CountingSink, MemorySink, MemorySource, SsmStreamWriter, SsmUnitRegistry, ssmLoad } from '../../src/ssm/index.js';

const PASSES = 12;

/** A unit written pass after pass (a few bytes each, as the checker's units write), each pass flushed. */
function writePasses(sink: CallbackSink | MemorySink | CountingSink): number {
  const registry = new SsmUnitRegistry();
  const unit = registry.register({ name: 'ram', version: 1, liveExec: () => {}, saveExec: () => {}, loadExec: () => {} });
  const w = new SsmStreamWriter(sink, { cUnits: registry.cUnits, live: true });
  for (let pass = 0; pass < PASSES; pass++) {
    unit.offStream = w.beginUnit(unit, pass);
    w.writeData(Uint8Array.of(pass, pass + 1, pass + 2));
    w.endUnit();
    w.flush();
  }
  w.finish(registry.units);
  return w.offStream;
}

describe('the chunks a sink is handed', () => {
  it('are its own: what the writer writes later does not change them', () => {
    const kept: Uint8Array[] = [];
    const copies: Buffer[] = [];
    writePasses(new CallbackSink((chunk) => (kept.push(chunk), copies.push(Buffer.from(chunk)))));
    expect(kept.length).toBeGreaterThanOrEqual(PASSES);
    kept.forEach((chunk, i) => expect(Buffer.compare(Buffer.from(chunk), copies[i]!)).toBe(0));
  });

  it('hold little more memory than their bytes (not a 1 MiB buffer per pass)', () => {
    const sink = new MemorySink();
    const bytes = writePasses(sink);
    const buffers = new Set(sink.chunks.map((chunk) => chunk.buffer));
    const held = [...buffers].reduce((sum, buffer) => sum + buffer.byteLength, 0);
    // Small chunks may share Node's 8 KiB allocation pool; one 1 MiB chunk alone would be far over this.
    expect(held).toBeLessThan(bytes + 64 * 1024);
  });

  it('a counting sink counts what a memory sink keeps', () => {
    const memory = new MemorySink();
    const counting = new CountingSink();
    expect(writePasses(counting)).toBe(writePasses(memory));
    expect(counting.bytes).toBe(memory.bytes().length);
    expect(counting.committed).toBe(memory.committed);
  });
});

const viaJson = <T>(root: T): T => readGraph<T>(JSON.parse(JSON.stringify(writeGraph(root))));

describe('a writer copied with bytes still buffered', () => {
  /** Half a unit: small puts in the data buffer, and big blocks (past the first 4 KiB of buffer) in the chunk. */
  function halfway() {
    const sink = new MemorySink();
    const writer = new SsmStreamWriter(sink, { cUnits: 3 });
    // The directory of the stream: the unit's header offset (what SsmUnit.offStream keeps).
    const directory = [{ name: 'ram', instance: 0, offStream: writer.beginUnit({ name: 'ram', instance: 0, version: 1 }) }];
    const noise = new Uint8Array(3 * 4096).map((_, i) => (i * 2654435761) >>> 24); // incompressible: raw records
    writer.writeData(noise);
    writer.writeData(Uint8Array.of(1, 2, 3, 4, 5));
    return { directory, sink, writer };
  }
  const rest = ({ directory, writer, sink }: ReturnType<typeof halfway>): Buffer => {
    writer.writeData(Uint8Array.of(6, 7));
    writer.writeData(new Uint8Array(2 * 4096).fill(0x5a));
    writer.endUnit();
    writer.finish(directory);
    return sink.bytes();
  };

  it.each([['copyGraph', copyGraph], ['writeGraph → JSON → readGraph', viaJson]] as const)('%s: both finish with the same stream, and it loads', (_how, copy) => {
    const original = halfway();
    const copied = copy(original);
    expect(copied.writer).not.toBe(original.writer);
    const bytes = rest(original);
    expect(Buffer.compare(rest(copied), bytes)).toBe(0);
    const loaded: number[] = [];
    const registry = new SsmUnitRegistry();
    registry.register({ name: 'ram', version: 1, loadExec: (ssm) => void loaded.push(ssm.getMem(3 * 4096 + 7 + 2 * 4096).length) });
    ssmLoad(registry, new MemorySource(bytes));
    expect(loaded).toEqual([3 * 4096 + 7 + 2 * 4096]);
  });
});

describe("a checker world's save", () => {
  it('keeps no stream bytes in the world, mid-save or after it', () => {
    const spec = parseScenario({ cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['suspend'], ['powerOff']] });
    const world = World.build(spec, { properties: [] });
    // Client A first and its threads (powerOn, then the save to its end), the other clients only when nothing else is ready.
    const later = new Set(['client.B', 'client.C']);
    let sawLiveSave = false;
    let max = 0;
    for (let i = 0; i < 300 && !world.terminal; i++) {
      const ids = world.ready().map((actor) => (actor as { id?: string }).id ?? '');
      const next = ids.findIndex((id) => !later.has(id));
      world.step(next >= 0 ? next : ids.length < world.choiceCount() ? ids.length : 0);
      if (world.core.vmState === 'RUNNING_LS') sawLiveSave = true;
      const graph = writeGraph(world);
      const bytes = graph.objects.reduce((sum, o) => sum + (o.kind === 'bytes' ? Buffer.from((o as { data: string }).data, 'base64').length : 0), 0);
      // Guest RAM's page bitmaps and the like: well below one stream (the file header alone is 64 bytes, a pass ~75).
      max = Math.max(max, bytes);
    }
    expect(sawLiveSave).toBe(true);
    // Nobody subscribed to vm.progress$: the save reported its progress to no subject (none was made for it).
    expect((attachedSavedState(world.core) as unknown as { _progress: unknown })._progress).toBeNull();
    // Guest RAM's two page bitmaps, and at most the file header the writer holds until the first pass is flushed.
    expect(max).toBeLessThanOrEqual(2 * (WORLD_RAM_BYTES / PGM_PAGE_SIZE) + SSMFILEHDR_SIZE);
  });
});
