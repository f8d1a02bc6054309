/** The embedding example of the README runs on the real-time port and drives a VM through its life. */
import { describe, expect, it } from 'vitest';
import { main } from '../examples/embed.js';

describe('examples/embed.ts', () => {
  it('runs the README example end to end in real time', async () => {
    const lines: string[] = [];
    const seen = await main((line) => lines.push(line));
    expect(lines).toContain('on EMT 1');
    expect(lines.filter((l) => l.startsWith('rendezvous on'))).toEqual(['rendezvous on 1', 'rendezvous on 0']);
    expect(lines).toContain('VERR_VM_INVALID_VM_STATE -1907');
    expect(seen.map((s) => s.split(' (')[0])).toEqual([
      'CREATING -> CREATED', 'CREATED -> POWERING_ON', 'POWERING_ON -> RUNNING', 'RUNNING -> POWERING_OFF',
      'POWERING_OFF -> OFF', 'OFF -> DESTROYING', 'DESTROYING -> TERMINATED',
    ]);
  });
});
