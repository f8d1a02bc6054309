/**
 * A save's and a streamed load's state lives on the objects it describes (issue 12: no module-level side
 * tables), so a world's state is reachable from the engine's data.
 *
 * Goal: the live save behind an SSM handle (SSMR3Cancel goes through its machine), the bandwidth and clock a
 * live save gives its units, and the streaming loader's resume point of a unit still arriving are typed fields
 * of the handle and of the stream reader; no module of the SSM layer keeps a WeakMap beside them.
 * Method: a deterministic save whose probe unit reads the handle from its own callback; a unit header fed in
 * pieces to bufferedUnitExtent; the three former side-table modules read as source text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SSMFILEUNITHDRV2_SIZE } from '../../src/ssm/constants.js';
import { bufferedUnitExtent } from '../../src/ssm/load-stream.js';
import { MemorySink } from '../../src/ssm/sinks.js';
import { PushSource } from '../../src/ssm/sources.js';
import { SsmStreamReader } from '../../src/ssm/stream-reader.js';
import { liveSaveOf } from '../../src/ssm/vm-units.js';
import { newVm, probe } from '../teleport/support.js';

describe('save and load state as fields', () => {
  it('a live save is the handle\'s liveSave, its bandwidth the handle\'s liveInfo', async () => {
    const { vm } = await newVm();
    const seen: { same: boolean; bandwidth: number | undefined }[] = [];
    probe(vm, {
      exec: (ssm, pass) => {
        seen.push({ same: ssm.liveSave === liveSaveOf(vm.core) && ssm.liveSave !== null, bandwidth: ssm.liveInfo?.bandwidthBytesPerSec });
        ssm.putU32(pass);
      },
    });
    await vm.save(new MemorySink(), { bandwidthBytesPerSec: 3_000_000 });
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect(s).toEqual({ same: true, bandwidth: 3_000_000 });
  });

  it('a plain save\'s handle has its machine but no live info', async () => {
    const { vm } = await newVm();
    await vm.suspend();
    const seen: unknown[] = [];
    probe(vm, { save: (ssm) => void seen.push([ssm.liveSave?.state, ssm.liveInfo]) });
    await vm.save(new MemorySink());
    expect(seen).toEqual([['SAVE_EXEC', null]]);
  });

  it('the scan of a unit still arriving resumes from the reader\'s unitScan', () => {
    const source = new PushSource();
    const reader = new SsmStreamReader(source, { checksum: false });
    expect(reader.unitScan).toBeNull();
    source.push(new Uint8Array(8));
    expect(bufferedUnitExtent(reader)).toEqual({ complete: false, need: SSMFILEUNITHDRV2_SIZE });
    expect(reader.unitScan).toEqual({ start: 0, off: -1 });
  });

  it('keeps no module-level WeakMap in the former side-table modules', () => {
    for (const file of ['src/ssm/live-save.ts', 'src/ssm/live/live-info.ts', 'src/ssm/load-stream.ts']) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/new WeakMap/);
    }
  });
});
