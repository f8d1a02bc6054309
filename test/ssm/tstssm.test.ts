/**
 * Goal: VirtualBox's tstSSM.cpp (vbox-facts.md §11.2) ported: units 1–4 with the original names, instances,
 * versions, cbGuess and payloads; SSMR3Save, SSMR3Load (every load callback checks its data), SSMR3ValidateFile
 * without and with checksums, SSMR3Open, the two not-found seeks, seeks to units 2, 1 and 3 read back through
 * the original load callbacks, SSMR3Close.
 *
 * Method: the same sequence as tstSSM's main() on a real file in a temp folder; units 3 and 4 are 8 MiB here
 * (TSTSSM_ITEM_SIZE is 512 MiB in the original; bench/ssm-io.ts runs that size).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, SsmUnitRegistry, ssmLoad, ssmSave, validate } from '../../src/ssm/index.js';
import { VERR_SSM_UNIT_NOT_FOUND, VINF_SUCCESS } from '../../src/status.js';
import { gachMem1, item01Load, item02Load, item03Load, registerTstSsmUnits, UNIT1, UNIT2, UNIT3 } from './tstssm-units.js';

const ITEM_SIZE = 8 * 1024 * 1024;
let dir: string;
let file: string;
let registry: SsmUnitRegistry;
let bigMem: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tstssm-'));
  file = join(dir, 'SSMTestSave#1');
  registry = new SsmUnitRegistry();
  bigMem = registerTstSsmUnits(registry, ITEM_SIZE);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tstSSM', () => {
  it('uses the original 83-byte binary item', () => {
    expect(gachMem1.length).toBe(83);
  });

  it('SSMR3Save(SSMAFTER_DESTROY) succeeds and writes the file', () => {
    const result = ssmSave(registry, file, { after: 'DESTROY' });
    const size = statSync(file).size;
    console.log(`tstSSM: file size ${size} bytes`);
    expect(result.cbStream).toBe(size);
    // "SSM", "SSMLiveControl" and the four test units.
    expect(registry.cUnits).toBe(6);
  });

  it('SSMR3Load(SSMAFTER_RESUME) runs every load callback and succeeds', () => {
    const loaded: string[] = [];
    for (const unit of registry.units) {
      const inner = unit.callbacks.loadExec;
      if (!inner) continue;
      unit.setCallback('loadExec', (ssm, version, pass) => {
        loaded.push(unit.name);
        return inner(ssm, version, pass);
      });
    }
    ssmLoad(registry, file, { after: 'RESUME' });
    expect(loaded).toEqual(registry.units.filter((u) => u.callbacks.saveExec).map((u) => u.name));
  });

  it.each([false, true])('SSMR3ValidateFile(fChecksumIt=%s) succeeds', (checksum) => {
    const info = validate(file, { checksum });
    expect(info.cUnits).toBe(6);
    expect(info.footer?.cDirEntries).toBe(5);
  });

  describe('SSMR3Open / SSMR3Seek / SSMR3Close', () => {
    it('seeks, reads back units 2, 1 and 3 with the original load callbacks, and closes', () => {
      const ssm = open(file);
      // negative: a unit that does not exist
      expect(() => ssm.seek("some unit that doesn't exist", 0)).toThrowError(expect.objectContaining({ rc: VERR_SSM_UNIT_NOT_FOUND }));
      // another negative: only the instance number does not match
      expect(() => ssm.seek(UNIT2, 0)).toThrowError(expect.objectContaining({ rc: VERR_SSM_UNIT_NOT_FOUND }));
      // 2nd unit, twice (the second time for its version)
      ssm.seek(UNIT2, 2);
      const { version: v2 } = ssm.seek(UNIT2, 2);
      expect(item02Load(ssm.handle, v2, bigMem)).toBe(VINF_SUCCESS);
      // 1st unit
      const { version: v1 } = ssm.seek(UNIT1, 1);
      expect(item01Load(ssm.handle, v1)).toBe(VINF_SUCCESS);
      // 3rd unit
      const { version: v3 } = ssm.seek(UNIT3, 0);
      expect(v3).toBe(123);
      expect(item03Load(ssm.handle, v3, bigMem, ITEM_SIZE)).toBe(VINF_SUCCESS);
      ssm.close();
    });
  });
});
