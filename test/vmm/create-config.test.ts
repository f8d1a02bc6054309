/**
 * vmm.create(): what `cpus` and `config` mean together (issue 15 item 4). Goal: `cpus` alone decides the vCPU
 * count (NumCPUs defaults to it, as VirtualBox's CFGM constructor writes NumCPUs from the same count); only an
 * explicit, different NumCPUs gets vmR3ReadBaseConfig's mismatch message; a count that is not a positive
 * integer is VERR_INVALID_PARAMETER (VMR3Create's cCpus > 0, GVMMR0CreateVM's range check), and only one above
 * VMM_MAX_CPU_COUNT is VERR_TOO_MANY_CPUS; messages show the value as written (`"4" (string)`); config.HaltMethod
 * takes the VMHALTMETHOD names as well as the numbers. Method: create on the deterministic scheduler and read
 * the VM back (cpus, halt method); refusals create nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createVMM, VERR_INVALID_PARAMETER, VERR_TOO_MANY_CPUS, VMHALTMETHOD, type Vmm } from '../../src/index.js';
import { haltOf } from '../../src/vmm/halt/state.js';
import { parseScenario } from '../../src/check/scenario.js';

const engines: Vmm[] = [];
afterEach(() => {
  for (const vmm of engines.splice(0)) vmm.dispose();
});
const engine = () => {
  const vmm = createVMM({ seed: 15 });
  engines.push(vmm);
  return vmm;
};

describe('cpus implies NumCPUs', () => {
  it.each([
    { why: 'a config without NumCPUs', cpus: 4, config: { Name: 'x' } },
    { why: 'an empty config', cpus: 2, config: {} },
    { why: 'no config', cpus: 3, config: undefined },
    { why: 'an equal NumCPUs', cpus: 4, config: { NumCPUs: 4, Name: 'x' } },
  ])('$why: a VM with cpus vCPUs', async ({ cpus, config }) => {
    const vm = await engine().create({ cpus, ...(config ? { config } : {}) });
    expect([vm.state, vm.cpus, vm.core.config.NumCPUs]).toEqual(['CREATED', cpus, cpus]);
  });

  it('a conflicting explicit NumCPUs is refused with VirtualBox\'s message and creates nothing', async () => {
    const vmm = engine();
    await expect(vmm.create({ cpus: 4, config: { NumCPUs: 2 } })).rejects.toMatchObject({
      rc: VERR_INVALID_PARAMETER,
      message: 'Configuration error: "NumCPUs"=2 and VMR3Create::cCpus=4 does not match!',
    });
    expect(vmm.vms.size).toBe(0);
  });
});

describe('an invalid vCPU count', () => {
  it.each([
    { cpus: 0, rc: VERR_INVALID_PARAMETER, shows: 'got 0' },
    { cpus: -1, rc: VERR_INVALID_PARAMETER, shows: 'got -1' },
    { cpus: 1.5, rc: VERR_INVALID_PARAMETER, shows: 'got 1.5' },
    { cpus: '4', rc: VERR_INVALID_PARAMETER, shows: 'got "4" (string)' },
    { cpus: null, rc: VERR_INVALID_PARAMETER, shows: 'got null (null)' },
    { cpus: undefined, rc: VERR_INVALID_PARAMETER, shows: 'got undefined (undefined)' },
    { cpus: 65, rc: VERR_TOO_MANY_CPUS, shows: 'got 65' },
  ])('cpus $cpus: $rc, the message shows the value as written', async ({ cpus, rc, shows }) => {
    const vmm = engine();
    const error = await vmm.create({ cpus: cpus as number }).catch((e: unknown) => e);
    expect(error).toMatchObject({ rc });
    expect((error as Error).message.endsWith(shows)).toBe(true);
    expect(vmm.vms.size).toBe(0);
  });

  it('NumCPUs "4" with cpus 4 names the type', async () => {
    const error = await engine().create({ cpus: 4, config: { NumCPUs: '4' as unknown as number } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ rc: VERR_INVALID_PARAMETER, message: 'Configuration error: "NumCPUs"="4" (string) and VMR3Create::cCpus=4 does not match!' });
  });
});

describe('config.HaltMethod takes names and numbers', () => {
  const names = ['BOOTSTRAP', 'OLD', 'METHOD_1', 'GLOBAL_1'] as const;
  it.each(names)('%s, as HaltMethod and as VM/HaltMethod, selects the same method as its number', async (name) => {
    for (const config of [{ HaltMethod: name }, { VM: { HaltMethod: name } }, { HaltMethod: VMHALTMETHOD[name] }]) {
      const vm = await engine().create({ cpus: 2, config });
      expect(haltOf(vm.core).method).toBe(name);
    }
  });

  it.each(['DEFAULT', 'global1', 'FAST', true])('%s is refused with VERR_INVALID_PARAMETER naming the accepted names', async (value) => {
    const vmm = engine();
    const error = await vmm.create({ cpus: 1, config: { HaltMethod: value as never } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ rc: VERR_INVALID_PARAMETER });
    expect((error as Error).message).toContain('BOOTSTRAP, OLD, METHOD_1, GLOBAL_1');
    expect(vmm.vms.size).toBe(0);
  });

  it('a checker scenario takes the names too', () => {
    expect(parseScenario({ cpus: 1, halt: 'on', config: { HaltMethod: 'METHOD_1' }, clients: [['powerOn']] }).config.HaltMethod).toBe(VMHALTMETHOD.METHOD_1);
    expect(() => parseScenario({ cpus: 1, config: { HaltMethod: 'FAST' }, clients: [['powerOn']] })).toThrow(/scenario\.config\.HaltMethod/);
  });
});
