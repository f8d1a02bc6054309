/**
 * `vmm-actors demo` names each VM distinctly (issue 15 item 11). Goal: GVMM reuses a destroyed VM's handle
 * (LIFO free list), so the race VM gets handle 1 again; the output must still tell the two VMs apart. Method:
 * run the demo quietly, split its output at the race header and compare the VM labels of the state lines.
 */
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/commands/demo.js';

const STATE_LINE = /^\s+[\d.]+ ms {2}(.+?)\s+[A-Z_]+\s+-> [A-Z_]+\s+by /;

describe('vmm-actors demo', () => {
  it.each([1, 2])('%i vCPUs: the race VM has its own label although GVMM gave it the first VM\'s handle', async (cpus) => {
    const lines: string[] = [];
    expect(await runDemo({ cpus, seed: 7, clock: 'virtual', quiet: true }, (l) => lines.push(l))).toBe(0);
    const race = lines.findIndex((l) => l.startsWith('--- race'));
    expect(race).toBeGreaterThan(0);
    const labels = (part: string[]) => new Set(part.map((l) => STATE_LINE.exec(l)?.[1]).filter((l) => l !== undefined));
    const before = labels(lines.slice(0, race));
    const after = labels(lines.slice(race));
    expect(before.size).toBe(1);
    expect(after.size).toBe(1);
    expect([...after][0]).not.toBe([...before][0]);
    // Each label carries the VM's config Name next to its handle, and the reuse is said once.
    expect([...before, ...after]).toEqual(['demo vm.1', 'race vm.1']);
    expect(lines.filter((l) => l.includes("GVMM reused the handle of the destroyed 'demo' VM"))).toHaveLength(1);
  });
});
