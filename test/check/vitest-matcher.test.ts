/**
 * The documented vitest pattern: `import 'vmm-actors/check/vitest'` adds expect(result).toHaveNoViolations().
 * Goal: it passes a clean exhaustive run, fails a violation with the property, the message and a replay command
 * for a trace it wrote, and fails a bounded run unless told bounded is acceptable. Method: call the matcher on
 * real explore() results and read its messages.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { MUTANTS } from '../../src/check/mutants.js';
import { checkMatchers } from '../../src/check/vitest.js';

describe('toHaveNoViolations', () => {
  it('passes an exhaustive clean run', async () => {
    const result = await explore({ cpus: 2, clients: [['powerOn'], ['powerOff']] });
    expect(result).toHaveNoViolations();
  });

  it('fails a violation, writes the trace and prints the replay command', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'emt0-vcpu-not-started')!;
    const result = await explore(mutant.scenario, { engine: mutant.engine, mutant: mutant.name });
    const dir = mkdtempSync(join(tmpdir(), 'check-'));
    const outcome = checkMatchers.toHaveNoViolations(result, { traceDir: dir });
    expect(outcome.pass).toBe(false);
    const message = outcome.message();
    expect(message).toMatch(/^expected no violations, but vcpu-agreement failed after 7 steps:\n  VM is RUNNING but vCPU 0 is STOPPED/);
    const file = /replay: npx vmm-actors replay (.+)$/.exec(message)![1]!;
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(result.violations[0]!.text);
    expect(() => expect(result).toHaveNoViolations({ traceDir: dir })).toThrow(/vcpu-agreement/);
  });

  it('fails a bounded run unless bounded is accepted', async () => {
    const result = await explore({ cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }, { maxStates: 20 });
    expect(result.status).toBe('bounded');
    expect(result.verdict).toMatch(/^bounded at \d+ states \(maxStates\)/);
    expect(checkMatchers.toHaveNoViolations(result).pass).toBe(false);
    expect(result).toHaveNoViolations({ allowBounded: true });
  });
});
