/**
 * The machine definitions of machines/ as named constants (`machine:vm` …): a saved machine cell names its
 * machine, and a restore finds the same definition. Test-only `provide()` variants name themselves the same way
 * (src/check/mutants.ts).
 */
import { MACHINES } from '../../machines/index.js';
import { defineConstant } from './registry.js';

for (const [name, machine] of Object.entries(MACHINES)) defineConstant(`machine:${name}`, machine);
