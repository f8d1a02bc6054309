/**
 * VMR3LoadFromFile, the teleport target's VMR3LoadFromStream and VMR3Teleport under every interleaving
 * (vbox-facts.md §1.4, §7.6, §7.7). Goal: the load calls keep every property — in particular `vcpu-agreement`:
 * a loaded VM is SUSPENDED with its vCPUs started by the vmm unit (vmmR3Load), so resume runs them — and the
 * property catches a load that leaves the vCPUs STOPPED (the fault that reproduces the bug this unit fixed).
 * Method: explore() breadth-first over small scenarios; loads read images made before exploration
 * (src/check/images.ts); the broken engine is the test-only fault `loadSkipsCpuStates` (also two entries of
 * src/check/mutants.ts, so test/check/mutants.test.ts replays them).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import { scenarioImage } from '../../src/check/images.js';
import { auditStateKey, formatKeyAudit } from '../../src/check/key-audit.js';
import { replayTrace } from '../../src/check/replay.js';
import { parseScenario, type Scenario } from '../../src/check/scenario.js';
import '../../src/check/vitest.js';
import { info } from '../../src/ssm/info.js';
import { MemorySource } from '../../src/ssm/sources.js';

describe('load and teleport calls in scenarios', () => {
  it.each([
    ['loadFromFile → resume, 2 vCPUs', { cpus: 2, clients: [['loadFromFile', 'resume']] }, 'RUNNING | A: loadFromFile=VINF_SUCCESS resume=VINF_EM_RESUME'],
    ['loadFromStream → resume, 2 vCPUs', { cpus: 2, clients: [['loadFromStream', 'resume']] }, 'RUNNING | A: loadFromStream=VINF_SUCCESS resume=VINF_EM_RESUME'],
    ['loadFromFile → resume ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['loadFromFile', 'resume'], ['powerOff']] }, 'OFF | A: loadFromFile=VINF_SUCCESS resume=VINF_EM_RESUME | B: powerOff=VINF_EM_OFF'],
    ['loadFromStream → resume ∥ suspend, 2 vCPUs', { cpus: 2, clients: [['loadFromStream', 'resume'], ['suspend']] }, 'SUSPENDED | A: loadFromStream=VINF_SUCCESS resume=VINF_EM_RESUME | B: suspend=VINF_EM_SUSPEND'],
    ['powerOn → teleport ∥ powerOff, 1 vCPU (timers any)', { cpus: 1, timers: 'any', clients: [['powerOn', 'teleport'], ['powerOff']] }, 'OFF | A: powerOn=VINF_SUCCESS teleport=VERR_SSM_LIVE_POWERED_OFF | B: powerOff=VINF_EM_OFF'],
  ] as const)('%s: no violation', async (_title, input, outcome) => {
    const result = await explore(input as never);
    expect(result).toHaveNoViolations();
    expect(result.outcomes).toContain(outcome);
  });

  it('a loaded VM resumes with every vCPU started (the loads cover the vmm unit edges)', async () => {
    const result = await explore({ cpus: 2, clients: [['loadFromFile', 'resume'], ['loadFromStream']] });
    expect(result).toHaveNoViolations();
    expect(result.coverage.vmEdges.covered).toEqual(expect.arrayContaining(['CREATED>LOADING', 'LOADING>SUSPENDED', 'SUSPENDED>LOADING', 'SUSPENDED>RESUMING']));
  });

  it('the images are a saved running VM and a teleport stream of the scenario\'s vCPU count, each with the vmm unit', () => {
    for (const kind of ['file', 'teleport'] as const) {
      const file = info(new MemorySource(scenarioImage(3, kind), { asFile: true }));
      expect(file.header.live).toBe(true);
      expect(file.units.find((u) => u.name === 'vmm')).toMatchObject({ instance: 0, version: 4 });
      expect(file.units.filter((u) => u.name === 'vcpu').map((u) => u.instance)).toEqual([0, 1, 2]);
    }
  });

  it('the state key stays sound with loads (an image is a constant, not world state): every merge keeps the future', () => {
    const audit = auditStateKey({ cpus: 2, clients: [['loadFromFile', 'resume'], ['loadFromStream']] }, { depth: 2 });
    expect(audit.mismatches, formatKeyAudit(audit)).toEqual([]);
    expect(audit.bounded).toBe(false);
    expect(audit.merges).toBeGreaterThan(0);
  });

  it('scenario files name the new calls, and refuse a path on them', () => {
    expect(parseScenario({ cpus: 1, clients: [['loadFromFile', 'loadFromStream', 'teleport']] }).clients[0]!.calls.map((c) => c.call)).toEqual([
      'loadFromFile', 'loadFromStream', 'teleport',
    ]);
    expect(() => parseScenario({ cpus: 1, clients: [[{ call: 'loadFromFile', path: 'x.sav' }]] })).toThrow(/only save takes a path/);
  });
});

describe('vcpu-agreement catches a load that leaves the vCPUs STOPPED (vmmR3Load not setting them)', () => {
  it.each([['loadFromFile'], ['loadFromStream']] as const)('%s → resume, 2 vCPUs', async (call) => {
    const scenario: Scenario = { cpus: 2, clients: [[call, 'resume']] };
    const engine = { faults: { loadSkipsCpuStates: true } };
    const result = await explore(scenario, { engine });
    expect(result.status).toBe('violation');
    const v = result.violations[0]!;
    expect(v.property).toBe('vcpu-agreement');
    // VMR3Load* moves LOADING → SUSPENDED; §2.2: a SUSPENDED VM's vCPUs are started.
    expect(v.message).toBe('VM is SUSPENDED but vCPU 0 is STOPPED (expected a started state)');
    expect(replayTrace(v.text, { engine }).reproduced).toBe(true);
  });
});
