/**
 * `vmm-actors/check/vitest`: model checking inside a vitest suite.
 *
 *   import { expect, it } from 'vitest';
 *   import { explore } from 'vmm-actors/check';
 *   import 'vmm-actors/check/vitest';            // adds expect(result).toHaveNoViolations()
 *
 *   it('powerOn ∥ powerOff', async () => {
 *     expect(await explore({ cpus: 2, clients: [['powerOn'], ['powerOff']] })).toHaveNoViolations();
 *   });
 *
 * A failure prints the violation, writes the counterexample under artifacts/check/ and prints the command that
 * replays it. A bounded result fails too unless `{ allowBounded: true }` is passed: "bounded" is not "ok".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ExploreResult } from './explore.js';

export interface NoViolationsOptions {
  /** Accept a run cut short by maxStates / maxDepth / time (default false). */
  allowBounded?: boolean;
  /** Where failing traces go (default artifacts/check). */
  traceDir?: string;
}

const slug = (text: string) => text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'scenario';

/** Write the counterexample and say how to replay it. */
export function saveCounterexample(result: ExploreResult, dir = join('artifacts', 'check')): string | undefined {
  const v = result.violations[0];
  if (!v) return undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${slug(result.scenario.name)}-${result.scenario.cpus}cpu-${v.property}.trace.jsonl`);
  writeFileSync(file, v.text);
  return file;
}

export const checkMatchers = {
  toHaveNoViolations(received: ExploreResult, options: NoViolationsOptions = {}) {
    const v = received.violations[0];
    if (v) {
      const file = saveCounterexample(received, options.traceDir);
      return {
        pass: false,
        message: () =>
          `expected no violations, but ${v.property} failed after ${v.choices.length} steps:\n  ${v.message}\n` +
          `replay: ${v.replayCommand(file ?? '<trace>')}`,
      };
    }
    if (received.status === 'bounded' && !options.allowBounded) {
      return { pass: false, message: () => `expected an exhaustive run, but it was ${received.verdict} (pass { allowBounded: true } to accept)` };
    }
    return { pass: true, message: () => `expected a violation, but the run was ${received.verdict}` };
  },
};

expect.extend(checkMatchers);

declare module 'vitest' {
  interface Assertion<T> {
    toHaveNoViolations(options?: NoViolationsOptions): T;
  }
  interface AsymmetricMatchersContaining {
    toHaveNoViolations(options?: NoViolationsOptions): void;
  }
}
