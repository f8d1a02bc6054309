/**
 * A finished save leaves nothing of itself in the engine (vbox-facts.md §7.3, SSMR3LiveDone / close: "the handle
 * is cleared and freed"): what survives a save in VirtualBox is the units' registration, not the per-operation
 * state (SSMUNIT fCalled / offStream / fDoneLive are per operation, PGM's live-save vote lives as long as the save).
 *
 * Method: a live save from RUNNING, then a plain one from SUSPENDED, and one whose sink fails; after each, the
 * object graph reachable from the VM's saved-state port (vm.ssm — through the units' owners it reaches the whole
 * VM) is walked with the snapshot writer's own walk (encodeGraph): no SSM handle, live save, stream writer, sink
 * or save flow is reachable, every unit's per-operation fields hold their reset values and PGM's vote is fresh.
 */
import { describe, expect, it } from 'vitest';
import { VBoxError, VERR_WRITE_ERROR } from '../../src/index.js';
import { encodeGraph, type GraphSink, type Primitive } from '../../src/persist/graph.js';
import { MemorySink, type SsmSink } from '../../src/ssm/sinks.js';
import { MiB, newVm } from '../teleport/support.js';

/** Classes that only a save in progress has (the handle, its driver and stream, the flow and its context). */
const PER_SAVE = ['SsmHandle', 'SsmLiveSave', 'SsmStreamWriter', 'SaveFlow', 'SaveContext', 'MemorySink', 'FailingSink'];
/** Fields of the units and PGM's vote, at the value an operation starts from (SsmUnit.reset, pgm livePrep). */
const RESET: Record<string, Primitive> = { called: false, offStream: -1, doneLive: false, bestMs: Infinity, passesSinceBest: 0 };

/** The classes reachable from `root`, and every value of a RESET field (as `Class.field` or `object.field`). */
function walk(root: object): { classes: Set<string>; fields: [string, Primitive][] } {
  const classes = new Set<string>();
  const fields: [string, Primitive][] = [];
  let current = '';
  let key: string | null = null;
  const sink: GraphSink = {
    begin: (_id, kind, name) => {
      current = kind === 'class' && name ? name : kind;
      if (kind === 'class' && name) classes.add(name);
      key = null;
    },
    key: (k) => void (key = k),
    value: (v) => {
      if (key !== null && key in RESET) fields.push([`${current}.${key}`, v]);
      key = null;
    },
    ref: () => void (key = null),
    named: () => void (key = null),
    hole: () => {},
    bytes: () => {},
    end: () => {},
  };
  encodeGraph(root, sink);
  return { classes, fields };
}

class FailingSink implements SsmSink {
  readonly isFile = false;
  private written = 0;
  /** The error it threw: the caller rejects with it (its message), as with a file sink's. */
  failure: VBoxError | null = null;
  write(chunk: Uint8Array): void {
    this.written += chunk.length;
    if (this.written > 64 * 1024) throw (this.failure ??= new VBoxError(VERR_WRITE_ERROR, 'the disk is full'));
  }
  commit(): void {}
  abort(): void {}
}

describe('after a save, the saved-state port holds no per-save state', () => {
  it.each([
    ['a live save from RUNNING', true, () => new MemorySink()],
    ['a plain save from SUSPENDED', false, () => new MemorySink()],
    ['a live save whose sink fails', true, () => new FailingSink()],
  ] as const)('%s', async (_, running, sink) => {
    const { vmm, vm } = await newVm({ ram: { sizeBytes: 512 * 1024, prefill: true, dirtyBytesPerSec: 8 * MiB } });
    await vmm.advance(3_000_000);
    if (!running) await vm.suspend();
    const result = await vm.save(sink()).then((r) => r, (e: VBoxError) => e);
    const { classes, fields } = walk(vm.core.ssm!);
    // The walk reached the units and PGM's vote (else the checks below would hold for nothing).
    expect(classes).toContain('SsmUnit');
    expect(fields.map(([f]) => f)).toEqual(expect.arrayContaining(['SsmUnit.called', 'SsmUnit.offStream', 'SsmUnit.doneLive', 'object.bestMs']));
    expect(PER_SAVE.filter((c) => classes.has(c))).toEqual([]);
    expect(fields.filter(([f, v]) => !Object.is(RESET[f.slice(f.indexOf('.') + 1)], v))).toEqual([]);
    // The caller still got the figures (or the sink's error).
    if (result instanceof VBoxError) expect(result.message).toContain('the disk is full');
    else expect(result.bytes).toBeGreaterThan(0);
  });
});
