/**
 * Child process of test/ssm/crash.test.ts: saves a large saved state to argv[2] (argv[3] MiB of guest-like pages,
 * unit version argv[4]) and prints each progress percentage on its own line, so the parent can SIGKILL it at a
 * chosen point of the save.
 */
import { SsmUnitRegistry, ssmSave } from '../../src/ssm/index.js';
import { initBigMem } from './tstssm-units.js';

const [target, sizeMiB, version] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const registry = new SsmUnitRegistry();
const mem = initBigMem();
registry.register({
  name: 'crash ram', instance: 0, version, cbGuess: sizeMiB * 1024 * 1024,
  saveExec: (ssm) => {
    ssm.putU32(sizeMiB);
    for (let mib = 0; mib < sizeMiB; mib++) ssm.putMem(mem);
  },
  loadExec: (ssm, v) => {
    const n = ssm.getU32();
    for (let mib = 0; mib < n; mib++) ssm.skip(mem.length);
    return v === version ? 0 : -1;
  },
});
ssmSave(registry, target, { onProgress: (pct) => process.stdout.write(`${pct}\n`) });
process.stdout.write('saved\n');
