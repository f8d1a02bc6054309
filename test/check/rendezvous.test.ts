/**
 * VMMR3EmtRendezvous under every interleaving: two clients race a rendezvous of each type (§6.4) for the
 * lock, on 1–4 vCPUs; ordered types also with STOP_ON_ERROR and a failing vCPU, and next to a power-on.
 * Method: explore() must find no violation of the order, STOP_ON_ERROR and status-merge monitors, report the
 * type in its coverage, and apply symmetry exactly where it is sound.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import '../../src/check/vitest.js';
import type { CallInput } from '../../src/check/scenario.js';
import { VERR_GENERAL_FAILURE } from '../../src/status.js';

const TYPES = ['one-by-one', 'all-at-once', 'once', 'ascending', 'descending'] as const;

describe('VMMR3EmtRendezvous', () => {
  describe.each(TYPES)('%s', (type) => {
    const call: CallInput = { call: 'emtRendezvous', type };
    it.each([1, 2, 3, 4])('%i vCPUs, two racing callers: no violation', async (cpus) => {
      const result = await explore({ cpus, clients: [[call], [call]] });
      expect(result).toHaveNoViolations();
      expect(result.coverage.rendezvousTypes).toContain(type); // one vCPU: the direct path, counted as its type
      const ordered = type === 'ascending' || type === 'descending';
      expect(result.reductions.symmetry.startsWith(cpus > 1 && !ordered ? 'on' : 'off')).toBe(true);
    });
  });

  describe.each(['ascending', 'descending', 'one-by-one'] as const)('%s | STOP_ON_ERROR, one vCPU failing', (type) => {
    it.each([2, 3, 4])('%i vCPUs, racing a power-on: no violation', async (cpus) => {
      const failing: CallInput = { call: 'emtRendezvous', type, stopOnError: true, statusOn: { 1: VERR_GENERAL_FAILURE } };
      const result = await explore({ cpus, clients: [[failing], ['powerOn']] });
      expect(result).toHaveNoViolations();
    });
  });
});
