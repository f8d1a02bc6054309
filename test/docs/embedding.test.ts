/**
 * docs/embedding.md says what each lifecycle call resolves to; examples/virtual-clock.ts prints it. Goal: the
 * doc's table is what the example really gets, and the statuses are the EM statuses VirtualBox's lifecycle
 * APIs return (vbox-facts §1.4: the rendezvous merge of VINF_EM_*). Method: run the example on the virtual
 * clock and compare with the table and the status constants.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../examples/virtual-clock.js';
import { statusName, VINF_EM_OFF, VINF_EM_RESET, VINF_EM_RESUME, VINF_EM_SUSPEND, VINF_SUCCESS } from '../../src/index.js';

describe('examples/virtual-clock.ts and docs/embedding.md', () => {
  it('the lifecycle calls resolve to the statuses the doc lists', async () => {
    const lines: string[] = [];
    const statuses = await main((l) => lines.push(l));
    expect(statuses).toEqual({
      powerOn: VINF_SUCCESS, suspend: VINF_EM_SUSPEND, resume: VINF_EM_RESUME, reset: VINF_EM_RESET, powerOff: VINF_EM_OFF, destroy: VINF_SUCCESS,
    });
    const doc = readFileSync(new URL('../../docs/embedding.md', import.meta.url), 'utf8');
    const table = Object.fromEntries([...doc.matchAll(/^\| `(\w+)\(\)` \| `(\w+)` \((-?\d+)\) \|/gm)].map((m) => [m[1], [m[2], Number(m[3])]]));
    expect(table).toEqual(Object.fromEntries(Object.entries(statuses).map(([call, rc]) => [call, [statusName(rc), rc]])));
    // Virtual time moved only by the two advance(20 ms) calls and what the calls themselves took.
    expect(lines).toContain('advance(20 ms) -> 20.000 ms');
    expect(lines.at(-1)).toBe('powerOn() after destroy -> -1016 VERR_INVALID_VM_HANDLE');
  });
});
