/**
 * reqCall's timeoutMs is input (issue 15 item 8). Goal: VirtualBox's cMillies is unsigned, with RT_INDEFINITE_WAIT
 * (~0) meaning "wait forever"; our API spells "forever" by leaving timeoutMs out or passing Infinity, and refuses
 * a negative or NaN timeout with VERR_INVALID_PARAMETER before anything is queued (the callback never runs, the
 * request statistics do not move). Method: the deterministic scheduler, the callback's runs counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createVMM, VERR_INVALID_PARAMETER, VINF_SUCCESS, type Vmm } from '../../src/index.js';

const engines: Vmm[] = [];
afterEach(() => {
  for (const vmm of engines.splice(0)) vmm.dispose();
});

async function vmWithCounter() {
  const vmm = createVMM({ seed: 8 });
  engines.push(vmm);
  const vm = await vmm.create({ cpus: 2 });
  const runs = { n: 0 };
  const fn = () => {
    runs.n++;
    return VINF_SUCCESS;
  };
  return { vm, runs, fn };
}

describe('reqCall({ timeoutMs })', () => {
  it.each([-1, -0.5, Number.NaN, -Infinity, '5' as unknown as number])('%s is VERR_INVALID_PARAMETER and queues nothing', async (timeoutMs) => {
    const { vm, runs, fn } = await vmWithCounter();
    const before = JSON.stringify(vm.reqStats);
    await expect(vm.reqCall({ target: 1, timeoutMs }, fn)).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
    expect(runs.n).toBe(0);
    expect(JSON.stringify(vm.reqStats)).toBe(before);
  });

  it.each([undefined, Infinity, 0, 1.5, 1000])('%s is accepted and the call completes', async (timeoutMs) => {
    const { vm, runs, fn } = await vmWithCounter();
    expect(await vm.reqCall({ target: 1, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, fn)).toBe(VINF_SUCCESS);
    expect(runs.n).toBe(1);
  });
});
