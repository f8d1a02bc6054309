/**
 * The project model-checks its own lifecycle API: every interleaving of racing clients over the real engine
 * (EMTs, request queues, rendezvous machines) must keep every built-in property — legal VMSTATE edges,
 * rendezvous order, STOP_ON_ERROR, status merge, vCPU agreement, one completion per request, successful calls
 * that took their edge, no deadlock, no unfair cycle. Method: explore() breadth-first with the default
 * reductions for 1–4 vCPUs; the largest race is bounded here and exhausted in bench/check-powerons.ts.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.js';
import '../../src/check/vitest.js';
import type { Scenario } from '../../src/check/scenario.js';

const races: [string, Scenario['clients'], number | undefined][] = [
  ['PowerOn ∥ PowerOff', [['powerOn'], ['powerOff']], undefined],
  ['PowerOn → Suspend ∥ PowerOff', [['powerOn', 'suspend'], ['powerOff']], undefined],
  ['Reset ∥ Suspend', [['powerOn', 'reset'], ['suspend']], undefined],
  ['Suspend ∥ Resume ∥ PowerOff', [['powerOn', 'suspend'], ['resume'], ['powerOff']], 1_500],
];

describe('VMR3PowerOn / VMR3Suspend / VMR3Resume / VMR3Reset / VMR3PowerOff races', () => {
  describe.each(races)('%s', (_name, clients, bound) => {
    it.each([1, 2, 3, 4])('%i vCPUs: no violation', async (cpus) => {
      const big = bound !== undefined && cpus > 2;
      const result = await explore({ cpus, clients }, big ? { maxStates: bound } : {});
      expect(result).toHaveNoViolations({ allowBounded: big });
      expect(result.states).toBeGreaterThan(cpus === 1 ? 10 : 50);
    });
  });

  it('a power-off that wins the race leaves powerOn with VERR_VM_INVALID_VM_STATE, and both orders are explored', async () => {
    const result = await explore({ cpus: 2, clients: [['powerOn'], ['powerOff']] });
    expect(result.ok).toBe(true);
    const edges = result.coverage.vmEdges.covered;
    // powerOn first: CREATED → POWERING_ON → RUNNING → POWERING_OFF; powerOff first: CREATED → POWERING_OFF.
    expect(edges).toEqual(expect.arrayContaining(['CREATED>POWERING_ON', 'RUNNING>POWERING_OFF', 'CREATED>POWERING_OFF', 'POWERING_OFF>OFF']));
  });

  it('PowerOffInsteadOfReset turns the reset into a power-off', async () => {
    const result = await explore({ cpus: 2, config: { PowerOffInsteadOfReset: true }, clients: [['powerOn', 'reset'], ['suspend']] });
    expect(result).toHaveNoViolations();
    expect(result.coverage.vmEdges.covered).not.toContain('RUNNING>RESETTING');
    expect(result.coverage.vmEdges.covered).toContain('RUNNING>POWERING_OFF');
  });

  it('destroy after power-off, racing a request to a vCPU: the request completes (killed or served)', async () => {
    const result = await explore({ cpus: 2, clients: [['powerOff', 'destroy'], [{ call: 'reqCallWait', target: 1 }]] });
    expect(result).toHaveNoViolations();
    expect(result.coverage.vmEdges.covered).toContain('DESTROYING>TERMINATED');
  });

  it('GVMM handles: power-off and destroy racing a request leave the handle free and the counters at zero', async () => {
    const result = await explore({ cpus: 3, clients: [['powerOff', 'destroy'], [{ call: 'reqCallWait', target: 1 }]] });
    expect(result).toHaveNoViolations();
  });

  // A finding of the checker: a VMR3Suspend whose rendezvous waits for the lock while VMR3Destroy lets EMT 1
  // leave takes the lock afterwards and, as VMM.cpp is written, waits for EMT 1 forever. The engine re-checks
  // the dying-VM condition after the lock (intended fidelity); 'as-written' keeps VirtualBox's behaviour.
  it('suspend racing destroy: no deadlock when the dying-VM check is repeated after the lock', async () => {
    const result = await explore({ cpus: 2, clients: [['powerOn', 'powerOff', 'destroy'], ['suspend']] });
    expect(result).toHaveNoViolations();
  });

  it("suspend racing destroy, fidelity 'as-written': VMM.cpp's deadlock, 29 steps", async () => {
    const result = await explore({ cpus: 2, fidelity: 'as-written', clients: [['powerOn', 'powerOff', 'destroy'], ['suspend']] });
    expect(result.violations[0]?.property).toBe('deadlock');
    expect(result.violations[0]?.message).toMatch(/^deadlock: .* A#2 destroy, B#0 suspend has not returned \(VM DESTROYING; emt\.0 processingGlobal \[rendezvous:caller:turn\]; emt\.1 terminated\)$/);
    expect(result.violations[0]?.choices.length).toBe(29);
  });

  it('a halting guest is woken for every rendezvous (STARTED_HALTED in between)', async () => {
    const result = await explore({ cpus: 2, guest: 'halt', clients: [['powerOn', 'suspend'], ['powerOff']] });
    expect(result).toHaveNoViolations();
    expect(result.coverage.machines.vmcpu.missing).not.toContain('STARTED>STARTED_HALTED');
  });
});
