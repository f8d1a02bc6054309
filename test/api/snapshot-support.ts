/** Shared set-up for the engine snapshot tests: engines disposed after each test, a JSON round trip. */
import { afterEach } from 'vitest';
import { createVMM, type PersistedVmm, type Vmm, type VmmOptions, type VmTraceEvent } from '../../src/index.js';

let engines: Vmm[] = [];
afterEach(() => {
  for (const vmm of engines) vmm.dispose();
  engines = [];
});

/** createVMM, disposed after the test. */
export function engine(options: VmmOptions = {}): Vmm {
  const vmm = createVMM(options);
  engines.push(vmm);
  return vmm;
}

/** The snapshot as another process would read it: through JSON text. */
export const throughJson = (snapshot: PersistedVmm): PersistedVmm => JSON.parse(JSON.stringify(snapshot)) as PersistedVmm;

/** vmm's snapshot, through JSON, restored with `options` (the implementations). */
export function restored(vmm: Vmm, options: VmmOptions = {}): Vmm {
  return engine({ ...options, snapshot: throughJson(vmm.getPersistedSnapshot()) });
}

/** Every event of every VM of `vmm` from now on, as comparable text (kind, edge, GIP time). */
export function recordEvents(vmm: Vmm): string[] {
  const seen: string[] = [];
  for (const vm of vmm.vms.values()) {
    vm.events$.subscribe((e: VmTraceEvent) => seen.push(`${vm.handle} ${e.kind} ${'from' in e ? `${String(e.from)}>${String(e.to)}` : ''} ${'cpu' in e ? e.cpu : ''} @${e.tNs}`));
  }
  return seen;
}
