/**
 * A VM that VMR3Create refuses is the scenario's result, not a crash of the checker.
 * Goal: explore() reports a 'creation' violation at step 0 carrying VirtualBox's status and message, the
 * counterexample replays to the same text, and a scenario that creates fine still explores. Method: the
 * halt method from the VM config (§4.2): VMHALTMETHOD_INVALID (0) and an unknown value fail creation.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { replayTrace } from '../../src/check/replay.js';
import { VERR_INVALID_PARAMETER, statusName } from '../../src/status.js';

describe('explore() when VMR3Create fails', () => {
  it.each([0, 99])('HaltMethod %i: a creation violation with the status, which replays', async (method) => {
    const result = await explore({ cpus: 2, config: { HaltMethod: method }, clients: [['powerOn'], ['powerOff']] });
    expect(result.status).toBe('violation');
    const v = result.violations[0]!;
    expect(v.property).toBe('creation');
    expect(v.message).toContain(`${statusName(VERR_INVALID_PARAMETER)} (${VERR_INVALID_PARAMETER})`);
    expect(v.message).toContain(`HaltMethod value ${method}`);
    expect(v.choices).toEqual([]);
    const replay = replayTrace(v.text);
    expect(replay.reproduced).toBe(true);
    expect(replay.violation).toEqual({ property: 'creation', message: v.message });
  });

  it('a valid halt method creates and explores', async () => {
    const result = await explore({ cpus: 2, config: { HaltMethod: 5 }, clients: [['powerOn'], ['powerOff']] });
    expect(result.status).toBe('ok');
    expect(result.states).toBeGreaterThan(1);
  });
});
